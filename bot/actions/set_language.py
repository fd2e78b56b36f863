"""set_language: change the contact's language.

Example::

    choose:
      say: language.prompt
      ask:
        kind: choice
        save: lang
        options:
          - {value: en, label: language.english}
          - {value: es, label: language.spanish}
        goto: apply
    apply:
      action: {call: set_language, with: {lang: "{lang}"}, on: {ok: done, unknown: choose}}

Results: ``ok`` (data ``lang``), ``unknown`` when the line has no such locale.
"""
from __future__ import annotations

from ..engine.model import ActionResult, UpdateContact
from .base import Action


class SetLanguage(Action):
    name = "set_language"
    params = {"lang": True}
    results = ("ok", "unknown")
    outputs = ("lang",)

    def run(self, ctx, params):
        lang = str(params.get("lang") or "").strip().lower()
        if lang not in ctx.catalog.flat:
            return ActionResult("unknown", {"lang": lang})
        return ActionResult("ok", {"lang": lang}, (UpdateContact(ctx.contact.id, {"lang": lang}),))


ACTION = SetLanguage()
