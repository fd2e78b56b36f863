"""update_profile: save the contact's own name or area (neighbourhood).

Example::

    save_name:
      action: {call: update_profile, with: {name: "{name}"}}
      goto: thanks

Only ``name`` and ``area`` can be set this way: roles, vetting and training are
a coordinator's decision, never the member's. Empty values are ignored.
Results: ``ok`` (data: the fields that changed).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit, UpdateContact
from .base import Action

EDITABLE = ("name", "area")
MAX_LEN = {"name": 60, "area": 60}


class UpdateProfile(Action):
    name = "update_profile"
    params = {"name": False, "area": False}
    outputs = EDITABLE

    def run(self, ctx, params):
        changes = {}
        for field in EDITABLE:
            value = params.get(field)
            if isinstance(value, str) and value.strip():
                changes[field] = " ".join(value.split())[: MAX_LEN[field]]
        if not changes:
            return ActionResult("ok", {})
        return ActionResult("ok", changes, (
            UpdateContact(ctx.contact.id, changes),
            Audit(ctx.contact.id, "profile.updated", {"fields": sorted(changes)}),
        ))


ACTION = UpdateProfile()
