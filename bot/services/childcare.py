"""Emergency childcare: the records, settings and lookups its actions share.

Records (the web board and the school alerts rely on these names):

* ``childcare.request`` {id, code, status, parent, child_name, child_age, place,
  pickup_at, area, asked, ring, helper, codeword, created_at} plus the times of
  each step (covered_at, picked_up_at, safe_at, closed_at), ``escalations``
  (reasons sent to coordinators) and ``thanked``.
* ``childcare.child`` {id, parent, name, age, place}: a registered child.
* ``childcare.answer`` {id, request, helper, answer}: a helper's NO, so the
  "covered" notice skips them. Kept apart from the request so answers never
  rewrite the request record (only the claim's winner does).
* ``childcare.claimed`` {id, by, at} and ``childcare.held`` {id, by, at}: who
  decided the request while it was open, then while a helper held it
  (``childcare_claims``); same id as the request.

Contact fields: ``on_duty`` (helpers; missing means on duty),
``trusted_helpers`` (a parent's list of numbers), ``helped_count`` (helpers).

Who gets an open request (the first helper's YES, the parent's call-off or
the expiry job), and whether a held one is picked up or called off, is
decided once across processes by ``childcare_claims``: the winner's decision
record is laid over the request by :func:`merged`, so no later write of the
request can undo it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from . import first_number, int_setting, member
from .childcare_claims import CLAIMED, HELD, take

REQUEST = "childcare.request"
CHILD = "childcare.child"
ANSWER = "childcare.answer"

OPEN, COVERED, PICKED_UP, SAFE = "open", "covered", "picked_up", "safe"
CALLED_OFF, EXPIRED, ESCALATED = "called_off", "expired", "escalated"
STATUSES = (OPEN, COVERED, PICKED_UP, SAFE, CALLED_OFF, EXPIRED, ESCALATED)
ACTIVE = (OPEN, COVERED, PICKED_UP, ESCALATED)  # not over yet
OVER = (SAFE, CALLED_OFF, EXPIRED)

# Settings (env vars, strings): name -> (default, meaning). Listed for the README.
SETTINGS = {
    "CHILDCARE_RING_SIZE": (3, "helpers asked at once in each ring"),
    "CHILDCARE_RING_MINUTES": (5, "minutes between rings"),
    "CHILDCARE_GRACE_MINUTES": (30, "a request with no helper expires this long after its pickup time"),
    "CHILDCARE_BOOKING_MINUTES": (90, "two pickups closer than this are overlapping: one helper never gets both"),
    "CHILDCARE_CLAIM_SECONDS": (30, "a claim whose step never saved (a crashed process) frees the request "
                                    "within twice this"),
}

JOB_RING = "childcare.ring:{}"
JOB_PICKUP = "childcare.pickup:{}"
JOB_EXPIRE = "childcare.expire:{}"
JOB_MONTHLY = "childcare.monthly"  # one fixed key: scheduling it again replaces it
MONTHLY_HOUR = 10



def setting(ctx, name: str) -> int:
    """An integer setting (env values are strings), with its default."""
    return int_setting(ctx.settings, name, SETTINGS[name][0])


def local(ctx, when: datetime | None) -> datetime | None:
    """A stored (maybe UTC) time in the line's timezone, for texts."""
    return when.astimezone(ctx.now.tzinfo) if isinstance(when, datetime) else when


code_in = first_number  # the request code in what someone typed after a command ("482", "#482")
person = member


def tell(ctx, number: str | None, key: str, **values: Any) -> list:
    """A text to another member in their language ([] when unknown)."""
    who = person(ctx.store, number)
    return [ctx.say(who, key, **values)] if who is not None else []


def values(ctx, req: Mapping[str, Any], **more: Any) -> dict:
    """The placeholders every childcare text may use."""
    out = {"child": req.get("child_name"), "age": req.get("child_age"), "place": req.get("place"),
           "time": local(ctx, req.get("pickup_at")), "code": req.get("code"), "codeword": req.get("codeword")}
    out.update(more)
    return out


def first_name(rec: Mapping[str, Any] | None) -> str:
    name = (rec or {}).get("name") or ""
    return name.split(" ")[0] if name else ""


# ------------------------------------------------------------------ helpers
def is_helper(rec: Mapping[str, Any] | None) -> bool:
    """May be asked: a vetted helper who has not opted out (duty aside)."""
    return bool(rec) and "helper" in (rec.get("roles") or ()) and bool(rec.get("vetted")) \
        and not rec.get("opted_out")


def ask_refused(msg: Mapping[str, Any], rec: Mapping[str, Any] | None, store) -> str | None:
    """Why a childcare ask must not go out now, as it is sent (None: it may;
    the reasons are ``web.messages.blocked`` keys in the locales).
    A helper un-vetted after the ring chose them never gets the child's name
    and place; an ask held up by a provider outage does not go once the
    request is covered, called off or over (nobody should rush out for it)."""
    if not is_helper(rec):
        return "not_vetted"
    req = load(store, msg["request"]) if msg.get("request") else None
    if req is not None and not still_looking(req):
        return "request_closed"
    return None


def news_refused(msg: Mapping[str, Any], rec: Mapping[str, Any] | None, store) -> str | None:
    """Why a request's later news to a helper (covered, called off) must not go
    (None: it may). It is for the request's helper and for those whose ask went
    out; someone whose ask was blocked, or still waits on an outage, never
    heard of the request (and an un-vetted one never learns the child's name)."""
    if not msg.get("request"):
        return None
    req = load(store, msg["request"]) or {}
    if req.get("helper") == msg["to"]:
        return None
    for row in store.list_outbound(to=msg["to"], limit=RECENT_TEXTS):
        if row.get("key") == "childcare.ask" and row.get("request") == msg["request"] \
                and row.get("status") not in NOT_SENT:
            return None
    return "ask_not_sent"


NOT_SENT = ("queued", "sending", "blocked", "failed")  # outbox statuses of a text nobody got
RECENT_TEXTS = 100  # a live request's ask is among its helper's latest texts (not their whole history)

# Checked again as each text goes out (bot/services/send_gates.py).
SEND_GATES = {"childcare.ask": ask_refused, "childcare.covered": news_refused,
              "childcare.called_off_helper": news_refused}


def on_duty(rec: Mapping[str, Any]) -> bool:
    return rec.get("on_duty") is not False


def overlaps(ctx, a: datetime, b: datetime) -> bool:
    return abs(a - b) < timedelta(minutes=setting(ctx, "CHILDCARE_BOOKING_MINUTES"))


def busy(ctx, helper: str, req: Mapping[str, Any]) -> bool:
    """Already booked at an overlapping time (or holding a child right now)."""
    for other in ctx.store.find_records(REQUEST, helper=helper):
        other = merged(ctx.store, other)
        if other.get("id") == req.get("id") or other.get("status") not in (COVERED, PICKED_UP, ESCALATED):
            continue
        if other.get("status") == PICKED_UP or overlaps(ctx, other["pickup_at"], req["pickup_at"]):
            return True
    return False


def next_ring(ctx, req: Mapping[str, Any]) -> list[str]:
    """The next helpers to ask: the parent's trusted helpers and the area's
    on-duty vetted helpers first, then everyone else on duty; fewest helps
    first; never someone asked already, busy, unvetted, off duty or the parent."""
    store = ctx.store
    asked = set(req.get("asked") or ())
    parent = store.get_contact(req["parent"]) or {}
    trusted = [str(n) for n in parent.get("trusted_helpers") or ()]
    pool = {c["id"]: c for c in store.list_contacts("helper")
            if is_helper(c) and on_duty(c) and c["id"] != req["parent"] and c["id"] not in asked}
    pool = {n: c for n, c in pool.items() if not busy(ctx, n, req)}
    order = sorted(pool.values(), key=lambda c: (int(c.get("helped_count") or 0), c["id"]))
    near = [n for n in trusted if n in pool]
    near += [c["id"] for c in order if req.get("area") and c.get("area") == req["area"] and c["id"] not in near]
    wide = [c["id"] for c in order if c["id"] not in near]
    first_ring = not asked
    candidates = (near or wide) if first_ring else near + wide
    return candidates[:setting(ctx, "CHILDCARE_RING_SIZE")]


def coordinators(store, area: str | None) -> list[str]:
    """Coordinators of ``area``; every coordinator when the area has none."""
    everyone = [c for c in store.list_contacts("coordinator") if not c.get("opted_out")]
    mine = [c["id"] for c in everyone if area and c.get("area") == area]
    return mine or [c["id"] for c in everyone]


# ------------------------------------------------------------------ requests
def merged(store, req: dict | None) -> dict | None:
    """The request with its decisions laid over it (``childcare_claims``):
    who took it while it was open, then whether it was picked up or called
    off while a helper held it. Only a decision's winner writes its record,
    so a job that rewrote the request at the same moment (Redis commits
    without WATCH) cannot undo the decision: every reader sees it again."""
    if not req:
        return req
    if req.get("status") in (OPEN, ESCALATED) and not req.get("helper"):
        won = store.get_record(CLAIMED, str(req["id"]))
        if not won:
            return req
        if won["by"] in (CALLED_OFF, EXPIRED):
            return {**req, "status": won["by"], "closed_at": req.get("closed_at") or won.get("at")}
        req = {**req, "status": COVERED, "helper": won["by"], "covered_at": won.get("at")}
    if req.get("status") in (COVERED, ESCALATED) and req.get("helper"):
        held = store.get_record(HELD, str(req["id"]))
        if held and held["by"] == PICKED_UP:
            return {**req, "status": PICKED_UP, "picked_up_at": req.get("picked_up_at") or held.get("at")}
        if held and held["by"] == CALLED_OFF:
            return {**req, "status": CALLED_OFF, "closed_at": req.get("closed_at") or held.get("at")}
    return req


def load(store, req_id: str) -> dict | None:
    return merged(store, store.get_record(REQUEST, str(req_id)))


def still_looking(req: Mapping[str, Any]) -> bool:
    """Open for a YES: no helper yet and not over."""
    return req.get("status") in (OPEN, ESCALATED) and not req.get("helper")


def decide(ctx, req: Mapping[str, Any], by: str) -> bool:
    """Take the open request for ``by`` (a helper's number, called_off or
    expired): True for the first caller only, anywhere."""
    return take(ctx, str(req["id"]), "open", by)


def settle(ctx, req: Mapping[str, Any], outcome: str) -> bool:
    """Decide a held request (a helper has it): picked_up or called_off.
    True for the first of the two only; the loser reads the other outcome."""
    return take(ctx, str(req["id"]), "held", outcome)


def newest_first(reqs: Iterable[dict]) -> list[dict]:
    return sorted(reqs, key=lambda r: (r.get("created_at") or datetime.min, str(r.get("id"))), reverse=True)


def parent_requests(store, parent: str, statuses: tuple = ACTIVE) -> list[dict]:
    reqs = (merged(store, r) for r in store.find_records(REQUEST, parent=parent))
    return newest_first(r for r in reqs if r.get("status") in statuses)


def booked(store, helper: str, statuses: tuple) -> list[dict]:
    """The requests ``helper`` took that are in ``statuses``, newest first."""
    reqs = (merged(store, r) for r in store.find_records(REQUEST, helper=helper))
    return newest_first(r for r in reqs if r.get("status") in statuses and r.get("helper") == helper)


def declined(store, req_id: str) -> set[str]:
    return {a["helper"] for a in store.find_records(ANSWER, request=req_id) if a.get("answer") == "no"}


def open_asks(store, helper: str) -> list[dict]:
    """Requests still looking for a helper that asked ``helper`` (minus their NOs)."""
    out = []
    for status in (OPEN, ESCALATED):
        for req in store.find_records(REQUEST, status=status):
            req = merged(store, req)
            looking = req.get("status") in (OPEN, ESCALATED) and req.get("helper") is None
            if looking and helper in (req.get("asked") or ()) and helper not in declined(store, req["id"]):
                out.append(req)
    return newest_first(out)


def asked_with_code(store, helper: str, code: str) -> dict | None:
    """The newest request with this code that asked ``helper`` (open or not)."""
    mine = [merged(store, r) for r in store.find_records(REQUEST, code=code) if helper in (r.get("asked") or ())]
    live = [r for r in mine if r.get("status") in ACTIVE]
    got = newest_first(live) or newest_first(mine)
    return got[0] if got else None


def last_asked(store, helper: str) -> dict | None:
    """The newest request that asked ``helper``, whatever its status (a bare
    YES after it ended is told so)."""
    mine = [merged(store, r) for r in store.find_records(REQUEST) if helper in (r.get("asked") or ())]
    got = newest_first(mine)
    return got[0] if got else None


def pick(reqs: list[dict], code: str) -> tuple[str, dict | None]:
    """("one", request) | ("which", None) | ("none", None) for a command's code."""
    if code:
        hits = [r for r in reqs if r.get("code") == code]
        return ("one", hits[0]) if hits else ("none", None)
    if len(reqs) == 1:
        return "one", reqs[0]
    return ("which", None) if reqs else ("none", None)


def codes_text(reqs: Iterable[dict]) -> str:
    return ", ".join(str(r.get("code")) for r in reqs)


def new_code(store, req_id: str) -> str:
    """Three digits no other live request uses. Derived from the id (fixed in
    transcripts); ``claim`` on (code, how many requests had it) settles two
    parents asking at the same moment."""
    start = int(hashlib.sha256(req_id.encode()).hexdigest(), 16) % 900
    for step in range(900):
        code = str(100 + (start + step) % 900)
        same = store.find_records(REQUEST, code=code)
        if any(r.get("status") in ACTIVE for r in same):
            continue
        if store.claim("childcare.code", f"{code}#{len(same)}", req_id):
            return code
    return str(100 + start)  # 900 live requests at once: never on one line


def codeword(catalog, lang: str | None, req_id: str) -> str:
    words = catalog.words(catalog.lang_for(lang), "childcare.codewords") or ["vecina"]
    return words[int(hashlib.sha256(f"word:{req_id}".encode()).hexdigest(), 16) % len(words)]


def month_start(when: datetime, months_ahead: int = 0) -> datetime:
    """The first day of ``when``'s month (+ months) at MONTHLY_HOUR, same timezone."""
    month = when.month - 1 + months_ahead
    return when.replace(year=when.year + month // 12, month=month % 12 + 1, day=1, hour=MONTHLY_HOUR,
                        minute=0, second=0, microsecond=0)


def next_monthly_run(now: datetime) -> datetime:
    """This month's summary time if it is still ahead, else next month's: a
    SAFE early on the 1st never pushes the pending run a month away."""
    this = month_start(now)
    return this if now < this else month_start(now, 1)
