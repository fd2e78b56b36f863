"""Sending what the outbox holds: leases, retries with backoff, final failure.

A message is leased (status ``sending`` until ``lease_until``) before it is
handed to its channel's sender, so a worker killed mid-batch leaves messages
that another worker leases again once the lease runs out: the sweeper is the
lease itself, not RQ's abandoned-job cleanup. A provider may therefore, rarely,
get a message twice after a crash; never zero times.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Protocol


class TransientSendError(Exception):
    """Try again later (5xx, network, rate limit)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentSendError(Exception):
    """Never going to work (4xx): record it as failed with its code."""

    def __init__(self, reason: str, code: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code


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


class OutboxWorker:
    def __init__(self, store: Any, senders: Mapping[str, Sender], clock: Callable[[], datetime],
                 lease_seconds: float = 60.0, max_attempts: int = 6, base_delay: float = 2.0,
                 max_delay: float = 600.0, rng: random.Random | None = None):
        self.store = store
        self.senders = dict(senders)
        self.fallback = RecordingSender()
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.rng = rng or random.Random()

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter: uniform(0, base * 2**attempts), capped."""
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * (2 ** attempts)))

    def run_once(self, limit: int = 50) -> int:
        """Send one batch; the number of messages handled."""
        batch = self.store.lease_outbound(self.clock(), self.lease_seconds, limit)
        for msg in batch:
            self.deliver(msg)
        return len(batch)

    def deliver(self, msg: Mapping[str, Any]) -> None:
        now = self.clock()
        attempts = int(msg.get("attempts") or 0) + 1
        contact = self.store.get_contact(msg["to"])
        if contact and contact.get("opted_out") and msg.get("key") != "keywords.stop_reply":
            # The opt-out gate lives here, in the send path: no flow, timer or
            # retry can reach someone who texted STOP. (The STOP confirmation
            # itself is the one message that still goes.)
            self.store.mark_outbound(msg["id"], "blocked", now, attempts=attempts, error="opted out")
            return
        sender = self.senders.get(msg.get("channel") or "sms", self.fallback)
        wait = self._pace(sender, msg, now)
        if wait:
            # Over the provider's rate: back in the queue until the limiter
            # allows it, without spending one of its attempts.
            self.store.mark_outbound(msg["id"], "queued", now, attempts=attempts - 1,
                                     retry_at=now + timedelta(seconds=wait))
            return
        try:
            result = sender.send(msg)
        except PermanentSendError as exc:
            self.store.mark_outbound(msg["id"], "failed", now, attempts=attempts, error=exc.reason, error_code=exc.code)
        except TransientSendError as exc:
            self._retry(msg, attempts, now, exc.reason, exc.retry_after)
        except Exception as exc:  # an unknown error is retried, then recorded
            self._retry(msg, attempts, now, f"{type(exc).__name__}: {exc}", None)
        else:
            self.store.mark_outbound(msg["id"], result.status, now, attempts=attempts, provider_id=result.provider_id,
                                     **dict(result.fields))

    def _pace(self, sender, msg, now: datetime) -> float:
        pacing = getattr(sender, "pacing", None)
        if pacing is None:
            return 0.0
        for key, interval, burst in pacing(msg):
            wait = self.store.rate_wait(key, interval, now, burst)
            if wait:
                return wait
        return 0.0

    def _retry(self, msg, attempts: int, now: datetime, reason: str, retry_after: float | None) -> None:
        if attempts >= self.max_attempts:
            self.store.mark_outbound(msg["id"], "failed", now, attempts=attempts, error=f"gave up: {reason}")
            return
        delay = max(retry_after or 0.0, self.backoff(attempts))
        self.store.mark_outbound(msg["id"], "queued", now, attempts=attempts, error=reason,
                                 retry_at=now + timedelta(seconds=delay))
