"""childcare_request: a parent's emergency childcare request goes out.

Example::

    send:
      action:
        call: childcare_request
        with: {child_name: "{child_name}", child_age: "{child_age}", place: "{place}", pickup_at: "{pickup_at}"}
        save: made
      goto: sent

Saves a ``childcare.request`` (status open, a 3-digit code unique among live
requests, a one-time code word from the parent's locale list), asks the first
ring of helpers at once (the parent's trusted helpers and on-duty vetted
helpers of the parent's area; CHILDCARE_RING_SIZE) and schedules the next ring
(CHILDCARE_RING_MINUTES), the pickup-time check and the expiry at pickup time
+ CHILDCARE_GRACE_MINUTES, all as background jobs. With nobody to ask, the
area's coordinators are alerted at once. Results: ``ok`` (data: id, code).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..engine.model import ActionResult
from ..services.childcare import JOB_EXPIRE, JOB_PICKUP, OPEN, codeword, new_code, setting
from ..services.childcare_dispatch import audit, ring, save
from .base import Action


class ChildcareRequest(Action):
    name = "childcare_request"
    params = {"child_name": True, "child_age": False, "place": True, "pickup_at": True}
    outputs = ("id", "code")

    def run(self, ctx, params):
        pickup_at = params.get("pickup_at")
        if not isinstance(pickup_at, datetime):
            pickup_at = ctx.now
        req_id = ctx.ids.next("cc")
        age = params.get("child_age")
        req = {
            "id": req_id, "code": new_code(ctx.store, req_id), "status": OPEN, "parent": ctx.contact.id,
            "child_name": " ".join(str(params.get("child_name") or "").split())[:40],
            "child_age": age if isinstance(age, int) or age is None else str(age),
            "place": " ".join(str(params.get("place") or "").split())[:80],
            "pickup_at": pickup_at, "area": ctx.contact.area, "asked": [], "ring": 0, "helper": None,
            "codeword": codeword(ctx.catalog, ctx.contact.lang, req_id), "created_at": ctx.now,
            "escalations": [], "thanked": False,
        }
        effects = [audit(req, "requested", child=req["child_name"], place=req["place"], pickup_at=pickup_at)]
        grace = timedelta(minutes=setting(ctx, "CHILDCARE_GRACE_MINUTES"))
        effects.append(ctx.schedule_job("childcare_pickup_check", pickup_at, JOB_PICKUP.format(req_id),
                                        request=req_id))
        effects.append(ctx.schedule_job("childcare_expire", pickup_at + grace, JOB_EXPIRE.format(req_id),
                                        request=req_id))
        req, more = ring(ctx, req)
        save(ctx, req)
        return ActionResult("ok", {"id": req_id, "code": req["code"]}, tuple(effects + more))


ACTION = ChildcareRequest()
