"""Sending what the outbox holds: leases, retries with backoff, final failure.

A message is leased (status ``sending`` until ``lease_until``) before it is
handed to its channel's sender, so a worker killed mid-batch leaves messages
that another worker leases again once the lease runs out: the sweeper is the
lease itself, not RQ's abandoned-job cleanup. A provider may therefore, rarely,
get a message twice after a crash; never zero times.

A send that fails for a reason that may pass is tried again with backoff for
OUTBOX_RETRY_HOURS (24 by default), so a provider outage delays messages but
does not drop them; a refusal (a 4xx: a landline, a bad number) fails at once.

A person's texts on one channel leave in the order they were written: one
whose earlier text is still waiting for a retry waits for that retry
(``_wait_for_earlier``), so after an outage a parent never reads "Ana has
arrived" before "Ana has not arrived yet".
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Protocol

log = logging.getLogger(__name__)

OPT_OUT_LOCK_TIMEOUT = 5.0  # seconds; a step holds a contact's lock for far less
DEFAULT_RETRY_FOR = 24 * 3600.0  # seconds a failing message keeps being tried (OUTBOX_RETRY_HOURS)
# A person's latest texts looked through for an earlier one that has not gone
# yet: a text behind more than this many newer ones is not waited for.
ORDER_WINDOW = 10
AFTER_EARLIER = timedelta(milliseconds=100)  # a waiting text comes due just after the one it waits for
LEASED_RECHECK = timedelta(seconds=1)  # an earlier text being sent right now is looked at again this soon


class TransientSendError(Exception):
    """Try again later (5xx, network, rate limit).

    ``fields`` are saved on the message with the retry, so the next attempt
    sees them (e.g. the parts of a long text already sent: ``parts_sent``,
    ``provider_ids``) and a sender never needs a store of its own."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 fields: Mapping[str, Any] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.fields = dict(fields or {})


class PermanentSendError(Exception):
    """Never going to work (4xx): record it as failed with its code.

    ``opt_out=True`` says the provider knows the person does not want (or can
    no longer get) messages: Twilio 21610, a Telegram bot blocked by the user.
    The worker then marks the contact opted out, ``opted_out_by
    "<channel>:<code>"``, unless they already are (a STOP keeps its own
    reason). ``fields`` are saved on the failed message."""

    def __init__(self, reason: str, code: str | None = None, opt_out: bool = False,
                 fields: Mapping[str, Any] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.opt_out = opt_out
        self.fields = dict(fields or {})


@dataclass(frozen=True)
class SendResult:
    status: str  # "sent" or "recorded"
    provider_id: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # saved on the message (e.g. segments)


class Sender(Protocol):
    def send(self, msg: Mapping[str, Any]) -> SendResult: ...

    # Optional: ``pacing(msg) -> [(key, interval_seconds, burst), …]``, the
    # provider's rate limits this message counts against. Every worker shares
    # them through the store (``rate_wait``).


class RecordingSender:
    """For a channel without credentials: the message is stored, not sent,
    and shows in ``vecina outbox`` and the simulator."""

    def send(self, msg: Mapping[str, Any]) -> SendResult:
        return SendResult("recorded")


# (the outbox row, its contact's record or None, the store) -> why it must not
# go now, or None: it may. The reason is a short code kept on the blocked row
# (``blocked``); the coordinator's pages say it from web.messages.blocked.
SendGate = Callable[[Mapping[str, Any], Mapping[str, Any] | None, Any], "str | None"]


class OutboxWorker:
    def __init__(self, store: Any, senders: Mapping[str, Sender], clock: Callable[[], datetime],
                 lease_seconds: float = 60.0, max_attempts: int = 6, base_delay: float = 2.0,
                 max_delay: float = 600.0, rng: random.Random | None = None, prepare: Any = None,
                 gates: Mapping[str, SendGate] | None = None, retry_for: float = DEFAULT_RETRY_FOR):
        self.store = store
        # Locale key -> a SendGate, asked as each such message goes out
        # (bot/services/send_gates.py).
        self.gates = dict(gates or {})
        # Optional step just before a send: ``prepare(msg) -> msg`` (e.g. the
        # translation hook, bot/translate); ``prepare.tick()``, if it has one,
        # runs before each batch. It must never raise.
        self.prepare = prepare
        self.senders = dict(senders)
        self.fallback = RecordingSender()
        self.clock = clock
        self.lease_seconds = lease_seconds
        # A message whose sends keep failing for a reason that may pass (the
        # provider down or unreachable, 5xx, a rate limit) is tried again, at
        # most max_delay apart, until it has had max_attempts tries AND is
        # retry_for seconds old: a provider outage of hours delays messages,
        # it does not drop them (six quick tries alone span about a minute).
        self.max_attempts = max_attempts
        self.retry_for = retry_for
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.rng = rng or random.Random()

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter: uniform(0, base * 2**attempts), capped."""
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * (2 ** attempts)))

    def run_once(self, limit: int = 50) -> int:
        """Send one batch; the number of messages handled."""
        tick = getattr(self.prepare, "tick", None)
        if tick is not None:
            tick()
        batch = self.store.lease_outbound(self.clock(), self.lease_seconds, limit)
        leased = {msg["id"]: msg for msg in batch}  # leased, not yet handled (an earlier text may go first)
        for msg in batch:
            if leased.pop(msg["id"], None) is not None:
                self.deliver(msg, leased)
        return len(batch)

    def deliver(self, msg: Mapping[str, Any], leased: dict | None = None) -> None:
        """Send one leased message; ``leased``: the rest of its batch, not yet handled."""
        now = self.clock()
        attempts = int(msg.get("attempts") or 0) + 1
        contact = self.store.get_contact(msg["to"])
        if contact and contact.get("opted_out") and msg.get("key") != "keywords.stop_reply":
            # The opt-out gate lives here, in the send path: no flow, timer or
            # retry can reach someone who texted STOP. (The STOP confirmation
            # itself is the one message that still goes.)
            self.store.mark_outbound(msg["id"], "blocked", now, attempts=attempts, error="opted out",
                                     blocked="opted_out")
            return
        gate = self.gates.get(msg.get("key"))
        refused = gate(msg, contact, self.store) if gate is not None else None
        if refused:
            # Who may get this text was decided when the step ran; a
            # coordinator's "not vetted" (or a suspension) since then wins.
            self.store.mark_outbound(msg["id"], "blocked", now, attempts=attempts, error=f"blocked: {refused}",
                                     blocked=refused)
            log.info("outbox: message %s (%s) blocked: %s", msg["id"], msg.get("key"), refused)  # no number in logs
            return
        behind = self._wait_for_earlier(msg, now, leased or {})
        if behind is not None:
            until, waits_for = behind
            self.store.mark_outbound(msg["id"], "queued", now, attempts=attempts - 1, retry_at=until,
                                     waits_for=waits_for)
            return
        sender = self.senders.get(msg.get("channel") or "sms", self.fallback)
        wait = self._pace(sender, msg, now)
        if wait:
            # Over the provider's rate: back in the queue until the limiter
            # allows it, without spending one of its attempts.
            self.store.mark_outbound(msg["id"], "queued", now, attempts=attempts - 1,
                                     retry_at=now + timedelta(seconds=wait))
            return
        sent = self.prepare(msg) if self.prepare is not None else msg
        try:
            result = sender.send(sent)
        except PermanentSendError as exc:
            self.store.mark_outbound(msg["id"], "failed", now,
                                     **_merge(exc.fields, attempts=attempts, error=exc.reason, error_code=exc.code))
            if exc.opt_out:
                self._opt_out(msg, exc.code, now)
        except TransientSendError as exc:
            self._retry(msg, attempts, now, exc.reason, exc.retry_after, exc.fields)
        except Exception as exc:  # an unknown error is retried, then recorded
            self._retry(msg, attempts, now, f"{type(exc).__name__}: {exc}", None)
        else:
            prepared = {} if sent is msg else {"sent_text": sent.get("text"), "translation": sent.get("translation")}
            self.store.mark_outbound(msg["id"], result.status, now, **_merge(
                {**prepared, **result.fields}, attempts=attempts, provider_id=result.provider_id))

    def _wait_for_earlier(self, msg: Mapping[str, Any], now: datetime, leased: dict) -> tuple[datetime, dict] | None:
        """(until when, what it waits for) when an earlier text to the same
        person on the same channel has not gone yet; None: this one may go.

        A retry must not let a later text overtake it. So a text waits for the
        earlier one's next try. Once that try has happened and failed again
        (the provider is still down, or that one text cannot go), this one is
        tried too: one text that keeps failing holds the others back by one
        backoff, not for the whole retry window. Waiting spends no attempt."""
        earlier = self._earlier_unsent(msg)
        if earlier is not None and earlier["id"] in leased:
            # Leased in this same batch, behind this one (Redis leases by due
            # time, and a retried text is due after a newer one): send it first.
            self.deliver(leased.pop(earlier["id"]), leased)
            earlier = self._earlier_unsent(msg)
        if earlier is None:
            return None
        tries = int(earlier.get("attempts") or 0)
        waits_for = {"id": earlier["id"], "tries": tries}
        waited = msg.get("waits_for") or {}
        if waited.get("id") == earlier["id"] and tries > int(waited.get("tries") or 0):
            # It was tried since this one began waiting: this one goes now,
            # and waits for its next try after that.
            self.store.mark_outbound(msg["id"], "sending", now, waits_for=waits_for)
            return None
        if earlier["status"] == "sending":  # another worker has it (or had it and died: its lease runs out)
            due = min(earlier.get("lease_until") or now, now + LEASED_RECHECK)
        else:
            due = earlier.get("retry_at") or now
        return max(due, now) + AFTER_EARLIER, waits_for

    def _earlier_unsent(self, msg: Mapping[str, Any]) -> dict | None:
        """The latest text before ``msg`` to its person, on its channel, still queued or being sent."""
        channel = msg.get("channel") or "sms"
        earlier = [row for row in self.store.unsent_before(msg["to"], msg["id"], ORDER_WINDOW)
                   if (row.get("channel") or "sms") == channel]
        return earlier[-1] if earlier else None

    def _pace(self, sender, msg, now: datetime) -> float:
        pacing = getattr(sender, "pacing", None)
        if pacing is None:
            return 0.0
        for key, interval, burst in pacing(msg):
            wait = self.store.rate_wait(key, interval, now, burst)
            if wait:
                return wait
        return 0.0

    def _retry(self, msg, attempts: int, now: datetime, reason: str, retry_after: float | None,
               fields: Mapping[str, Any] | None = None) -> None:
        if attempts >= self.max_attempts and self._age(msg, now) >= self.retry_for:
            self.store.mark_outbound(msg["id"], "failed", now,
                                     **_merge(fields, attempts=attempts, error=f"gave up: {reason}"))
            return
        delay = max(retry_after or 0.0, self.backoff(attempts))
        self.store.mark_outbound(msg["id"], "queued", now, **_merge(fields, attempts=attempts, error=reason,
                                                                    retry_at=now + timedelta(seconds=delay)))

    @staticmethod
    def _age(msg: Mapping[str, Any], now: datetime) -> float:
        created = msg.get("created_at")
        return (now - created).total_seconds() if isinstance(created, datetime) else float("inf")

    def _opt_out(self, msg: Mapping[str, Any], code: str | None, now: datetime) -> None:
        """The provider says this person is unreachable by choice: opt them out
        here, once, so the gate above blocks everything after. Someone already
        opted out keeps their reason (no ``opted_out_by``: they sent STOP)."""
        to, channel = msg["to"], msg.get("channel") or "sms"
        try:
            # Under the contact's lock: a STOP being handled right now must not
            # be read as "not opted out" and then relabelled as the provider's.
            with self.store.contact_lock(to, timeout=OPT_OUT_LOCK_TIMEOUT):
                self._mark_opted_out(to, channel, code, now)
        except TimeoutError:  # opting out late is worse than the narrow race
            log.warning("contact lock not got for an opt-out from %s; marking without it", channel)
            self._mark_opted_out(to, channel, code, now)

    def _mark_opted_out(self, to: str, channel: str, code: str | None, now: datetime) -> None:
        contact = self.store.get_contact(to)
        if contact and contact.get("opted_out"):
            return
        self.store.upsert_contact(to, opted_out=True, opted_out_by=f"{channel}:{code}")
        self.store.audit({"at": now, "contact": to, "what": "outbox.opted_out",
                          "data": {"channel": channel, "code": code}})


# Row fields only the worker sets: a sender's fields never carry them.
RESERVED = frozenset({"id", "msg_id", "to", "status", "now", "lease_until"})


def _merge(fields: Mapping[str, Any] | None, **own: Any) -> dict:
    """A sender's fields for the row, under the worker's own (attempts, error,
    retry_at…), which a sender cannot override."""
    return {**{k: v for k, v in (fields or {}).items() if k not in RESERVED}, **own}
