"""peer_begin: someone asks for peer support (TALK / HABLAR, or the menu).

Example::

    begin:
      action: {call: peer_begin, save: status, on: {limit: done, open: open_post, waiting: waiting_post}}
      goto: ask_post
    begin_new:
      action: {call: peer_begin, with: {new: true}, save: status, on: {limit: done}}
      goto: ask_post

TALK brings back someone who left with STOP TALK. The first time, the
expectations go out (volunteers, not therapists; the crisis line). With a
post still open it says so instead of asking for another (unless ``new``).

Results: ``ok`` (ask for the post), ``first`` (the same, after the
expectations text), ``open`` (a live post with replies; data ``replies``),
``waiting`` (a live post nobody answered yet), ``limit`` (PEER_POSTS_PER_DAY
reached: the text with the crisis line went out).
"""
from __future__ import annotations

from ..engine.model import ActionResult, UpdateContact
from ..services import peer
from .base import Action


class PeerBegin(Action):
    name = "peer_begin"
    params = {"new": False}
    results = ("ok", "first", "open", "waiting", "limit")
    outputs = ("replies",)

    def run(self, ctx, params):
        me = ctx.contact
        effects: list = []
        rec = ctx.store.get_contact(me.id) or {}
        if rec.get("peer_off"):
            effects.append(UpdateContact(me.id, {"peer_off": False}))
        peer.ensure_pseudonym(ctx, me.id)
        if params.get("new") is not True:
            live = peer.live_posts(ctx, me.id)
            if live:
                count = len(peer.replies(ctx.store, live[0]["id"]))
                return ActionResult("open" if count else "waiting", {"replies": count}, tuple(effects))
        limit = peer.setting(ctx, "PEER_POSTS_PER_DAY")
        if peer.posts_today(ctx, me.id) >= limit:
            effects.append(ctx.say(me, "peer.limit", limit=limit, crisis_line=peer.crisis_line(ctx)))
            return ActionResult("limit", {"replies": 0}, tuple(effects))
        if not rec.get("peer_intro_seen"):
            effects.append(ctx.say(me, "peer.intro", crisis_line=peer.crisis_line(ctx)))
            effects.append(UpdateContact(me.id, {"peer_intro_seen": True}))
            return ActionResult("first", {"replies": 0}, tuple(effects))
        return ActionResult("ok", {"replies": 0}, tuple(effects))


ACTION = PeerBegin()
