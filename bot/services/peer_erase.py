"""Peer support's texts outside its own records: the inbound log and the outbox.

A post or a reply is also in the inbound log (what the person or volunteer
texted) and in the outbox (the copies relayed to volunteers, to the person,
to coordinators in an alert). The retention job erases those with the
records, keeping delivery status and times:

* outbox rows are peer support's by their locale key (``peer.*``, and the
  crisis screen's ``crisis.*`` alerts), so the
  store finds them itself (``erase_outbound_texts``);
* an inbound row is marked when a peer action reads it: a ``peer.inbound``
  record {id, contact, seq, created_at}, ``seq`` being the message the
  current step handles (the conductor saves it as the contact's ``last_seq``
  in the same transaction). A step with no inbound message (a transcript, a
  job) has no ``last_seq`` to mark. The mark names the number, so the data
  rights page deletes it with the member's other records.

Both act at once, not at the step's commit (a Redis step's Tx passes them to the store).
"""
from __future__ import annotations

from datetime import datetime

from ..store import base as store_base

INBOUND = "peer.inbound"
# every text peer support sends has a peer.* locale key; crisis.* alerts quote
# what someone wrote anywhere on the line
OUTBOX_KEYS = ("peer.", "crisis.")
ERASED = store_base.ERASED


def mark_inbound(ctx, number: str) -> None:
    """Mark the inbound message this step is handling for erasure with the post."""
    seq = (ctx.store.get_contact(number) or {}).get("last_seq")
    if not isinstance(seq, int):
        return
    mark_id = f"{number}:{seq}"
    ctx.store.put_record(INBOUND, mark_id, {"id": mark_id, "contact": number, "seq": seq, "created_at": ctx.now})


def erase_copies(ctx, cutoff: datetime) -> tuple[int, bool]:
    """Erase the inbound and outbox texts of peer support older than
    ``cutoff``. Returns (how many texts, whether marks are left for later)."""
    store = ctx.store  # the store, or a Redis step's Tx that hands these to it
    erased = store.erase_outbound_texts(OUTBOX_KEYS, cutoff, ERASED)  # one walk for both prefixes
    left = False
    for mark in ctx.store.find_records(INBOUND):
        at = mark.get("created_at")
        if at is not None and at >= cutoff:
            left = True
            continue
        erased += bool(store.erase_inbound_text(mark["contact"], mark["seq"], ERASED))
        store.delete_record(INBOUND, str(mark["id"]))
    return erased, left
