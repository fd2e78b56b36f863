"""peer_listen: what the person writes while their post is open.

Example::

    heard:
      action:
        call: peer_listen
        with: {text: "{said}"}
        save: heard
        on: {rated: rated, reported: reported, answered: answered, nothing: nothing_to_rate,
             no_reply: no_reply_yet, new: begin_new, status: begin, closed: begin, leave: leave, crisis: done,
             contact: refused_contact}
      goto: begin

* ``1``, ``2``, ``3`` rate the newest unrated reply: helpful, not helpful,
  report. A report alerts every coordinator (pseudonyms and the reply's
  text) and that volunteer cannot write on this post again.
* ``peer.new_words`` (NEW / NUEVO) start a new post, ``peer.status_words``
  (TALK / HABLAR) show the post's state, ``peer.leave_words`` (STOP TALK /
  PARAR HABLAR) leave: the listening question takes free text, so these are
  read here rather than as triggers.
* Anything else writes back to the volunteer of the newest reply: screened
  for crisis words first (→ the crisis line, coordinators alerted, the post
  closes as ``crisis``); a write-back that tries to exchange contacts (a
  number, e-mail, link, @handle, address or name, or a phrase from
  ``peer.contact_phrases`` such as "call me", "nos vemos") is not relayed, as
  a volunteer's reply would not be (``contact``: the flow tells the person
  why); anything else is scrubbed all the same, then relayed under pseudonyms.

Every text screened here is marked for the retention job
(``peer_erase.mark_inbound``): its copy in the inbound log is erased with the
post's texts.

Results: ``rated``, ``reported``, ``answered`` (data ``peer``: the volunteer's
name), ``contact`` (refused; ``peer`` as for ``answered``), ``nothing`` (no
reply to rate), ``no_reply`` (nobody to write back to yet), ``new``,
``status``, ``leave``, ``closed`` (no open post), ``crisis``.
"""
from __future__ import annotations

from ..engine.inputs.normalize import normalize
from ..engine.model import ActionResult
from ..services import peer
from ..services.peer_erase import mark_inbound
from ..services.peer_moderate import contact_attempt
from ..services.peer_scrub import scrub
from .base import Action

_RATING_WORDS = {"1": "1", "2": "2", "3": "3", "one": "1", "two": "2", "three": "3",
                 "uno": "1", "dos": "2", "tres": "3"}


class PeerListen(Action):
    name = "peer_listen"
    params = {"text": True}
    results = ("rated", "reported", "answered", "contact", "nothing", "no_reply", "new", "status", "leave", "closed",
               "crisis")
    outputs = ("peer",)

    def run(self, ctx, params):
        text = " ".join(str(params.get("text") or "").split())
        catalog = ctx.catalog
        for key, result in (("peer.leave_words", "leave"), ("peer.new_words", "new"), ("peer.status_words", "status")):
            if peer.said(catalog, key, text):
                return ActionResult(result, {"peer": ""})
        me = ctx.contact
        lang = catalog.lang_for(me.lang)
        live = peer.live_posts(ctx, me.id)
        rating = _RATING_WORDS.get(normalize(text))
        if not rating:
            mark_inbound(ctx, me.id)  # a post's thread (or crisis words): its log copy goes with the post
        if peer.is_crisis(ctx, text):
            # Screened before anything else: with or without a reply yet, with
            # or without an open post, crisis words always get the crisis line
            # and the coordinators, and go to no volunteer.
            post = live[0] if live else None
            if post is not None:
                post["status"] = peer.CRISIS
                ctx.store.put_record(peer.POST, post["id"], post)
            pseudonym = post["pseudonym"] if post else peer.ensure_pseudonym(ctx, me.id)
            effects = peer.crisis_effects(ctx, me.id, pseudonym, lang, text, post["code"] if post else "",
                                          post["id"] if post else None)
            return ActionResult("crisis", {"peer": ""}, tuple(effects))
        if not live:
            return ActionResult("closed", {"peer": ""})
        post = live[0]
        replies = peer.replies(ctx.store, post["id"])
        if rating:
            unrated = [r for r in replies if not r.get("rating")]
            if not unrated:
                return ActionResult("nothing", {"peer": ""})
            return self.rate(ctx, post, unrated[-1], peer.RATINGS[rating])
        if not replies:
            return ActionResult("no_reply", {"peer": ""})
        # newest reply whose volunteer can still be reached
        target = next((r for r in reversed(replies) if r.get("rating") != peer.REPORT
                       and peer.is_peer(ctx.store.get_contact(r["peer"]))), None)
        if target is None:
            return ActionResult("closed", {"peer": ""})
        volunteer_name = peer.peer_name(ctx, me.lang, target["peer_pseudonym"])
        if contact_attempt(text, catalog, peer.region(ctx)):
            # Refused, not scrubbed: the person learns why, as a volunteer does.
            return ActionResult("contact", {"peer": volunteer_name}, (
                peer.audit(ctx, post["pseudonym"], "peer.writeback_refused", code=post["code"], reason="contact",
                           to=target["peer_pseudonym"]),))
        clean, kinds = scrub(text, catalog.text(lang, "peer.removed"), peer.region(ctx))
        reply_id = ctx.ids.next("pr")
        ctx.store.put_record(peer.REPLY, reply_id, {
            "id": reply_id, "post": post["id"], "peer": target["peer"], "peer_pseudonym": target["peer_pseudonym"],
            "text": clean, "rating": None, "by": "person", "created_at": ctx.now})
        volunteer = peer.contact(ctx.store, target["peer"])
        return ActionResult("answered", {"peer": volunteer_name}, (
            ctx.say(volunteer, "peer.to_peer_writeback", code=post["code"], text=clean,
                    person=peer.person_name(ctx, volunteer.lang, post["pseudonym"])),
            peer.audit(ctx, post["pseudonym"], "peer.wrote_back", code=post["code"], to=target["peer_pseudonym"],
                       removed=kinds),
        ))

    def rate(self, ctx, post: dict, reply: dict, rating: str) -> ActionResult:
        reply = {**reply, "rating": rating}
        ctx.store.put_record(peer.REPLY, str(reply["id"]), reply)
        effects: list = [peer.audit(ctx, post["pseudonym"], "peer.rated", code=post["code"], rating=rating,
                                    peer=reply["peer_pseudonym"])]
        if rating != peer.REPORT:
            return ActionResult("rated", {"peer": ""}, tuple(effects))
        effects += peer.alert_coordinators(
            ctx, "peer.alert_report", code=post["code"], text=reply.get("text") or "", n=reply["peer_pseudonym"],
            person=lambda l: peer.person_name(ctx, l, post["pseudonym"]),
            peer=lambda l: peer.peer_name(ctx, l, reply["peer_pseudonym"]))
        return ActionResult("reported", {"peer": ""}, tuple(effects))


ACTION = PeerListen()
