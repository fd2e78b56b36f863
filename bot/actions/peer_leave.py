"""peer_leave: STOP TALK / PARAR HABLAR: leave peer support, and nothing else.

Example::

    triggers:
      commands:
        - {words: {en: ["STOP TALK"], es: ["PARAR HABLAR"]}, start: leave}
    ...
    leave:
      action: {call: peer_leave}
      goto: left

Not a carrier opt-out (the whole message is not STOP): every other service
keeps texting. Open posts close, replies stop, and a volunteer gets no more
posts. TALK comes back.

Results: ``ok``.
"""
from __future__ import annotations

from ..engine.model import ActionResult, UpdateContact
from ..services import peer
from .base import Action


class PeerLeave(Action):
    name = "peer_leave"

    def run(self, ctx, params):
        me = ctx.contact
        effects: list = [UpdateContact(me.id, {"peer_off": True})]
        for post in peer.live_posts(ctx, me.id):
            post["status"] = peer.CLOSED
            ctx.store.put_record(peer.POST, post["id"], post)
            effects.append(ctx.cancel_job(peer.JOB_WIDEN.format(post["id"])))
        rec = ctx.store.get_contact(me.id) or {}
        effects.append(peer.audit(ctx, str(rec.get("pseudonym") or rec.get("peer_pseudonym") or "-"), "peer.left"))
        return ActionResult("ok", {}, tuple(effects))


ACTION = PeerLeave()
