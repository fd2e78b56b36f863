"""Emergency childcare: who decides a request's next step, once, across processes.

Two moments have rivals:

* ``open``: no helper yet. A helper's YES, the parent's call-off and the
  expiry job race; the winner writes ``childcare.claimed`` {id, by, at}.
* ``held``: a helper has it, the child is not picked up yet. The helper's
  PICKED UP and the parent's call-off race; the winner writes
  ``childcare.held`` {id, by: picked_up | called_off, at}.

Each decision record is written only by its winner, in the same step as the
request, and :func:`bot.services.childcare.merged` lays it over the request,
so a rewrite of the request by anyone else (a ring or pickup-check job that
read it a moment before) can never undo the decision: the request record is
never last-write-wins on its status.

The winner is settled with ``store.claim``. On Redis a claim is taken at
once, not when the step commits, so a process that dies between the claim
and the commit would leave a claim with no decision record: nobody could
ever win again. So the claim keys carry a time slot of
CHILDCARE_CLAIM_SECONDS (default 30): a rival claims its own slot and the
next one. Two rivals less than one slot apart always share a key (exactly
one wins); a claim whose decision record never appeared stops blocking
anyone within two slots, and the next YES (or call-off) wins. A winner has
that long to commit its step (steps take milliseconds; the contact lock
gives up after 10 s).
"""
from __future__ import annotations

from typing import Any, Mapping

from . import int_setting

KIND = "childcare.step"  # claim kind: "<request id>:<moment>@<slot>"
CLAIMED = "childcare.claimed"  # open: {id: request id, by: helper number | called_off | expired, at}
HELD = "childcare.held"  # held: {id: request id, by: picked_up | called_off, at}
RECORDS = {"open": CLAIMED, "held": HELD}
DEFAULT_SECONDS = 30


def slot_seconds(settings: Mapping[str, Any]) -> int:
    return int_setting(settings, "CHILDCARE_CLAIM_SECONDS", DEFAULT_SECONDS)


def decision(store, req_id: str, moment: str) -> dict | None:
    """The committed decision of ``moment`` for a request, if any."""
    return store.get_record(RECORDS[moment], str(req_id))


def take(ctx, req_id: str, moment: str, by: str) -> bool:
    """True for the one rival that decides ``moment`` of the request; it must
    then save the request in this step (the decision record is written here)."""
    if decision(ctx.store, req_id, moment):
        return False
    slot = int(ctx.now.timestamp()) // max(1, slot_seconds(ctx.settings))
    for n in (slot, slot + 1):
        if not ctx.store.claim(KIND, f"{req_id}:{moment}@{n}", by):
            return False
    ctx.store.put_record(RECORDS[moment], str(req_id), {"id": str(req_id), "by": by, "at": ctx.now})
    return True
