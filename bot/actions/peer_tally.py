"""peer_tally: a volunteer's own helpfulness tally (MY TALLY / MI CUENTA).

Example::

    tally:
      action: {call: peer_tally}
      end: true

Counts the volunteer's replies and how the people rated them; the text is
sent by the action. Reports are for coordinators and are not shown here.

Results: ``ok`` (data ``total``, ``helpful``, ``not_helpful``).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services import peer
from .base import Action


class PeerTally(Action):
    name = "peer_tally"
    outputs = ("total", "helpful", "not_helpful")

    def run(self, ctx, params):
        mine = [r for r in ctx.store.find_records(peer.REPLY, peer=ctx.contact.id) if r.get("by") == "peer"]
        data = {"total": len(mine),
                "helpful": sum(1 for r in mine if r.get("rating") == peer.HELPFUL),
                "not_helpful": sum(1 for r in mine if r.get("rating") == peer.NOT_HELPFUL)}
        return ActionResult("ok", data, (ctx.say(ctx.contact, "peer.tally", **data),))


ACTION = PeerTally()
