"""peer_widen: a background job: nobody has replied to a post yet, so ask more volunteers.

Scheduled by ``peer_post`` (and by itself) PEER_WAIT_MINUTES apart::

    ctx.schedule_job("peer_widen", at, "peer.widen:<post id>", post=post_id)

As a flow action (rarely needed)::

    widen:
      action: {call: peer_widen, with: {post: "{post.id}"}}
      goto: next

Each run sends the post to PEER_FANOUT more available volunteers who share
its language and were not asked yet. When there is nobody new, the person
gets the kind holding text (once). It stops once someone replied, the post is
no longer open, or it is older than PEER_OPEN_HOURS.

Results: ``ok`` (data ``asked``: volunteers asked this time), ``done`` (nothing more to do).
"""
from __future__ import annotations

from datetime import timedelta

from ..engine.model import ActionResult
from ..services import peer
from .base import Action


class PeerWiden(Action):
    name = "peer_widen"
    params = {"post": True}
    results = ("ok", "done")
    outputs = ("asked",)

    def run(self, ctx, params):
        post = ctx.store.get_record(peer.POST, str(params.get("post") or ""))
        if not post or post.get("status") != peer.OPEN or peer.replies(ctx.store, post["id"]):
            return ActionResult("done", {"asked": 0})
        if ctx.now - post["created_at"] >= timedelta(hours=peer.setting(ctx, "PEER_OPEN_HOURS")):
            return ActionResult("done", {"asked": 0})
        author = ctx.store.get_contact(post["author"])
        if not author or author.get("peer_off") or author.get("opted_out"):
            return ActionResult("done", {"asked": 0})
        asked = set(post.get("asked") or ()) | {post["author"]}
        chosen = peer.available(ctx, post["lang"], exclude=asked)[:peer.setting(ctx, "PEER_FANOUT")]
        effects = peer.mark_asked(ctx, post, chosen) if chosen else []
        if not chosen and not post.get("held"):
            post["held"] = True
            ctx.store.put_record(peer.POST, post["id"], post)
            effects.append(ctx.say(peer.contact(ctx.store, post["author"]), "peer.holding",
                                   crisis_line=peer.crisis_line(ctx)))
        wait = timedelta(minutes=peer.setting(ctx, "PEER_WAIT_MINUTES"))
        effects.append(ctx.schedule_job("peer_widen", ctx.now + wait, peer.JOB_WIDEN.format(post["id"]),
                                        post=post["id"]))
        return ActionResult("ok", {"asked": len(chosen)}, tuple(effects))


ACTION = PeerWiden()
