"""childcare_duty: a helper goes off duty (PAUSE / PAUSA) or back on (RESUME / SEGUIR).

Example::

    pause:
      action: {call: childcare_duty, with: {on_duty: "no"}}
      goto: paused

Sets the contact's ``on_duty`` field; off-duty helpers are never asked.
Results: ``ok`` (data on_duty).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit, UpdateContact
from .base import Action

ON = {"yes", "true", "1", "on"}


class ChildcareDuty(Action):
    name = "childcare_duty"
    params = {"on_duty": True}
    outputs = ("on_duty",)

    def run(self, ctx, params):
        value = params.get("on_duty")
        on = value is True or str(value).strip().lower() in ON
        return ActionResult("ok", {"on_duty": on}, (
            UpdateContact(ctx.contact.id, {"on_duty": on}),
            Audit(ctx.contact.id, "childcare.duty", {"on_duty": on}),
        ))


ACTION = ChildcareDuty()
