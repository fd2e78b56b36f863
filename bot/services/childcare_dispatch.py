"""Emergency childcare: rings, escalations and closing a request.

Each function takes the action's ctx and a request dict and returns the
request as it should be saved plus the effects (texts, jobs, audit entries);
the caller saves the request once, so one step writes it once.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..engine.model import Audit, Send
from .childcare import (
    ACTIVE, CALLED_OFF, COVERED, ESCALATED, JOB_EXPIRE, JOB_PICKUP, JOB_RING, REQUEST, coordinators,
    declined, first_name, next_ring, setting, tell, values,
)


def save(ctx, req: dict) -> None:
    ctx.store.put_record(REQUEST, str(req["id"]), req)


def tell_about(ctx, number: str, key: str, req: dict) -> list:
    """A text to a helper about ``req``, with the request's id on its outbox
    row: the send path checks, as it goes, that the ask is still wanted and
    that later news reaches only those the ask reached (childcare.SEND_GATES)."""
    return [Send(s.to, s.text, s.key, s.choices, s.lang, {"request": req["id"]})
            for s in tell(ctx, number, key, **values(ctx, req))]


def audit(req: dict, what: str, **data: Any) -> Audit:
    """An audit line for a step of a request (the conductor adds the time)."""
    return Audit(req["parent"], f"childcare.{what}", {"request": req["id"], "code": req.get("code"), **data})


def ring(ctx, req: dict) -> tuple[dict, list]:
    """Ask the next ring of helpers and plan the one after; when nobody is
    left to ask, alert the area's coordinators instead."""
    names = next_ring(ctx, req)
    if not names:
        return escalate(ctx, req, "no_helper")
    req = {**req, "asked": list(req.get("asked") or ()) + names, "ring": int(req.get("ring") or 0) + 1}
    effects: list = []
    for number in names:
        effects += tell_about(ctx, number, "childcare.ask", req)
    minutes = setting(ctx, "CHILDCARE_RING_MINUTES")
    effects.append(ctx.schedule_job("childcare_ring", ctx.now + timedelta(minutes=minutes),
                                    JOB_RING.format(req["id"]), request=req["id"]))
    effects.append(audit(req, "ring", ring=req["ring"], asked=names))
    return req, effects


def escalate(ctx, req: dict, reason: str) -> tuple[dict, list]:
    """Every coordinator of the area gets the summary (never the parent's
    number: they look the code up on the board); the parent hears what
    happens next. Once per reason."""
    done = list(req.get("escalations") or ())
    if reason in done or req.get("status") not in ACTIVE:
        return req, []
    req = {**req, "escalations": done + [reason], "status": ESCALATED}
    helper = ctx.store.get_contact(req["helper"]) if req.get("helper") else None
    vals = values(ctx, req, area=req.get("area") or "", helper=first_name(helper))
    effects: list = []
    for number in coordinators(ctx.store, req.get("area")):
        effects += tell(ctx, number, f"childcare.coord_{reason}", **vals)
    effects += tell(ctx, req["parent"], f"childcare.parent_{reason}", **vals)
    effects.append(audit(req, "escalated", reason=reason))
    return req, effects


def covered_notices(ctx, req: dict, winner: str) -> list:
    """"Covered" to everyone else who was asked and did not say NO."""
    skip = declined(ctx.store, req["id"]) | {winner}
    out: list = []
    for number in req.get("asked") or ():
        if number not in skip:
            out += tell_about(ctx, number, "childcare.covered", req)
    return out


def stop_jobs(ctx, req: dict, *which: str) -> list:
    keys = {"ring": JOB_RING, "pickup": JOB_PICKUP, "expire": JOB_EXPIRE}
    return [ctx.cancel_job(keys[w].format(req["id"])) for w in which or keys]


def call_off(ctx, req: dict) -> tuple[dict, list]:
    """The parent called it off. Told: the helper who has it, or, while no
    one has it, whoever was asked and still has the ask open. Those already
    told it was covered, and those who said NO, hear nothing more."""
    req = {**req, "status": CALLED_OFF, "closed_at": ctx.now}
    effects = stop_jobs(ctx, req)
    for number in still_asked(ctx, req):
        effects += tell_about(ctx, number, "childcare.called_off_helper", req)
    effects.append(audit(req, "called_off", helper=req.get("helper")))
    return req, effects


def still_asked(ctx, req: dict) -> list[str]:
    """Who still expects news of this request: its helper, else the open asks."""
    if req.get("helper"):
        return [req["helper"]]
    no = declined(ctx.store, req["id"])
    return [n for n in req.get("asked") or () if n not in no]


def over_for_parent(ctx, req: dict):
    """Wakes the parent's request conversation so its call-off question ends."""
    return ctx.emit(req["parent"], "childcare_over", request=req["id"])


def has_helper(req: dict) -> bool:
    return req.get("status") in (COVERED, ESCALATED) and bool(req.get("helper"))
