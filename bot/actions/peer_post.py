"""peer_post: screen, scrub and send someone's post to a few volunteers.

Example::

    send:
      action: {call: peer_post, with: {text: "{post_text}"}, save: post, on: {crisis: done, limit: done, held: held, leave: leave}}
      goto: posted

In this order: crisis words (``peer.crisis_phrases`` of every language) →
the crisis-line text to the person at once, every coordinator alerted by
pseudonym, the post kept as ``crisis`` and sent to no volunteer. Then the
daily limit. Then numbers, e-mails, links, handles, addresses and names
become ``peer.removed``, and the post goes to PEER_FANOUT available
volunteers who share the person's language; a job widens the circle after
PEER_WAIT_MINUTES without a reply (``peer_widen``). Nobody free at all →
the ``held`` result, for the kind holding text at once.

Results: ``posted`` (data ``code``, ``asked``: how many volunteers got it,
``crisis_line``), ``held`` (the same, but nobody was free: the flow says
``peer.posted_held``), ``crisis``, ``limit``, ``leave`` (the "post" was STOP
TALK / PARAR HABLAR: the question takes free text, so the command is read here).
"""
from __future__ import annotations

from datetime import timedelta

from ..engine.model import ActionResult
from ..services import peer
from ..services.peer_erase import mark_inbound
from ..services.peer_scrub import scrub
from .base import Action


class PeerPost(Action):
    name = "peer_post"
    params = {"text": True}
    results = ("posted", "held", "crisis", "limit", "leave")
    outputs = ("code", "asked", "crisis_line")

    def run(self, ctx, params):
        me = ctx.contact
        text = " ".join(str(params.get("text") or "").split())
        if peer.said(ctx.catalog, "peer.leave_words", text):  # STOP TALK typed instead of a post
            return ActionResult("leave", {"code": "", "asked": 0, "crisis_line": peer.crisis_line(ctx)})
        mark_inbound(ctx, me.id)  # the post's copy in the inbound log goes with the post (peer_retention)
        lang = ctx.catalog.lang_for(me.lang)
        pseudonym = peer.ensure_pseudonym(ctx, me.id)
        post_id = ctx.ids.next("pp")
        code = peer.new_code(ctx)
        post = {"id": post_id, "code": code, "author": me.id, "pseudonym": pseudonym, "lang": lang,
                "text": "", "status": peer.OPEN, "asked": [], "replies": 0, "created_at": ctx.now}
        if peer.is_crisis(ctx, text):
            post["text"], _ = scrub(text, ctx.catalog.text(lang, "peer.removed"), peer.region(ctx))
            post["status"] = peer.CRISIS
            ctx.store.put_record(peer.POST, post_id, post)
            effects = peer.crisis_effects(ctx, me.id, pseudonym, lang, text, code, post_id)
            return ActionResult("crisis", {"code": code, "asked": 0, "crisis_line": peer.crisis_line(ctx)}, tuple(effects + [peer.schedule_retention(ctx)]))
        limit = peer.setting(ctx, "PEER_POSTS_PER_DAY")
        if peer.posts_today(ctx, me.id) >= limit:
            return ActionResult("limit", {"code": "", "asked": 0, "crisis_line": peer.crisis_line(ctx)}, (
                ctx.say(me, "peer.limit", limit=limit, crisis_line=peer.crisis_line(ctx)),))
        post["text"], kinds = scrub(text, ctx.catalog.text(lang, "peer.removed"), peer.region(ctx))
        chosen = peer.available(ctx, lang, exclude=[me.id])[:peer.setting(ctx, "PEER_FANOUT")]
        effects = peer.mark_asked(ctx, post, chosen)  # saves the post
        if not chosen:  # the flow says so (peer.posted_held), with the crisis line
            post["held"] = True
            ctx.store.put_record(peer.POST, post_id, post)
        wait = timedelta(minutes=peer.setting(ctx, "PEER_WAIT_MINUTES"))
        effects.append(ctx.schedule_job("peer_widen", ctx.now + wait, peer.JOB_WIDEN.format(post_id), post=post_id))
        effects.append(peer.schedule_retention(ctx))
        effects.append(peer.audit(ctx, pseudonym, "peer.posted", code=code, asked=len(chosen), removed=kinds))
        data = {"code": code, "asked": len(chosen), "crisis_line": peer.crisis_line(ctx)}
        return ActionResult("posted" if chosen else "held", data, tuple(effects))


ACTION = PeerPost()
