"""The SQLite store's schema and value codecs (used by :mod:`bot.store.sqlite`)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..engine.model import decode_json
from .json_codec import dumps  # the store's writer (datetimes keep their offset), also imported from here

SCHEMA_VERSION = 1

# inbound_waiting holds the pending messages only (a handled one leaves it):
# pending_inbound and the stranded-drain sweep never walk a contact's whole
# log, and a message costs one index entry, not one per index kept forever.
SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contact_roles (
    role TEXT NOT NULL, contact TEXT NOT NULL, PRIMARY KEY (role, contact));
CREATE INDEX IF NOT EXISTS contact_roles_contact ON contact_roles (contact);
CREATE TABLE IF NOT EXISTS sessions (contact TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (
    channel TEXT NOT NULL, provider_id TEXT NOT NULL, contact TEXT NOT NULL, seq INTEGER NOT NULL,
    text TEXT NOT NULL, received_at TEXT NOT NULL, meta TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, provider_id));
CREATE UNIQUE INDEX IF NOT EXISTS inbound_contact_seq ON inbound (contact, seq);
DROP INDEX IF EXISTS inbound_pending;
DROP INDEX IF EXISTS inbound_undone;
CREATE INDEX IF NOT EXISTS inbound_waiting ON inbound (contact, seq) WHERE done = 0;
CREATE TABLE IF NOT EXISTS timers (
    id TEXT PRIMARY KEY, contact TEXT NOT NULL, at TEXT NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS timers_at ON timers (at, id);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, "to" TEXT NOT NULL, channel TEXT, status TEXT NOT NULL, lease_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, retry_at TEXT, created_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, created_at);
CREATE INDEX IF NOT EXISTS outbox_to ON outbox ("to");
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS record_index (
    kind TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (kind, field, value, id));
CREATE INDEX IF NOT EXISTS record_index_id ON record_index (kind, id);
CREATE TABLE IF NOT EXISTS claims (
    kind TEXT NOT NULL, id TEXT NOT NULL, claimer TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS audit (
    n INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, contact TEXT, what TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_contact ON audit (contact, n);
CREATE TABLE IF NOT EXISTS rates (key TEXT PRIMARY KEY, tat REAL NOT NULL);
CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL);
"""


def loads(text: str | None) -> Any:
    return None if text is None else decode_json(text)


def ts(value: datetime | None) -> str | None:
    """A sortable UTC ISO string (naive datetimes are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def index_value(value: Any) -> str | None:
    """The record_index encoding of a field value; None when it is not indexed (lists, dicts)."""
    if isinstance(value, (list, tuple, dict)):
        return None
    return dumps(value)
