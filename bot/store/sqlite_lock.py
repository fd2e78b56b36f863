"""The SQLite store's contact lock (a mixin of :class:`~bot.store.sqlite.SQLiteStore`).

A contact's lock is an in-process lock (threads of this process) plus a row in
``locks`` (owner token + expiry), so other processes sharing the file wait
too; a row left by a dead process expires after ``lock_ttl`` seconds.

Each write transaction costs a commit and the pages it touched in the WAL,
so the lock rides on the transactions around it where it can, as the Redis
store's does (``redis_lock.py``): :meth:`receive` records the message and
takes the row in one transaction when no thread of this process holds the
contact, and the step a pipeline marks as the last of its hold
(:meth:`release_with_commit`) frees the row in its own commit. A message
then costs two write transactions instead of four.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

# A released lock's row stays, expired, and is taken again in place: a row
# deleted and added back writes the table's primary-key index twice a message.
# (remove_contact deletes it: it names the contact.)
RELEASE = "UPDATE locks SET expires = 0 WHERE name = ? AND owner = ?"


def lock_name(contact_id: str) -> str:
    return f"contact:{contact_id}"


class SQLiteContactLock:
    @contextmanager
    def contact_lock(self, contact_id: str, timeout: float = 10.0) -> Iterator[None]:
        with self._hold(contact_id, timeout):
            yield

    @contextmanager
    def receive(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                meta: dict | None = None, timeout: float = 10.0) -> Iterator[int | None]:
        """record_inbound + contact_lock: one transaction for both when the lock is free."""
        with self._hold(contact, timeout, lambda: self.record_inbound(
                channel, provider_id, contact, text, received_at, meta)) as seq:
            yield seq

    @contextmanager
    def _hold(self, contact_id: str, timeout: float, first: Callable | None = None):
        """Hold ``contact_id``'s lock; yields what ``first()`` returned.

        ``first`` (recording the inbound) always runs before any wait, so a
        message is in the log, in arrival order, however long the lock is
        held by someone else; it shares the lock row's transaction when this
        process has the contact free."""
        local = self._local
        if getattr(local, "depth", 0):
            raise RuntimeError("take contact_lock before opening a transaction, not inside one")
        deadline = time.monotonic() + max(timeout, 0)
        with self._thread_locks_guard:
            tlock = self._thread_locks.setdefault(contact_id, threading.Lock())
        result = None
        if not tlock.acquire(blocking=False):
            if first is not None:
                result, first = first(), None
            if not tlock.acquire(timeout=max(deadline - time.monotonic(), 0)):
                raise TimeoutError(f"contact {contact_id} is locked")
        try:
            name, token = lock_name(contact_id), uuid.uuid4().hex
            taken, got = self._try_lock(name, token, first)
            result = got if first is not None else result
            delay = 0.005
            while not taken:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"contact {contact_id} is locked by another process")
                time.sleep(min(delay * (0.5 + random.random()), left))
                delay = min(delay * 2, 0.1)
                taken, _ = self._try_lock(name, token)
            local.held = (contact_id, name, token)
            try:
                yield result
            finally:
                local.held = local.release_with = None
                if getattr(local, "released", None) == (contact_id, name, token):
                    local.released = None  # the last step's commit freed the row
                else:
                    with self._write() as c:
                        c.execute(RELEASE, (name, token))
        finally:
            tlock.release()

    def _try_lock(self, name: str, token: str, first: Callable | None = None) -> tuple[bool, object]:
        """(whether the row is ours now, what ``first()`` returned in the same transaction)."""
        with self._write() as c:
            got = first() if first is not None else None
            now = time.time()
            row = c.execute("SELECT expires FROM locks WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] > now:
                return False, got
            c.execute("INSERT INTO locks (name, owner, expires) VALUES (?, ?, ?) ON CONFLICT (name) "
                      "DO UPDATE SET owner = excluded.owner, expires = excluded.expires",
                      (name, token, now + self.lock_ttl))
            return True, got

    def release_with_commit(self, contact: str) -> None:
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == contact:
            self._local.release_with = held

    def _release_in(self, conn, contact: str) -> None:
        """Inside the step that marks ``contact``'s message handled: free
        the lock row in its transaction when this is the last step of the
        hold. A rollback undoes it (``_write`` forgets ``released``), and the
        lock's ``finally`` then frees the row itself."""
        rel = getattr(self._local, "release_with", None)
        if rel is not None and rel[0] == contact:
            conn.execute(RELEASE, rel[1:])
            self._local.release_with = None
            self._local.released = rel
