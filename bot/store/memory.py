"""An in-memory store for transcripts and the terminal simulator (one process)."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..engine.model import Session
from .contacts import new_record


class MemoryStore:
    def __init__(self):
        self.contacts: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.timers: dict[str, dict] = {}
        self.outbox: list[dict] = []
        self.records: list[dict] = []
        self.audit_log: list[dict] = []
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self):
        with self._lock:
            yield self

    # contacts
    def get_contact(self, contact_id: str) -> dict | None:
        rec = self.contacts.get(contact_id)
        return dict(rec) if rec else None

    def upsert_contact(self, contact_id: str, **changes: Any) -> dict:
        rec = self.contacts.setdefault(contact_id, new_record(contact_id))
        rec.update(changes)
        return dict(rec)

    # sessions
    def get_session(self, contact_id: str) -> Session | None:
        data = self.sessions.get(contact_id)
        return Session.from_dict(data) if data else None

    def save_session(self, session: Session) -> None:
        self.sessions[session.contact] = session.to_dict()

    # timers
    def add_timer(self, timer_id: str, contact: str, at: datetime, event: str, data: dict) -> None:
        self.timers[timer_id] = {"id": timer_id, "contact": contact, "at": at, "event": event, "data": dict(data)}

    def cancel_timer(self, timer_id: str) -> None:
        self.timers.pop(timer_id, None)

    def due_timers(self, now: datetime) -> list[dict]:
        due = sorted((t for t in self.timers.values() if t["at"] <= now), key=lambda t: (t["at"], t["id"]))
        for t in due:
            self.timers.pop(t["id"], None)
        return due

    # outbox, records, audit
    def add_outbound(self, msg: dict) -> None:
        self.outbox.append(dict(msg))

    def add_record(self, kind: str, data: dict) -> None:
        self.records.append({"kind": kind, **data})

    def audit(self, entry: dict) -> None:
        self.audit_log.append(dict(entry))
