"""Shared test helpers: the real flows and locales, a fixed clock, a conductor."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.conversation import Conductor
from bot.engine.flowset import build
from bot.engine.model import CounterIds
from bot.engine.runner import Engine, Settings
from bot.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 13, 0, tzinfo=TZ)  # a Monday, 1 pm
PARENT = "+14155552671"
OTHER = "+14155552672"


def texts(folder: Path) -> dict[str, str]:
    # locales/ also holds glossary.yaml (not a language): only ll.yaml files there, as bot/flowfiles.py reads them
    return {f"{folder.name}/{p.name}": p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))
            if folder.name != "locales" or (p.stem.isalpha() and len(p.stem) <= 3)}


@lru_cache(maxsize=None)
def flowset():
    return build(texts(ROOT / "flows"), texts(ROOT / "locales"))


def engine(**settings) -> Engine:
    return Engine(flowset(), Settings(**settings))


def conductor(store: MemoryStore | None = None, **settings) -> Conductor:
    return Conductor(engine(**settings), store or MemoryStore(), CounterIds())


# A flow that waits for an event with a timeout (waits, timers, restarts).
WAITER = """
flow: waiter
triggers: {keywords: {en: [WAITER], es: [ESPERA]}}
start: ask_time
states:
  ask_time:
    say: profile.ask_name
    ask: {kind: text, save: name, goto: waiting}
  waiting:
    say: common.still_waiting
    wait:
      on: {found: found}
      save: found
      timeout: 15m
      on_timeout: too_late
  found:
    say: profile.saved
    end: true
  too_late:
    say: common.unavailable
    end: true
"""


class CaptureSender:
    """A sender that keeps what it was given (the provider's side of tests
    that look at what the outbox worker hands over, e.g. a translated text)."""

    def __init__(self):
        self.sent = []

    def send(self, msg):
        from bot.outbox import SendResult

        self.sent.append(dict(msg))
        return SendResult("sent", f"p{len(self.sent)}")


class OutageSender:
    """A provider down (HTTP 503) until ``until`` by ``clock``: the times each
    message was tried, and what it took once it was back."""

    def __init__(self, clock, until):
        self.clock, self.until, self.tries, self.sent = clock, until, {}, []

    def send(self, msg):
        from bot.outbox import SendResult, TransientSendError

        self.tries.setdefault(msg["id"], []).append(self.clock())
        if self.clock() < self.until:
            raise TransientSendError("HTTP 503: Service Unavailable")
        self.sent.append(dict(msg))
        return SendResult("sent", f"SM{msg['id']}")
