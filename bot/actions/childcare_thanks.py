"""childcare_thanks: the parent's THANKS (GRACIAS) [note] reaches the helper.

Example::

    thanks:
      action:
        call: childcare_thanks
        with: {note: "{args}"}
        save: thanked
        on: {none: no_thanks}
      goto: thanks_done

Goes to the helper of the parent's newest safe request not thanked yet, with
the note as written (never the parent's number). Results: ``ok`` (data
helper: the helper's first name), ``none`` (nothing to thank for).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import SAFE, first_name, parent_requests, tell
from ..services.childcare_dispatch import audit, save
from .base import Action


class ChildcareThanks(Action):
    name = "childcare_thanks"
    params = {"note": False}
    results = ("ok", "none")
    outputs = ("helper",)

    def run(self, ctx, params):
        todo = [r for r in parent_requests(ctx.store, ctx.contact.id, (SAFE,)) if not r.get("thanked")]
        if not todo:
            return ActionResult("none")
        req = {**todo[0], "thanked": True}
        save(ctx, req)
        note = " ".join(str(params.get("note") or "").split())[:300]
        helper = ctx.store.get_contact(req["helper"])
        key = "childcare.thanks_note_to_helper" if note else "childcare.thanks_to_helper"
        effects = tell(ctx, req["helper"], key, child=req.get("child_name"), note=note)
        effects.append(audit(req, "thanked", helper=req["helper"]))
        return ActionResult("ok", {"helper": first_name(helper)}, tuple(effects))


ACTION = ChildcareThanks()
