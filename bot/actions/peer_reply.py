"""peer_reply: a volunteer answers a post (ANSWER 482 … / CONTESTAR 482 …).

Example::

    triggers:
      commands:
        - {words: {en: [ANSWER], es: [CONTESTAR]}, save: args, start: answer}
    ...
    answer:
      action: {call: peer_reply, with: {text: "{args}"}}
      end: true

The reply is checked before anything is relayed (``peer_moderate``): no
contact details, links or meeting up, no abuse, at least PEER_MIN_REPLY_CHARS
characters; a refused reply goes back to the volunteer with the reason. Up to
PEER_MAX_REPLIES volunteers may answer a post (each takes a slot with an
atomic claim); a volunteer who answered may write again once the person
wrote back to them. The person gets it signed with the volunteer's
pseudonym, never a number. Every text is sent by the action.

Results: ``sent``, ``usage``, ``unknown``, ``closed``, ``full``, ``wait``,
``blocked``, ``left``, ``contact``, ``abuse``, ``too_short``.
"""
from __future__ import annotations

import re
from datetime import timedelta

from ..engine.model import ActionResult
from ..services import peer
from ..services.peer_erase import mark_inbound
from ..services.peer_moderate import check_reply
from .base import Action

_CODE_THEN_TEXT = re.compile(r"^\s*#?(\d{3,4})\b[\s:,.\-]*(.*)$", re.S)


class PeerReply(Action):
    name = "peer_reply"
    params = {"text": True}
    results = ("sent", "usage", "unknown", "closed", "full", "wait", "blocked", "left",
               "contact", "abuse", "too_short")
    outputs = ("code",)

    def run(self, ctx, params):
        me = ctx.contact
        store = ctx.store

        def done(result: str, key: str, code: str = "", **values) -> ActionResult:
            return ActionResult(result, {"code": code}, (ctx.say(me, key, code=code, **values),))

        mark_inbound(ctx, me.id)  # sent or refused, the answer's inbound copy goes with the post's texts
        if not peer.is_peer(store.get_contact(me.id)):
            return done("blocked", "peer.reply_blocked")
        m = _CODE_THEN_TEXT.match(str(params.get("text") or ""))
        if not m or not m.group(2).strip():
            return done("usage", "peer.reply_usage")
        code, text = m.group(1), " ".join(m.group(2).split())
        alias = peer.ensure_pseudonym(ctx, me.id, "peer_pseudonym")
        posts = [p for p in peer.newest_first(store.find_records(peer.POST, code=code)) if peer.was_asked(store, p, alias)]
        if not posts:
            return done("unknown", "peer.reply_unknown", code)
        post = posts[0]
        too_old = ctx.now - post["created_at"] >= timedelta(hours=peer.setting(ctx, "PEER_OPEN_HOURS"))
        if post.get("status") not in peer.LIVE or too_old:
            return done("closed", "peer.reply_closed", code)
        author = store.get_contact(post["author"])
        if not author or author.get("peer_off") or author.get("opted_out"):  # left, or removed from the line
            return done("left", "peer.person_left", code)
        thread = [r for r in peer.replies(store, post["id"], by=None) if r.get("peer") == me.id]
        if any(r.get("rating") == peer.REPORT for r in thread):
            return done("closed", "peer.reply_closed", code)
        first = not any(r.get("by") == "peer" for r in thread)
        if not first and thread[-1].get("by") == "peer":
            return done("wait", "peer.reply_wait", code)
        max_replies = peer.setting(ctx, "PEER_MAX_REPLIES")
        if first and len(peer.repliers(store, post["id"])) >= max_replies:
            return done("full", "peer.reply_full", code)
        min_chars = peer.setting(ctx, "PEER_MIN_REPLY_CHARS")
        reason = check_reply(text, ctx.catalog, peer.region(ctx), min_chars)
        if reason:
            return done(reason, f"peer.rejected_{reason}", code, min=min_chars)
        # A slot per answering volunteer, claimed atomically: two replies at
        # the same moment can never make it K + 1.
        if first and not any(store.claim("peer.slot", f"{post['id']}:{i}", alias) for i in range(max_replies)):
            return done("full", "peer.reply_full", code)
        reply_id = ctx.ids.next("pr")
        store.put_record(peer.REPLY, reply_id, {
            "id": reply_id, "post": post["id"], "peer": me.id, "peer_pseudonym": alias, "text": text,
            "rating": None, "by": "peer", "created_at": ctx.now})
        effects: list = []
        if first:
            post["replies"] = len(peer.repliers(store, post["id"]))
            if post["replies"] >= max_replies:
                post["status"] = peer.ANSWERED
            store.put_record(peer.POST, post["id"], post)
            effects.append(ctx.cancel_job(peer.JOB_WIDEN.format(post["id"])))
        person = peer.contact(store, post["author"])
        key = "peer.reply_to_you" if peer.listening(store, person.id) else "peer.reply_to_you_away"
        effects.append(ctx.say(person, key, peer=peer.peer_name(ctx, person.lang, alias), text=text))
        effects.append(ctx.say(me, "peer.reply_sent", person=peer.person_name(ctx, me.lang, post["pseudonym"])))
        effects.append(peer.audit(ctx, alias, "peer.replied", code=code, person=post["pseudonym"]))
        return ActionResult("sent", {"code": code}, tuple(effects))


ACTION = PeerReply()
