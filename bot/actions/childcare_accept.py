"""childcare_accept: a helper's YES (YES 482, SI 482, or a bare YES).

Example::

    yes:
      action:
        call: childcare_accept
        with: {code: "{args}"}
        save: got
        on: {mine: mine, covered: taken, called_off: over_called_off, expired: over_expired, over: over_done,
             busy: busy, which: which, none: none}
      goto: assigned

A bare YES takes the helper's one open ask (``which`` with several: data
``codes``). The first YES claims the request atomically (``store.claim``),
even with fifty helpers answering at once from different processes: the
winner gets the child's name, place, time and the one-time code word; the
parent gets the helper's first name and the same code word; everyone else
who was asked is told it is covered. A helper already booked at an
overlapping time is turned down (``busy``); a YES after the parent called it
off or after it expired changes nothing.
Results: assigned, mine, covered, called_off, expired, over, busy, which, none
(data: code, child, age, place, time, codeword, codes).
"""
from __future__ import annotations

from datetime import timedelta

from ..engine.model import ActionResult
from ..services.childcare import (
    CALLED_OFF, COVERED, EXPIRED, JOB_PICKUP, asked_with_code, busy, code_in, codes_text, decide, first_name, last_asked,
    is_helper, load, local, open_asks, pick, setting, still_looking, tell, values,
)
from ..services.childcare_dispatch import audit, covered_notices, save, stop_jobs
from .base import Action


def details(ctx, req) -> dict:
    return {"code": req.get("code"), "child": req.get("child_name"), "age": req.get("child_age"),
            "place": req.get("place"), "time": local(ctx, req.get("pickup_at")), "codeword": req.get("codeword")}


class ChildcareAccept(Action):
    name = "childcare_accept"
    params = {"code": False}
    results = ("assigned", "mine", "covered", "called_off", "expired", "over", "busy", "which", "none")
    outputs = ("code", "child", "age", "place", "time", "codeword", "codes")

    def run(self, ctx, params):
        me = ctx.contact.id
        code = code_in(params.get("code"))
        asks = open_asks(ctx.store, me)
        if code:
            req = asked_with_code(ctx.store, me, code)
        else:
            found, req = pick(asks, "")
            if found == "which":
                return ActionResult("which", {"codes": codes_text(asks)})
            if req is None:
                req = last_asked(ctx.store, me)
        if req is None:
            return ActionResult("none", {"code": code})
        req = load(ctx.store, req["id"])
        got = details(ctx, req)
        if req.get("helper") == me and req.get("status") in (COVERED, "escalated", "picked_up"):
            return ActionResult("mine", got)
        grace = timedelta(minutes=setting(ctx, "CHILDCARE_GRACE_MINUTES"))
        if req.get("status") == CALLED_OFF:
            return ActionResult("called_off", got)
        if req.get("status") == EXPIRED or (still_looking(req) and ctx.now >= req["pickup_at"] + grace):
            return ActionResult("expired", got)
        if not still_looking(req):
            return ActionResult("covered" if req.get("helper") else "over", got)
        if not is_helper(ctx.store.get_contact(me)):
            return ActionResult("none", {"code": code})  # no longer vetted: never booked
        if busy(ctx, me, req):
            return ActionResult("busy", got)
        if not decide(ctx, req, me):
            # Someone else won the claim an instant ago (or the parent called it off).
            again = load(ctx.store, req["id"]) or req
            status = again.get("status")
            return ActionResult(status if status in (CALLED_OFF, EXPIRED) else "covered", got)
        req = {**req, "status": COVERED, "helper": me, "covered_at": ctx.now}
        save(ctx, req)
        helper = ctx.store.get_contact(me)
        effects = stop_jobs(ctx, req, "ring", "expire")  # a request with a helper never expires
        effects.append(ctx.schedule_job("childcare_pickup_check", req["pickup_at"], JOB_PICKUP.format(req["id"]),
                                        request=req["id"]))
        effects += tell(ctx, req["parent"], "childcare.parent_covered", **values(ctx, req, helper=first_name(helper)))
        effects += covered_notices(ctx, req, me)
        effects.append(audit(req, "covered", helper=me))
        return ActionResult("assigned", got, tuple(effects))


ACTION = ChildcareAccept()
