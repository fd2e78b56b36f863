"""cleaning_route: a text in a cleaning job's conversation.

Example::

    chat:
      ask: {kind: text, save: text, max: 600, goto: route}
    route:
      action: {call: cleaning_route, with: {text: "{text}", mode: chat}}
      on: {collect: collect, no_job: bye}
      goto: chat

A member in the job's conversation answers a free-text question, where the
engine passes every text to the flow; so the job's command words (locale
``cleaning.commands.*``, the same as the flow's command triggers) are read
here and run as ``cleaning_command`` would. Any other text is a task while the
client lists them (``mode: tasks``), else a note relayed to the other side in
their language, the original one ORIGINAL away.
Results: as ``cleaning_command``.
"""
from __future__ import annotations

from ..services.cleaning import wake_other_side
from ..services.cleaning_commands import route
from .base import Action


class CleaningRoute(Action):
    name = "cleaning_route"
    params = {"text": True, "mode": False}
    results = ("ok", "collect", "sent", "accepted", "declined", "closed", "no_job")

    def run(self, ctx, params):
        return wake_other_side(ctx, route(ctx, params.get("text") or "", str(params.get("mode") or "chat")))


ACTION = CleaningRoute()
