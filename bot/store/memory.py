"""An in-memory store for transcripts, the terminal simulator and tests (one process).

It implements the whole store contract (bot/store/base.py). One re-entrant lock
guards everything; a transaction holds it for its whole ``with`` block and
snapshots the (shallow) state when it starts, so an exception restores it.
Stored values are never mutated in place (every write stores a fresh copy),
which is what makes a shallow snapshot enough.
"""
from __future__ import annotations

import copy
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Iterator

from ..engine.model import Session
from .base import (ERASED, pseudonymise, queue_then_drain, receive_then_lock, requeue_drains, unbatched,
                   unsent_among)
from .contacts import new_record
from .rates import gcra


class MemoryStore:
    def __init__(self):
        self.contacts: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.timers: dict[str, dict] = {}
        self.outbox: list[dict] = []
        self.records: dict[tuple[str, str], dict] = {}
        self.audit_log: list[dict] = []
        self.inbound: dict[tuple[str, str], dict] = {}  # (channel, provider_id) -> entry
        self.inbound_seq: dict[str, int] = {}
        self.claims: dict[tuple[str, str], str] = {}
        self.rates: dict[str, float] = {}
        self._lock = threading.RLock()
        self._depth = 0
        self._contact_locks: dict[str, threading.Lock] = {}
        self._contact_locks_guard = threading.Lock()

    _STATE = ("contacts", "sessions", "timers", "outbox", "records", "audit_log", "inbound", "inbound_seq", "claims")

    # ------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator["MemoryStore"]:
        with self._lock:
            outer = self._depth == 0
            snapshot = {name: copy.copy(getattr(self, name)) for name in self._STATE} if outer else None
            self._depth += 1
            try:
                yield self
            except BaseException:
                if outer:
                    for name, value in snapshot.items():
                        current = getattr(self, name)
                        current.clear()
                        if isinstance(current, list):
                            current.extend(value)
                        else:
                            current.update(value)
                raise
            finally:
                self._depth -= 1

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass

    @contextmanager
    def contact_lock(self, contact_id: str, timeout: float = 10.0) -> Iterator[None]:
        with self._contact_locks_guard:
            lock = self._contact_locks.setdefault(contact_id, threading.Lock())
        if not lock.acquire(timeout=max(timeout, 0)):
            raise TimeoutError(f"contact {contact_id} is locked")
        try:
            yield
        finally:
            lock.release()

    # ------------------------------------------------------------ contacts
    def get_contact(self, contact_id: str) -> dict | None:
        with self._lock:
            rec = self.contacts.get(contact_id)
            return copy.deepcopy(rec) if rec is not None else None

    def upsert_contact(self, contact_id: str, **changes: Any) -> dict:
        with self._lock:
            rec = copy.deepcopy(self.contacts.get(contact_id) or new_record(contact_id))
            rec.update(copy.deepcopy(changes))
            self.contacts[contact_id] = rec
            return copy.deepcopy(rec)

    def list_contacts(self, role: str | None = None) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(rec) for rec in self.contacts.values()
                    if role is None or role in (rec.get("roles") or ())]

    def remove_contact(self, contact_id: str) -> bool:
        with self._lock:
            self.sessions.pop(contact_id, None)
            self.inbound_seq.pop(contact_id, None)
            for tid in [t for t, v in self.timers.items() if v["contact"] == contact_id]:
                del self.timers[tid]
            for key in [k for k, e in self.inbound.items() if e["contact"] == contact_id]:
                del self.inbound[key]
            return self.contacts.pop(contact_id, None) is not None

    # ------------------------------------------------------------ sessions
    def get_session(self, contact_id: str) -> Session | None:
        with self._lock:
            data = self.sessions.get(contact_id)
            return Session.from_dict(data) if data else None

    def save_session(self, session: Session) -> None:
        with self._lock:
            self.sessions[session.contact] = session.to_dict()

    # ------------------------------------------------------------ timers
    def add_timer(self, timer_id: str, contact: str, at: datetime, event: str, data: dict) -> None:
        with self._lock:
            self.timers[timer_id] = {"id": timer_id, "contact": contact, "at": at, "event": event,
                                     "data": copy.deepcopy(dict(data))}

    def cancel_timer(self, timer_id: str) -> None:
        with self._lock:
            self.timers.pop(timer_id, None)

    def get_timer(self, timer_id: str) -> dict | None:
        with self._lock:
            t = self.timers.get(timer_id)
            return copy.deepcopy(t) if t is not None else None

    def claim_due_timers(self, now: datetime, limit: int = 100) -> list[dict]:
        with self._lock:
            due = sorted((t for t in self.timers.values() if t["at"] <= now), key=lambda t: (t["at"], t["id"]))
            due = due[:limit] if limit is not None else due
            for t in due:
                self.timers.pop(t["id"], None)
            return due

    # ------------------------------------------------------------ outbox
    def add_outbound(self, msg: dict) -> None:
        with self._lock:
            row = copy.deepcopy(dict(msg))
            row.setdefault("status", "queued")
            row.setdefault("attempts", 0)
            row.setdefault("lease_until", None)
            row.setdefault("retry_at", None)
            self.outbox.append(row)

    def lease_outbound(self, now: datetime, lease_seconds: float, limit: int = 50) -> list[dict]:
        with self._lock:
            def leasable(m: dict) -> bool:
                if m["status"] == "queued":
                    return m.get("retry_at") is None or m["retry_at"] <= now
                return m["status"] == "sending" and m.get("lease_until") is not None and m["lease_until"] <= now

            ready = sorted((i for i, m in enumerate(self.outbox) if leasable(m)),
                           key=lambda i: (self.outbox[i]["created_at"], i))[:limit]
            until = now + timedelta(seconds=lease_seconds)
            out = []
            for i in ready:
                row = {**self.outbox[i], "status": "sending", "lease_until": until}
                self.outbox[i] = row
                out.append(copy.deepcopy(row))
            return out

    def mark_outbound(self, msg_id: str, status: str, now: datetime, **fields: Any) -> None:
        with self._lock:
            for i, m in enumerate(self.outbox):
                if m["id"] == msg_id:
                    row = {**m, **copy.deepcopy(fields), "status": status, "updated_at": now}
                    if status != "sending" and "lease_until" not in fields:
                        row["lease_until"] = None
                    self.outbox[i] = row
                    return

    def list_outbound(self, to: str | None = None, status: str | None = None, limit: int = 1000) -> list[dict]:
        with self._lock:
            rows = [m for m in self.outbox if (to is None or m["to"] == to) and (status is None or m["status"] == status)]
            return [copy.deepcopy(m) for m in rows[-limit:]] if limit else []

    def unsent_before(self, to: str, msg_id: str, limit: int = 10) -> list[dict]:
        with self._lock:
            return unsent_among([m for m in self.outbox if m["to"] == to][-limit:] if limit else [], msg_id)

    # ------------------------------------------------------------ inbound
    def record_inbound(self, channel: str, provider_id: str, contact: str, text: str,
                       received_at: datetime, meta: dict | None = None) -> int | None:
        with self._lock:
            key = (channel, provider_id)
            if key in self.inbound:
                return None
            seq = self.inbound_seq.get(contact, 0) + 1
            self.inbound_seq[contact] = seq
            self.inbound[key] = {"channel": channel, "provider_id": provider_id, "contact": contact, "seq": seq,
                                 "text": text, "received_at": received_at, "meta": copy.deepcopy(meta or {}),
                                 "done": False}
            return seq

    def receive(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                meta: dict | None = None, timeout: float = 10.0):
        return receive_then_lock(self, channel, provider_id, contact, text, received_at, meta, timeout)

    def queue_inbound(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                      meta: dict | None = None) -> int | None:
        return queue_then_drain(self, channel, provider_id, contact, text, received_at, meta)

    def requeue_stranded_inbound(self, now: datetime) -> int:
        with self._lock:
            contacts = sorted({e["contact"] for e in self.inbound.values() if not e["done"]})
        return requeue_drains(self, contacts, now)

    def release_with_commit(self, contact: str) -> None:
        pass  # the lock is released by the context manager (no round trip to save)

    def step_batch(self, contacts):
        return unbatched(contacts)  # each step commits on its own (no round trips to save)

    def pending_inbound(self, contact: str) -> list[dict]:
        with self._lock:
            rows = [e for e in self.inbound.values() if e["contact"] == contact and not e["done"]]
            return [copy.deepcopy(e) for e in sorted(rows, key=lambda e: e["seq"])]

    def mark_inbound_done(self, contact: str, seq: int) -> None:
        with self._lock:
            for key, e in self.inbound.items():
                if e["contact"] == contact and e["seq"] == seq:
                    self.inbound[key] = {**e, "done": True}

    # ------------------------------------------------------------ records
    def add_record(self, kind: str, data: dict) -> None:
        record_id = data.get("id")
        self.put_record(kind, str(record_id) if record_id is not None else uuid.uuid4().hex, data)

    def put_record(self, kind: str, record_id: str, data: dict) -> None:
        with self._lock:
            self.records[(kind, record_id)] = copy.deepcopy(dict(data))

    def get_record(self, kind: str, record_id: str) -> dict | None:
        with self._lock:
            rec = self.records.get((kind, record_id))
            return copy.deepcopy(rec) if rec is not None else None

    def find_records(self, kind: str, **where: Any) -> list[dict]:
        missing = object()

        def same(a, b):
            return a is not missing and type(a) is type(b) and a == b

        with self._lock:
            return [copy.deepcopy(data) for (k, _), data in self.records.items()
                    if k == kind and all(same(data.get(f, missing), v) for f, v in where.items())]

    def rate_wait(self, key: str, interval: float, now: datetime, burst: int = 1) -> float:
        with self._lock:
            wait, tat = gcra(self.rates.get(key), now.timestamp(), interval, burst)
            if not wait:
                self.rates[key] = tat
            return wait

    def claim(self, kind: str, record_id: str, claimer: str) -> bool:
        with self._lock:
            if (kind, record_id) in self.claims:
                return False
            self.claims[(kind, record_id)] = claimer
            return True

    # ------------------------------------------------------------ audit
    def audit(self, entry: dict) -> None:
        with self._lock:
            self.audit_log.append(copy.deepcopy(dict(entry)))

    def audit_entries(self, contact: str | None = None) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(e) for e in self.audit_log if contact is None or e.get("contact") == contact]

    # ------------------------------------------------------------ removal
    def delete_record(self, kind: str, record_id: str) -> bool:
        with self._lock:
            self.claims.pop((kind, record_id), None)
            return self.records.pop((kind, record_id), None) is not None

    def inbound_log(self, contact: str) -> list[dict]:
        with self._lock:
            rows = sorted((e for e in self.inbound.values() if e["contact"] == contact), key=lambda e: e["seq"])
            return [copy.deepcopy(e) for e in rows]

    def record_kinds(self) -> list[str]:
        with self._lock:
            return sorted({kind for kind, _ in self.records})

    def forget_contact(self, contact_id: str, token: str) -> None:
        with self.transaction():
            self.remove_contact(contact_id)  # record, session, timers, inbound log
            self.outbox[:] = [m for m in self.outbox if m["to"] != contact_id]
            for i, m in enumerate(self.outbox):
                if m.get("by") == contact_id:
                    self.outbox[i] = {k: v for k, v in m.items() if k != "by"} | {"text": ERASED}
            for key in [k for k, who in self.claims.items() if who == contact_id]:
                self.claims[key] = token
            self.audit_log[:] = [pseudonymise(e, contact_id, token) for e in self.audit_log]

    # ------------------------------------------------------------ retention
    def erase_outbound_texts(self, key_prefix: str | tuple[str, ...], before: datetime, text: str = "") -> int:
        with self._lock:
            changed = 0
            for i, m in enumerate(self.outbox):
                if (str(m.get("key") or "").startswith(key_prefix) and m.get("created_at") is not None
                        and m["created_at"] < before and m["status"] not in ("queued", "sending")
                        and m.get("text") != text):
                    self.outbox[i] = {**m, "text": text}
                    changed += 1
            return changed

    def erase_inbound_text(self, contact: str, seq: int, text: str = "") -> bool:
        with self._lock:
            for key, e in self.inbound.items():
                if e["contact"] == contact and e["seq"] == seq and e["text"] != text:
                    self.inbound[key] = {**e, "text": text}
                    return True
            return False
