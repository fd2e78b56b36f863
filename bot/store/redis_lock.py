"""The Redis store's contact lock, and what comes with it (``RedisStore``'s
``_local``, ``keys`` and scripts): the lock is taken in the same round trip as
the first reads of the step holding it (LOCK_AND_LOAD, or RECEIVE with the
inbound's record), and the step's last commit may release it
(``release_with_commit``). Inside a worker's step batch the batch holds the
locks (``redis_batch.py``).
"""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable

from .redis_keys import SEEN_TTL, loads


class RedisContactLock:
    @contextmanager
    def contact_lock(self, contact_id: str, timeout: float = 10.0):
        if self.hold_in_batch(contact_id):  # a step batch holds it, and releases it at its end
            try:
                yield
            finally:
                local = self._local
                local.prefetch = local.held = local.release_with = None
            return
        token = uuid.uuid4().hex
        self._acquire(contact_id, token, timeout)
        self._local.held = (contact_id, token)
        try:
            yield
        finally:
            self._release(contact_id, token)

    @contextmanager
    def receive(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                meta: dict | None = None, timeout: float = 10.0):
        """record_inbound + contact_lock, in one round trip when the lock is free."""
        k, token = self.keys, uuid.uuid4().hex
        got = self._receive(
            keys=[k.seen(contact, channel, provider_id), k.inbound_seq(contact), k.inbound(contact),
                  k.inbound_pending(contact), k.lock(contact), k.contact(contact), k.session(contact)],
            args=[SEEN_TTL, self._inbound_json(channel, provider_id, contact, text, received_at, meta), token,
                  int(self.lock_ttl * 1000)], client=self.r)
        seq = int(got[0]) or None
        if got[1]:
            self._prefetch(contact, *got[2:])
        else:
            self._acquire(contact, token, timeout)
        self._local.held = (contact, token)
        try:
            yield seq
        finally:
            self._release(contact, token)

    def _acquire(self, contact_id: str, token: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.002
        keys = self._lock_keys(contact_id)
        while not (got := self._lock_and_load(keys=keys, args=[token, int(self.lock_ttl * 1000)], client=self.r)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"contact {contact_id} is locked by another step (waited {timeout}s)")
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)
        self._prefetch(contact_id, *got)

    def _lock_keys(self, contact_id: str) -> list[str]:
        """LOCK_AND_LOAD's KEYS."""
        k = self.keys
        return [k.lock(contact_id), k.inbound_pending(contact_id), k.inbound(contact_id), k.contact(contact_id),
                k.session(contact_id)]

    def _prefetch(self, contact_id: str, seqs, rows, contact_raw, session_raw) -> None:
        # What the lock's holder reads first, loaded with the lock (one round
        # trip, not four). Each part is used once, and any commit drops the
        # rest (RedisTx.commit), so nothing stale is ever read from it.
        self._local.prefetch = {
            "id": contact_id, "contact": contact_raw, "session": session_raw,
            "pending": [{**loads(raw), "seq": int(seq)} for seq, raw in zip(seqs, rows) if raw is not None]}

    def _release(self, contact_id: str, token: str) -> None:
        local = self._local
        local.prefetch = local.held = local.release_with = None
        if getattr(local, "released", None) == (contact_id, token):
            local.released = None  # the last step's commit released it
            return
        self._release_lock(keys=[self.keys.lock(contact_id)], args=[token], client=self.r)

    def release_with_commit(self, contact: str) -> None:
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == contact:
            self._local.release_with = held

    def commit_release(self, done: Iterable[str]):
        """(contact, token) when this commit should release the held lock too:
        asked for (:meth:`release_with_commit`) and it is that contact's step
        (it marks an inbound handled), not some other transaction inside it."""
        if self.in_batch():
            return None  # the batch releases its locks after every commit is written
        rel = getattr(self._local, "release_with", None)
        return rel if rel is not None and rel[0] in done else None

    def released_by_commit(self, rel) -> None:
        self._local.release_with = None
        self._local.released = rel

    def take_prefetched(self, contact_id: str, part: str) -> tuple[bool, Any]:
        """(True, value) when ``part`` of ``contact_id`` came with this thread's lock and is unused."""
        pre = getattr(self._local, "prefetch", None)
        if pre is not None and pre["id"] == contact_id and part in pre:
            return True, pre.pop(part)
        return False, None

    def drop_prefetched(self) -> None:
        self._local.prefetch = None

