"""childcare_trust: a parent names a trusted helper by number.

Example::

    save_trusted:
      action: {call: childcare_trust, with: {number: "{number}"}, on: {self: trusted_self}}
      goto: trusted_saved

Adds the number (E.164, as the ``phone`` question saves it) to the parent's
``trusted_helpers``. Trusted helpers are asked in the first ring, but only
when a coordinator has vetted them as helpers and they are on duty.
Results: ``ok`` (data count), ``self`` (their own number).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit, UpdateContact
from .base import Action

MAX_TRUSTED = 10


class ChildcareTrust(Action):
    name = "childcare_trust"
    params = {"number": True}
    results = ("ok", "self")
    outputs = ("count",)

    def run(self, ctx, params):
        number = str(params.get("number") or "").strip()
        if not number or number == ctx.contact.id:
            return ActionResult("self")
        trusted = [n for n in ctx.contact.fields.get("trusted_helpers") or () if n != number]
        trusted = (trusted + [number])[-MAX_TRUSTED:]
        return ActionResult("ok", {"count": len(trusted)}, (
            UpdateContact(ctx.contact.id, {"trusted_helpers": trusted}),
            Audit(ctx.contact.id, "childcare.trusted_added", {"count": len(trusted)}),
        ))


ACTION = ChildcareTrust()
