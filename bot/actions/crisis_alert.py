"""crisis_alert: crisis words written anywhere on the line.

Example::

    alert:
      action: {call: crisis_alert, with: {text: "{text}"}}
      end: true

The person gets the crisis-line text (``peer.crisis``, with the
``CRISIS_LINE`` setting) at once, every coordinator gets ``crisis.alert``
(the person's pseudonym and their words, scrubbed of numbers and addresses),
and the audit log gets an entry under the pseudonym. The words are erased
from the inbound log and the alerts with peer support's texts
(``PEER_RETENTION_DAYS``). The text itself goes
nowhere else: not to a volunteer, not to the other side of a cleaning job,
not to a teacher.

Results: ``ok``.
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services import peer, peer_erase
from .base import Action


class CrisisAlert(Action):
    name = "crisis_alert"
    params = {"text": True}

    def run(self, ctx, params):
        me = ctx.contact
        pseudonym = peer.ensure_pseudonym(ctx, me.id)
        peer_erase.mark_inbound(ctx, me.id)  # their words go with peer support's at retention
        effects = peer.crisis_effects(ctx, me.id, pseudonym, ctx.catalog.lang_for(me.lang),
                                      str(params.get("text") or ""), code="", alert_key="crisis.alert")
        return ActionResult("ok", {}, tuple(effects))


ACTION = CrisisAlert()
