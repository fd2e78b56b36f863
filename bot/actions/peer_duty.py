"""peer_duty: a volunteer goes on or off duty (ON DUTY / OFF DUTY, DE TURNO / FUERA DE TURNO).

Example::

    duty_on:
      action: {call: peer_duty, with: {on: true}}
      end: true

Off duty, no new posts come; replies to posts already received still go
through. The confirmation is sent by the action.

Results: ``ok`` (data ``on``).
"""
from __future__ import annotations

from ..engine.model import ActionResult, UpdateContact
from .base import Action


class PeerDuty(Action):
    name = "peer_duty"
    params = {"on": True}
    outputs = ("on",)

    def run(self, ctx, params):
        on = params.get("on") in (True, "true", "yes", "1", 1)
        return ActionResult("ok", {"on": on}, (
            UpdateContact(ctx.contact.id, {"on_duty": on}),
            ctx.say(ctx.contact, "peer.duty_on" if on else "peer.duty_off"),
        ))


ACTION = PeerDuty()
