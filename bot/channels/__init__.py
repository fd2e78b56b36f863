"""Channel adapters. Each is thin: verify the provider's request, parse it to
one :class:`~bot.pipeline.Inbound`, and render one outbound message for its
channel. Everything in between (lock, keywords, engine, store) is shared.

Each adapter module has:

* ``init_app(app, runtime)``: register its webhook routes on the Flask app
  (Twilio's as lean routes, bot/web/lean_routes.py: called once for every
  message, they do little work of their own, and Flask's request context
  around them cost more than it);
* ``senders(cfg) -> dict``: its channel name(s) -> a Sender (bot.outbox) when
  its credentials are configured; a channel left out falls back to the
  recording sender (messages are stored, not sent).
"""
from __future__ import annotations

import importlib
from typing import Any

ADAPTERS = ("bot.channels.twilio_sms", "bot.channels.ussd", "bot.channels.telegram")


def _modules():
    for name in ADAPTERS:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a missing dependency is a real error
                raise


def init_app(app: Any, runtime: Any) -> None:
    for module in _modules():
        module.init_app(app, runtime)


def senders(cfg: Any) -> dict:
    out: dict = {}
    for module in _modules():
        out.update(module.senders(cfg))
    return out
