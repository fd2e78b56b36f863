"""The path of every inbound message, whatever the channel (DESIGN.md).

    record (idempotent on the provider's id) + per-contact lock -> drain that
    contact's pending messages in arrival order -> one step each (global
    keywords, engine, effects) in one store transaction -> kick the sender

Whoever holds a contact's lock handles all of that contact's pending messages
in sequence order, so ten web threads receiving one person's texts at once
still run them one at a time, in the order they arrived. The last handled
sequence number and the row's "handled" mark are saved with the step, in its
transaction, so a crash never runs a message twice nor strands it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from .conversation import Conductor, Outcome


@dataclass(frozen=True)
class Inbound:
    """One message from any channel, parsed by its adapter."""

    channel: str  # "sms", "whatsapp", "ussd", "telegram", "sim"
    provider_id: str  # MessageSid, update_id, sessionId+text…: a retry repeats it
    contact: str  # E.164 number, or "tg:<id>" for an unlinked Telegram user
    text: str
    meta: dict = field(default_factory=dict)


@dataclass
class Accepted:
    duplicate: bool
    sent: list  # what this call queued (for synchronous channels: USSD, simulator)


class Pipeline:
    def __init__(self, store: Any, conductor: Conductor, clock: Callable[[], datetime],
                 kick: Callable[[], None] = lambda: None, lock_timeout: float = 10.0):
        self.store = store
        self.conductor = conductor
        self.clock = clock
        self.kick = kick  # wakes the sender (embedded thread or an RQ job)
        self.lock_timeout = lock_timeout

    def inbound(self, msg: Inbound) -> Accepted:
        # A repeat (seq None) is not recorded again, but it still drains: the
        # provider retries when the first attempt failed after recording (say
        # the contact's lock timed out), and that message must not wait for
        # the person's next text. With nothing pending the drain does nothing.
        with self.store.receive(msg.channel, msg.provider_id, msg.contact, msg.text, self.clock(), dict(msg.meta),
                                timeout=self.lock_timeout) as seq:
            sent = self._handle_pending(msg.contact)
        if sent:
            self.kick()
        return Accepted(seq is None, sent)

    def drain(self, contact: str) -> list:
        """Handle whatever ``contact`` has pending (a sweeper's or a test's call)."""
        with self.store.contact_lock(contact, timeout=self.lock_timeout):
            return self._handle_pending(contact)

    def _handle_pending(self, contact: str) -> list:
        sent: list = []
        for row in self.store.pending_inbound(contact):
            # the step marks the row handled in its own transaction
            outcome: Outcome = self.conductor.message(contact, row["text"], self.clock(), seq=row["seq"],
                                                      channel=row["channel"])
            sent.extend(outcome.sent)
        return sent

    def tick(self) -> list:
        """Fire due timers (each claimed by one process only)."""
        sent: list = []
        now = self.clock()
        for timer in self.store.claim_due_timers(now):
            with self.store.contact_lock(timer["contact"], timeout=self.lock_timeout):
                sent.extend(self.conductor.event(timer["contact"], timer["event"], timer["data"], now).sent)
        if sent:
            self.kick()
        return sent
