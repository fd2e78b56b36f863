"""peer_retention: the daily job that erases old post and reply texts.

Scheduled by ``peer_post`` (and by itself) at 03:00 line time under one key::

    ctx.schedule_job("peer_retention", at, "peer.retention")

As a flow action (e.g. a coordinator's "erase now")::

    erase:
      action: {call: peer_retention}
      goto: done

Texts of ``peer.post`` and ``peer.reply`` records older than
PEER_RETENTION_DAYS become "" (``erased: true``); the rest of the record
(pseudonyms, codes, ratings) stays for tallies and the board. The same
texts elsewhere go too (``peer_erase``): the outbox rows peer support sent
(keys ``peer.*``: the copies to volunteers, the person and coordinators) and
the inbound log rows its actions read (posts, answers, write-backs, refused
ones too) become "[erased]", keeping their delivery status and times. Posts
older than PEER_OPEN_HOURS close. It schedules itself again while any text,
mark or open post is left.

Results: ``ok`` (data ``erased``: how many record texts, ``closed``: how many
posts, ``copies``: how many inbound and outbox texts).
"""
from __future__ import annotations

from datetime import timedelta

from ..engine.model import ActionResult
from ..services import peer
from ..services.peer_erase import erase_copies
from .base import Action


class PeerRetention(Action):
    name = "peer_retention"
    outputs = ("erased", "closed", "copies")

    def run(self, ctx, params):
        store = ctx.store
        cutoff = ctx.now - timedelta(days=peer.setting(ctx, "PEER_RETENTION_DAYS"))
        open_cutoff = ctx.now - timedelta(hours=peer.setting(ctx, "PEER_OPEN_HOURS"))
        erased = closed = 0
        left = False
        for kind in (peer.POST, peer.REPLY):
            for row in store.find_records(kind):
                changed = False
                at = row.get("created_at")
                if kind == peer.POST and row.get("status") in peer.LIVE and at and at < open_cutoff:
                    row["status"] = peer.CLOSED
                    closed += 1
                    changed = True
                elif kind == peer.POST and row.get("status") in peer.LIVE:
                    left = True  # to close it when its time is up
                if row.get("text"):
                    if at and at < cutoff:
                        row["text"], row["erased"] = "", True
                        erased += 1
                        changed = True
                    else:
                        left = True
                if changed:
                    store.put_record(kind, str(row["id"]), row)
        copies, marks_left = erase_copies(ctx, cutoff)
        effects = [peer.schedule_retention(ctx)] if left or marks_left else []
        return ActionResult("ok", {"erased": erased, "closed": closed, "copies": copies}, tuple(effects))


ACTION = PeerRetention()
