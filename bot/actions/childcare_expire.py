"""childcare_expire: a background job at pickup time + CHILDCARE_GRACE_MINUTES.

Scheduled by childcare_request::

    ctx.schedule_job("childcare_expire", pickup_at + grace, "childcare.expire:<id>", request=<id>)

(in YAML terms ``action: {call: childcare_expire, with: {request: ...}}``).
A request that still has no helper expires: the expiry takes the request's
claim, so a YES arriving at the same moment either wins before it or is told
the request has ended. The parent is told; later YES answers change nothing.
A request with a helper is left to the helper and the coordinators.
Results: ``ok`` (expired), ``done`` (nothing to do).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import EXPIRED, decide, load, still_looking, tell, values
from ..services.childcare_dispatch import audit, over_for_parent, save, stop_jobs
from .base import Action


class ChildcareExpire(Action):
    name = "childcare_expire"
    params = {"request": True}
    results = ("ok", "done")

    def run(self, ctx, params):
        req = load(ctx.store, str(params.get("request")))
        if not req or not still_looking(req) or not decide(ctx, req, EXPIRED):
            return ActionResult("done")
        req = {**req, "status": EXPIRED, "closed_at": ctx.now}
        save(ctx, req)
        effects = stop_jobs(ctx, req, "ring", "pickup")
        effects += tell(ctx, req["parent"], "childcare.parent_expired", **values(ctx, req))
        effects.append(audit(req, "expired"))
        effects.append(over_for_parent(ctx, req))
        return ActionResult("ok", {}, tuple(effects))


ACTION = ChildcareExpire()
