"""childcare_ring: a background job that asks the next ring of helpers.

Scheduled by childcare_request (and by itself) every CHILDCARE_RING_MINUTES::

    ctx.schedule_job("childcare_ring", at, "childcare.ring:<id>", request=<id>)

It never runs in a flow (a job has no session); in YAML terms it is
``action: {call: childcare_ring, with: {request: "{made.id}"}}``. While the
request still has no helper it asks the next CHILDCARE_RING_SIZE on-duty vetted
helpers not asked yet (the area's first, then everyone); when nobody is left,
every coordinator of the area is alerted and the parent is told what happens
next. Results: ``ok`` (asked or escalated), ``done`` (nothing left to do).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import load, still_looking
from ..services.childcare_dispatch import ring, save
from .base import Action


class ChildcareRing(Action):
    name = "childcare_ring"
    params = {"request": True}
    results = ("ok", "done")

    def run(self, ctx, params):
        req = load(ctx.store, str(params.get("request")))
        if not req or not still_looking(req) or req["pickup_at"] <= ctx.now:
            return ActionResult("done")
        req, effects = ring(ctx, req)
        if not effects:  # nobody left and the coordinators already know
            return ActionResult("done")
        save(ctx, req)
        return ActionResult("ok", {}, tuple(effects))


ACTION = ChildcareRing()
