"""childcare_place: where to pick the child up, from an answer to "Reply 1 for
Lincoln School, or write the place".

Example::

    known_place:
      action:
        call: childcare_place
        with: {answer: "{place_answer}", known: "{place_hint}"}
        save: where
      goto: use_place

"1" (or the known place's own name) keeps the known place; anything else is
the new place, tidied. Results: ``ok`` (data ``place``).
"""
from __future__ import annotations

from ..engine.inputs.normalize import normalize
from ..engine.model import ActionResult
from .base import Action

KEEP = {"1", "uno", "one"}


class ChildcarePlace(Action):
    name = "childcare_place"
    params = {"answer": True, "known": False}
    outputs = ("place",)

    def run(self, ctx, params):
        answer = " ".join(str(params.get("answer") or "").split())[:80]
        known = str(params.get("known") or "")
        if known and (normalize(answer) in KEEP or normalize(answer) == normalize(known) or not answer):
            return ActionResult("ok", {"place": known})
        return ActionResult("ok", {"place": answer or known})


ACTION = ChildcarePlace()
