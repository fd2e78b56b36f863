"""childcare_pickup_check: a background job at the pickup time.

Scheduled by childcare_request::

    ctx.schedule_job("childcare_pickup_check", pickup_at, "childcare.pickup:<id>", request=<id>)

(in YAML terms ``action: {call: childcare_pickup_check, with: {request: ...}}``).
When the child is not picked up by then, every coordinator of the area gets
the summary (``no_helper`` when nobody said yes, ``no_pickup`` when the helper
has not texted PICKED UP) and the parent hears what happens next.
Results: ``ok`` (escalated), ``done`` (picked up, over, or already escalated).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import load, still_looking
from ..services.childcare_dispatch import escalate, has_helper, save
from .base import Action


class ChildcarePickupCheck(Action):
    name = "childcare_pickup_check"
    params = {"request": True}
    results = ("ok", "done")

    def run(self, ctx, params):
        req = load(ctx.store, str(params.get("request")))
        if not req:
            return ActionResult("done")
        if still_looking(req):
            reason = "no_helper"
        elif has_helper(req):
            reason = "no_pickup"
        else:
            return ActionResult("done")
        new, effects = escalate(ctx, req, reason)
        if not effects:
            return ActionResult("done")
        save(ctx, new)
        return ActionResult("ok", {}, tuple(effects))


ACTION = ChildcarePickupCheck()
