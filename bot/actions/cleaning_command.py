"""cleaning_command: one of a cleaning job's commands, for either side.

Example::

    done:
      action: {call: cleaning_command, with: {command: done, args: "{args}"}}
      goto: chat

``command`` is one of list, add, remove, send, done, here, no_entry, pay, loan,
repay, accept, decline, cash, reverse, balance, original, visit, close; ``args`` the rest of
the member's text ("2 3", "80 for the week", "482"). What each does:
bot/services/cleaning_jobs.py and cleaning_money.py. Replies go to the member
and texts to the other side in each one's language.
Results: ``ok``; ``collect`` (ADD with nothing after it: ask for tasks),
``sent`` (the list went, or was saved), ``invited``/``accepted``/``declined``
(an invitation answered), ``closed``, ``no_job`` (not in a job).
"""
from __future__ import annotations

from ..services.cleaning import wake_other_side
from ..services.cleaning_commands import run
from .base import Action


class CleaningCommand(Action):
    name = "cleaning_command"
    params = {"command": True, "args": False}
    results = ("ok", "collect", "sent", "accepted", "declined", "closed", "no_job")

    def run(self, ctx, params):
        return wake_other_side(ctx, run(ctx, str(params.get("command") or ""), params.get("args") or ""))


ACTION = CleaningCommand()
