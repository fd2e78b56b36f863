"""childcare_safe: the helper texts SAFE (A SALVO) [code] when the child is handed over.

Example::

    safe:
      action:
        call: childcare_safe
        with: {code: "{args}"}
        save: got
        on: {which: step_which, none: step_none, called_off: over_called_off}
      goto: safe_ok

The request becomes safe (picked up first or not); the parent is told and
invited to send thanks; the helper's ``helped_count`` grows by one; every
remaining job of the request is called off; the monthly summary job is
scheduled under its fixed key for the next first of the month at 10:00 (the
same key each time, so this is idempotent). SAFE without PICKED UP takes the
held claim as PICKED UP would: after the parent's call-off won it, the
helper hears ``called_off`` and nothing changes.
Results: ``ok`` (data code, child, count), ``which`` (data codes), ``none``,
``called_off`` (data code, child).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import (
    COVERED, ESCALATED, JOB_MONTHLY, PICKED_UP, SAFE, booked, code_in, codes_text, first_name, next_monthly_run, pick,
    settle, tell, values,
)
from ..services.childcare_dispatch import audit, over_for_parent, save, stop_jobs
from .base import Action


class ChildcareSafe(Action):
    name = "childcare_safe"
    params = {"code": False}
    results = ("ok", "which", "none", "called_off")
    outputs = ("code", "child", "count")

    def run(self, ctx, params):
        me = ctx.contact.id
        reqs = booked(ctx.store, me, (PICKED_UP, COVERED, ESCALATED))
        found, req = pick(reqs, code_in(params.get("code")))
        if req is None:
            return ActionResult(found if found == "which" else "none", {"codes": codes_text(reqs)})
        if req["status"] != PICKED_UP and not settle(ctx, req, PICKED_UP):
            # SAFE without PICKED UP races the parent's call-off like PICKED UP does.
            return ActionResult("called_off", {"code": req["code"], "child": req.get("child_name")})
        req = {**req, "status": SAFE, "safe_at": ctx.now, "closed_at": ctx.now}
        save(ctx, req)
        helper = ctx.store.get_contact(me) or {}
        count = int(helper.get("helped_count") or 0) + 1
        ctx.store.upsert_contact(me, helped_count=count)
        effects = stop_jobs(ctx, req)
        effects += tell(ctx, req["parent"], "childcare.parent_safe", **values(ctx, req, helper=first_name(helper)))
        effects.append(ctx.schedule_job("childcare_monthly", next_monthly_run(ctx.now), JOB_MONTHLY))
        effects.append(audit(req, "safe", helper=me, helped_count=count))
        effects.append(over_for_parent(ctx, req))
        return ActionResult("ok", {"code": req["code"], "child": req.get("child_name"), "count": count},
                            tuple(effects))


ACTION = ChildcareSafe()
