"""childcare_picked_up: the helper texts PICKED UP (RECOGIDO) [code].

Example::

    picked_up:
      action:
        call: childcare_picked_up
        with: {code: "{args}"}
        save: got
        on: {which: step_which, none: step_none, called_off: over_called_off}
      goto: picked_up_ok

The helper's booked request (the one with the code, or their only one) becomes
picked_up; the parent is told; the pickup-time alert is called off. It races
the parent's call-off for the request's held claim: when the call-off won
(even a moment ago, still being saved) the helper hears ``called_off`` and
the request stays called off.
Results: ``ok`` (data code, child), ``which`` (data codes), ``none``,
``called_off`` (data code, child).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import (
    COVERED, ESCALATED, PICKED_UP, booked, code_in, codes_text, first_name, pick, settle, tell, values,
)
from ..services.childcare_dispatch import audit, over_for_parent, save, stop_jobs
from .base import Action


class ChildcarePickedUp(Action):
    name = "childcare_picked_up"
    params = {"code": False}
    results = ("ok", "which", "none", "called_off")
    outputs = ("code", "child", "codes")

    def run(self, ctx, params):
        me = ctx.contact.id
        reqs = booked(ctx.store, me, (COVERED, ESCALATED))
        found, req = pick(reqs, code_in(params.get("code")))
        if req is None:
            return ActionResult(found if found == "which" else "none", {"codes": codes_text(reqs)})
        if not settle(ctx, req, PICKED_UP):
            return ActionResult("called_off", {"code": req["code"], "child": req.get("child_name")})
        req = {**req, "status": PICKED_UP, "picked_up_at": ctx.now}
        save(ctx, req)
        helper = ctx.store.get_contact(me)
        effects = stop_jobs(ctx, req, "pickup", "ring")
        effects += tell(ctx, req["parent"], "childcare.parent_picked_up", **values(ctx, req, helper=first_name(helper)))
        effects.append(audit(req, "picked_up", helper=me))
        effects.append(over_for_parent(ctx, req))
        return ActionResult("ok", {"code": req["code"], "child": req.get("child_name")}, tuple(effects))


ACTION = ChildcarePickedUp()
