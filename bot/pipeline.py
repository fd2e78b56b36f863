"""The path of every inbound message, whatever the channel (DESIGN.md).

    record (idempotent on the provider's id) + per-contact lock -> drain that
    contact's pending messages in arrival order -> one step each (global
    keywords, engine, effects) in one store transaction -> kick the sender

With ``defer`` (``INBOUND_STEP=worker``, the scaled profile's default) a
webhook only records the message and sets the contact's drain timer
(``Store.queue_inbound``); a worker's :meth:`Pipeline.fire_due` then takes the
lock and drains. USSD and the simulator answer with the step's own text, so
they always step in the request.

Whoever holds a contact's lock handles all of that contact's pending messages
in sequence order, so ten web threads receiving one person's texts at once
still run them one at a time, in the order they arrived. The last handled
sequence number and the row's "handled" mark are saved with the step, in its
transaction, so a crash never runs a message twice nor strands it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from .conversation import Conductor, Outcome
from .store.base import DRAIN_EVENT

log = logging.getLogger(__name__)
RETRIES = 5  # tries of a timer whose step fails before it is dropped (audited)
RETRY_FIELD = "_tries"
# What a webhook fires itself after a step addressed events to others (a YES
# telling the parent): a few short rounds, so the provider's request never
# waits on a backlog of unrelated timers; the worker's ticker fires the rest
# within a second.
INLINE_ROUNDS, INLINE_BATCH = 3, 10
#: channels whose answer is the step's own text: always stepped in the request
SYNCHRONOUS_CHANNELS = frozenset({"ussd", "sim"})


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
    after: dict | None = None  # the sender as its last step left them (Outcome.after), if one ran


class Pipeline:
    def __init__(self, store: Any, conductor: Conductor, clock: Callable[[], datetime],
                 kick: Callable[[], None] = lambda: None, lock_timeout: float = 10.0, defer: bool = False,
                 wake: Callable[[], None] | None = None):
        self.store = store
        self.defer = defer  # record and answer; a worker steps (INBOUND_STEP=worker)
        # wakes whoever steps queued messages: the embedded thread (kick); on
        # Redis the store's own wake list, rung by queue_inbound, so nothing
        self.wake = kick if wake is None else wake
        self.conductor = conductor
        self.clock = clock
        self.kick = kick  # wakes the sender (embedded thread or an RQ job)
        self.lock_timeout = lock_timeout

    def inbound(self, msg: Inbound) -> Accepted:
        if self.defer and msg.channel not in SYNCHRONOUS_CHANNELS:
            seq = self.store.queue_inbound(msg.channel, msg.provider_id, msg.contact, msg.text, self.clock(),
                                           dict(msg.meta))
            self.wake()
            return Accepted(seq is None, [])
        # A repeat (seq None) is not recorded again, but it still drains: the
        # provider retries when the first attempt failed after recording (say
        # the contact's lock timed out), and that message must not wait for
        # the person's next text. With nothing pending the drain does nothing.
        with self.store.receive(msg.channel, msg.provider_id, msg.contact, msg.text, self.clock(), dict(msg.meta),
                                timeout=self.lock_timeout) as seq:
            done = self._handle_pending(msg.contact)
        sent = done.sent
        if done.emitted:  # events for other people: now, under their own locks
            sent += self.fire_due(rounds=INLINE_ROUNDS, batch=INLINE_BATCH)
        if sent:
            self.kick()
        return Accepted(seq is None, sent, done.after)

    def _handle_pending(self, contact: str) -> Outcome:
        """Every pending message of ``contact``, in order, as one Outcome (the
        sends and events of all, how the last step left them)."""
        done = Outcome([], [])
        rows = self.store.pending_inbound(contact)
        for i, row in enumerate(rows):
            if i == len(rows) - 1:
                self.store.release_with_commit(contact)  # its commit may free the lock too
            # the step marks the row handled in its own transaction
            outcome: Outcome = self.conductor.message(contact, row["text"], self.clock(), seq=row["seq"],
                                                      channel=row["channel"])
            done.sent.extend(outcome.sent)
            done.emitted.extend(outcome.emitted)
            done.after = outcome.after or done.after
        return done

    def tick(self) -> list:
        """Fire due timers (each claimed by one process only) and wake the sender."""
        sent = self.fire_due()
        if sent:
            self.kick()
        return sent

    def fire_due(self, rounds: int = 50, batch: int = 100) -> list:
        """Run every due timer under its contact's (or job's) lock, and the
        events those set off, until none is due (the hop guard ends chains).
        Each round's timers are stepped as one store batch (Store.step_batch:
        a few round trips for the lot on Redis), all but those whose contact
        someone else holds or whose commit the batch could not write: those
        go after it, each under its own lock."""
        sent: list = []
        for _ in range(rounds):
            due = self.store.claim_due_timers(self.clock(), limit=batch)
            if not due:
                break
            fired: dict[int, list] = {}
            with self.store.step_batch([t["contact"] for t in due]) as held:
                for i, timer in enumerate(due):
                    if timer["contact"] in held.locked:
                        fired[i] = self._fire(timer)
            for i, timer in enumerate(due):
                if timer["contact"] not in held.locked or timer["contact"] in held.failed:
                    fired[i] = self._fire(timer)
            for i in range(len(due)):
                sent.extend(fired[i])
        return sent

    def _fire(self, timer: dict) -> list:
        """One due timer under its contact's lock; what it queued."""
        try:
            with self.store.contact_lock(timer["contact"], timeout=self.lock_timeout):
                if timer["event"] == DRAIN_EVENT:  # messages a webhook queued
                    return self._handle_pending(timer["contact"]).sent
                return self.conductor.timer(timer, self.clock()).sent
        except Exception as exc:  # noqa: BLE001 - the timer is put back, never lost
            log.warning("timer %s (%s) failed, put back: %s", timer["id"], timer["event"], exc,
                        exc_info=not isinstance(exc, TimeoutError))
            self._put_back(timer, exc)
            return []

    def _put_back(self, timer: dict, exc: Exception) -> None:
        """A claimed timer whose step failed (its contact stayed locked, the
        store hiccuped) is scheduled again a little later; one that keeps
        failing is dropped after RETRIES tries, with an audit entry."""
        data = dict(timer["data"])
        tries = int(data.get(RETRY_FIELD, 0)) + 1
        now = self.clock()
        if tries > RETRIES:
            self.store.audit({"at": now, "contact": timer["contact"], "what": "timer.dropped",
                              "data": {"event": timer["event"], "error": f"{type(exc).__name__}: {exc}"}})
            return
        data[RETRY_FIELD] = tries
        self.store.add_timer(timer["id"], timer["contact"], now + timedelta(seconds=5 * 2 ** tries), timer["event"],
                             data)
