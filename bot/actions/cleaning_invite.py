"""cleaning_invite: open a cleaning job between a client and a cleaner; the
cleaner gets a code to ACCEPT (or DECLINE).

Example::

    invite:
      action: {call: cleaning_invite, with: {cleaner: "{cleaner}"}}
      on: {same: ask_cleaner, busy: done}
      goto: tasks

A client names their cleaner (``cleaner``); a coordinator pairs two members
(``client`` and ``cleaner``). Numbers are E.164 (an ``ask: {kind: phone}``
answer); neither side is ever shown the other's number. Being named gives
the cleaner the ``cleaner`` role (the job's commands) and the client ``client``.
Results: ``invited``, ``same`` (their own number), ``busy`` (the client already
has a job), ``bad_number``.
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.cleaning_jobs import invite
from .base import Action


class CleaningInvite(Action):
    name = "cleaning_invite"
    params = {"cleaner": True, "client": False}
    results = ("invited", "same", "busy", "bad_number")

    def run(self, ctx, params):
        client = params.get("client") or ctx.contact.id
        cleaner = params.get("cleaner")
        result, effects = invite(ctx, str(client or ""), str(cleaner or ""))
        return ActionResult(result, {}, tuple(effects))


ACTION = CleaningInvite()
