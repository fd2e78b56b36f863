"""peer_suspend: a coordinator pauses a volunteer, or lets them answer again.

Example::

    triggers:
      commands:
        - {words: {en: [SUSPEND], es: [SUSPENDER]}, save: args, start: suspend}
        - {words: {en: [REINSTATE], es: [REACTIVAR]}, save: args, start: reinstate}
    ...
    suspend:
      action: {call: peer_suspend, with: {who: "{args}", suspend: true}}
      end: true

``who`` is the volunteer's pseudonym as reports show it ("3310" or
"Volunteer 3310"). A suspended volunteer (contact field ``suspended``) gets
no posts and their replies are refused. The coordinator's confirmation (and
the volunteer's notice) are sent by the action.

Results: ``ok`` (data ``peer``), ``unknown`` (no such volunteer), ``usage`` (no number given).
"""
from __future__ import annotations

from ..engine.model import ActionResult, UpdateContact
from ..services import peer
from .base import Action


class PeerSuspend(Action):
    name = "peer_suspend"
    params = {"who": True, "suspend": True}
    results = ("ok", "unknown", "usage")
    outputs = ("peer",)

    def run(self, ctx, params):
        me = ctx.contact
        alias = peer.digits_in(params.get("who"))
        if not alias:
            return ActionResult("usage", {"peer": ""}, (ctx.say(me, "peer.suspend_usage"),))
        rec = peer.find_peer(ctx.store, alias)
        if rec is None:
            return ActionResult("unknown", {"peer": alias}, (ctx.say(me, "peer.suspend_unknown", n=alias),))
        suspend = params.get("suspend") in (True, "true", "yes", "1", 1)
        name = peer.peer_name(ctx, me.lang, alias)
        effects: list = [UpdateContact(rec["id"], {"suspended": suspend}),
                         ctx.say(me, "peer.suspended" if suspend else "peer.reinstated", peer=name),
                         peer.audit(ctx, alias, "peer.suspended" if suspend else "peer.reinstated")]
        if suspend:
            effects.append(ctx.say(peer.contact(ctx.store, rec["id"]), "peer.suspended_notice"))
        return ActionResult("ok", {"peer": name}, tuple(effects))


ACTION = PeerSuspend()
