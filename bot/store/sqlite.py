"""The embedded store: one SQLite file in WAL mode (the default runtime profile).

* One connection per thread, autocommit (``isolation_level=None``); every write
  runs inside an explicit ``BEGIN IMMEDIATE`` so writers queue on the file's
  write lock up front instead of failing half-way. BEGIN is retried with
  backoff on SQLITE_BUSY (beyond ``busy_timeout``) up to ``busy_limit`` seconds,
  so several processes sharing the file never see "database is locked".
* :meth:`transaction` yields the store itself: on the calling thread every
  store method then runs inside that one transaction (nested calls join it).
* ``contact_lock`` = an in-process lock per contact plus a row in ``locks``
  (owner token + expiry) so other processes wait too (``sqlite_lock.py``).

Rows that are rewritten are updated in place (``ON CONFLICT … DO UPDATE``),
not replaced: ``INSERT OR REPLACE`` deletes the row and adds it under a new
rowid, writing its old page, its new one and its primary-key index, and every
page a commit touches goes to the WAL (and later, by a checkpoint, to the
file). Every message step rewrites its contact and session.

Datetimes in columns are UTC ISO strings (sortable); inside JSON data they keep
their offset. Both come back timezone-aware.
"""
from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

from ..engine.model import Session
from .base import ERASED, UNSENT_FIELDS, pseudonymise, queue_then_drain, requeue_drains, unbatched, unsent_among
from .contacts import new_record
from .json_codec import session_json
from .rates import gcra
from .sqlite_lock import SQLiteContactLock, lock_name
from .sqlite_schema import SCHEMA, SCHEMA_VERSION, dt, dumps, index_value, loads, ts

DEFAULT_PATH = "var/vecina.db"
WAL_CHECKPOINT_PAGES = 4000  # of 4 KB
_OUTBOX_COLS = "data, status, lease_until, attempts, retry_at"


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLiteStore(SQLiteContactLock):
    def __init__(self, path: str | Path = DEFAULT_PATH, busy_timeout: float = 5.0, busy_limit: float = 60.0,
                 lock_ttl: float = 120.0):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout = busy_timeout
        self.busy_limit = busy_limit
        self.lock_ttl = lock_ttl
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_guard = threading.Lock()
        self._thread_locks: dict[str, threading.Lock] = {}
        self._thread_locks_guard = threading.Lock()
        try:
            self._create_schema()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ connections
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            conn.execute("PRAGMA synchronous = NORMAL")
            # A checkpoint (the WAL copied into the file, then fsync) once the
            # WAL holds 16 MB, not SQLite's 4 MB: each costs ~10 ms of fsync
            # whatever its size, and a message writes ~17 pages (70 KB) to
            # the WAL, so the default's checkpoint every ~60 messages took a
            # fifth of a message's time (bench/pipeline.py: +7%). After one,
            # a WAL that grew past 64 MB (a long reader held it) is cut back.
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            conn.execute("PRAGMA journal_size_limit = 67108864")
            self._local.conn = conn
            self._local.depth = 0
            with self._conns_guard:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (call once no thread uses the store)."""
        with self._conns_guard:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def _retry(self, fn):
        deadline = time.monotonic() + self.busy_limit
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)

    def _create_schema(self) -> None:
        # executescript commits implicitly, so run the DDL statement by statement inside BEGIN IMMEDIATE
        with self._write() as c:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    c.execute(stmt)
            row = c.execute("SELECT MAX(version) FROM schema_version").fetchone()
            if row[0] is None:
                c.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path}: schema version {row[0]} is newer than this code ({SCHEMA_VERSION})")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        local = self._local
        if local.depth:
            local.depth += 1
            try:
                yield conn
            finally:
                local.depth -= 1
            return
        self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
        local.depth = 1
        try:
            yield conn
        except BaseException:
            local.depth = 0
            self._rollback(conn)
            raise
        local.depth = 0
        try:
            self._retry(lambda: conn.execute("COMMIT"))
        except BaseException:
            self._rollback(conn)
            raise

    def _rollback(self, conn: sqlite3.Connection) -> None:
        self._local.released = None  # a lock row freed in this transaction is held again (sqlite_lock.py)
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _read(self) -> sqlite3.Connection:
        return self._conn()

    # ------------------------------------------------------------ the contract
    @contextmanager
    def transaction(self) -> Iterator["SQLiteStore"]:
        with self._write():
            yield self

    def ping(self) -> bool:
        try:
            return self._read().execute("SELECT 1").fetchone() == (1,)
        except sqlite3.Error:
            return False

    # ------------------------------------------------------------ contacts
    def get_contact(self, contact_id: str) -> dict | None:
        row = self._read().execute("SELECT data FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        return loads(row[0]) if row else None

    def upsert_contact(self, contact_id: str, **changes: Any) -> dict:
        with self._write() as c:
            row = c.execute("SELECT data FROM contacts WHERE id = ?", (contact_id,)).fetchone()
            rec = loads(row[0]) if row else new_record(contact_id)
            rec.update(changes)
            c.execute("INSERT INTO contacts (id, data) VALUES (?, ?) "
                      "ON CONFLICT (id) DO UPDATE SET data = excluded.data", (contact_id, dumps(rec)))
            if row is None or "roles" in changes:  # every step saves its contact: most change no role
                c.execute("DELETE FROM contact_roles WHERE contact = ?", (contact_id,))
                c.executemany("INSERT OR IGNORE INTO contact_roles (role, contact) VALUES (?, ?)",
                              [(str(r), contact_id) for r in rec.get("roles") or ()])
            return loads(dumps(rec))

    def list_contacts(self, role: str | None = None) -> list[dict]:
        if role is None:
            rows = self._read().execute("SELECT data FROM contacts ORDER BY id").fetchall()
        else:
            rows = self._read().execute(
                "SELECT c.data FROM contacts c JOIN contact_roles r ON r.contact = c.id WHERE r.role = ? "
                "ORDER BY c.id", (role,)).fetchall()
        return [loads(r[0]) for r in rows]

    def remove_contact(self, contact_id: str) -> bool:
        with self._write() as c:
            for sql in ("DELETE FROM contact_roles WHERE contact = ?", "DELETE FROM sessions WHERE contact = ?",
                        "DELETE FROM timers WHERE contact = ?", "DELETE FROM inbound WHERE contact = ?"):
                c.execute(sql, (contact_id,))
            c.execute("DELETE FROM locks WHERE name = ?", (lock_name(contact_id),))  # it names them
            return c.execute("DELETE FROM contacts WHERE id = ?", (contact_id,)).rowcount > 0

    # ------------------------------------------------------------ sessions
    def get_session(self, contact_id: str) -> Session | None:
        row = self._read().execute("SELECT data FROM sessions WHERE contact = ?", (contact_id,)).fetchone()
        return Session.from_json(row[0]) if row else None

    def save_session(self, session: Session) -> None:
        with self._write() as c:
            c.execute("INSERT INTO sessions (contact, data) VALUES (?, ?) "
                      "ON CONFLICT (contact) DO UPDATE SET data = excluded.data",
                      (session.contact, session_json(session)))

    # ------------------------------------------------------------ timers
    def add_timer(self, timer_id: str, contact: str, at: datetime, event: str, data: dict) -> None:
        with self._write() as c:
            c.execute("INSERT INTO timers (id, contact, at, event, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) "
                      "DO UPDATE SET contact = excluded.contact, at = excluded.at, event = excluded.event, "
                      "data = excluded.data",
                      (timer_id, contact, ts(at), event, dumps(dict(data))))

    def cancel_timer(self, timer_id: str) -> None:
        with self._write() as c:
            c.execute("DELETE FROM timers WHERE id = ?", (timer_id,))

    def get_timer(self, timer_id: str) -> dict | None:
        row = self._read().execute("SELECT id, contact, at, event, data FROM timers WHERE id = ?",
                                   (timer_id,)).fetchone()
        return {"id": row[0], "contact": row[1], "at": dt(row[2]), "event": row[3], "data": loads(row[4])} if row else None

    def claim_due_timers(self, now: datetime, limit: int | None = 100) -> list[dict]:
        with self._write() as c:
            rows = c.execute("SELECT id, contact, at, event, data FROM timers WHERE at <= ? ORDER BY at, id LIMIT ?",
                             (ts(now), -1 if limit is None else limit)).fetchall()
            c.executemany("DELETE FROM timers WHERE id = ?", [(r[0],) for r in rows])
        return [{"id": r[0], "contact": r[1], "at": dt(r[2]), "event": r[3], "data": loads(r[4])} for r in rows]

    # ------------------------------------------------------------ outbox
    @staticmethod
    def _outbox_row(row) -> dict:
        msg = loads(row[0])
        msg.update(status=row[1], lease_until=dt(row[2]), attempts=row[3], retry_at=dt(row[4]))
        return msg

    def add_outbound(self, msg: dict) -> None:
        msg = dict(msg)
        msg.setdefault("status", "queued")
        created = msg.get("created_at") or datetime.now().astimezone()
        with self._write() as c:
            c.execute('INSERT OR REPLACE INTO outbox (id, "to", channel, status, lease_until, attempts, retry_at, '
                      "created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (msg["id"], msg["to"], msg.get("channel"), msg["status"], ts(msg.get("lease_until")),
                       int(msg.get("attempts") or 0), ts(msg.get("retry_at")), ts(created), dumps(msg)))

    def lease_outbound(self, now: datetime, lease_seconds: float, limit: int = 50) -> list[dict]:
        at, until = ts(now), now + timedelta(seconds=lease_seconds)
        with self._write() as c:
            rows = c.execute(
                f"SELECT id, {_OUTBOX_COLS} FROM outbox "
                "WHERE (status = 'queued' AND (retry_at IS NULL OR retry_at <= ?)) "
                "OR (status = 'sending' AND lease_until <= ?) ORDER BY created_at, rowid LIMIT ?",
                (at, at, limit)).fetchall()
            c.executemany("UPDATE outbox SET status = 'sending', lease_until = ? WHERE id = ?",
                          [(ts(until), r[0]) for r in rows])
        out = []
        for r in rows:
            msg = self._outbox_row(r[1:])
            msg.update(status="sending", lease_until=until)
            out.append(msg)
        return out

    def mark_outbound(self, msg_id: str, status: str, now: datetime, **fields: Any) -> None:
        with self._write() as c:
            row = c.execute(f"SELECT {_OUTBOX_COLS} FROM outbox WHERE id = ?", (msg_id,)).fetchone()
            if row is None:
                return
            msg = {**self._outbox_row(row), **fields, "status": status, "updated_at": now}
            if status != "sending" and "lease_until" not in fields:
                msg["lease_until"] = None
            c.execute("UPDATE outbox SET status = ?, lease_until = ?, attempts = ?, retry_at = ?, data = ? "
                      "WHERE id = ?", (status, ts(msg["lease_until"]), int(msg.get("attempts") or 0),
                                       ts(msg.get("retry_at")), dumps(msg), msg_id))

    def list_outbound(self, to: str | None = None, status: str | None = None, limit: int = 1000) -> list[dict]:
        where, args = [], []
        if to is not None:
            where.append('"to" = ?')
            args.append(to)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        sql = (f"SELECT {_OUTBOX_COLS}, rowid FROM outbox {'WHERE ' + ' AND '.join(where) if where else ''} "
               "ORDER BY rowid DESC LIMIT ?")
        rows = self._read().execute(sql, (*args, limit)).fetchall()
        return [self._outbox_row(r) for r in reversed(rows)]  # the newest ``limit``, oldest first

    def unsent_before(self, to: str, msg_id: str, limit: int = 10) -> list[dict]:
        # The columns only, no JSON: this runs for every message sent.
        rows = self._read().execute(f'SELECT {", ".join(UNSENT_FIELDS)} FROM outbox '
                                    'WHERE "to" = ? ORDER BY rowid DESC LIMIT ?', (to, limit)).fetchall()
        return unsent_among([{"id": r[0], "status": r[1], "channel": r[2], "attempts": r[3], "retry_at": dt(r[4]),
                              "lease_until": dt(r[5])} for r in reversed(rows)], msg_id)

    # ------------------------------------------------------------ inbound
    def record_inbound(self, channel: str, provider_id: str, contact: str, text: str,
                       received_at: datetime, meta: dict | None = None) -> int | None:
        with self._write() as c:
            if c.execute("SELECT 1 FROM inbound WHERE channel = ? AND provider_id = ?",
                         (channel, provider_id)).fetchone():
                return None
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM inbound WHERE contact = ?",
                            (contact,)).fetchone()[0]
            c.execute("INSERT INTO inbound (channel, provider_id, contact, seq, text, received_at, meta, done) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                      (channel, provider_id, contact, seq, text, ts(received_at), dumps(meta or {})))
            return seq

    def queue_inbound(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                      meta: dict | None = None) -> int | None:
        return queue_then_drain(self, channel, provider_id, contact, text, received_at, meta)

    def requeue_stranded_inbound(self, now: datetime) -> int:
        # the partial index holds only pending rows: the sweep never walks the whole log
        rows = self._read().execute("SELECT DISTINCT contact FROM inbound INDEXED BY inbound_waiting WHERE done = 0 "
                                    "ORDER BY contact").fetchall()
        return requeue_drains(self, [r[0] for r in rows], now)

    def step_batch(self, contacts):
        return unbatched(contacts)  # each step commits on its own (no round trips to save)

    def pending_inbound(self, contact: str) -> list[dict]:
        rows = self._read().execute(
            "SELECT channel, provider_id, contact, seq, text, received_at, meta FROM inbound "
            "WHERE contact = ? AND done = 0 ORDER BY seq", (contact,)).fetchall()
        return [{"channel": r[0], "provider_id": r[1], "contact": r[2], "seq": r[3], "text": r[4],
                 "received_at": dt(r[5]), "meta": loads(r[6])} for r in rows]

    def mark_inbound_done(self, contact: str, seq: int) -> None:
        with self._write() as c:
            c.execute("UPDATE inbound SET done = 1 WHERE contact = ? AND seq = ?", (contact, seq))
            self._release_in(c, contact)

    # ------------------------------------------------------------ records
    def add_record(self, kind: str, data: dict) -> None:
        record_id = data.get("id")
        self.put_record(kind, str(record_id) if record_id is not None else uuid.uuid4().hex, data)

    def put_record(self, kind: str, record_id: str, data: dict) -> None:
        with self._write() as c:
            c.execute("INSERT INTO records (kind, id, data) VALUES (?, ?, ?) "
                      "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                      (kind, record_id, dumps(dict(data))))
            c.execute("DELETE FROM record_index WHERE kind = ? AND id = ?", (kind, record_id))
            index = [(kind, str(f), v, record_id) for f, value in data.items()
                     if (v := index_value(value)) is not None]
            c.executemany("INSERT OR IGNORE INTO record_index (kind, field, value, id) VALUES (?, ?, ?, ?)", index)

    def get_record(self, kind: str, record_id: str) -> dict | None:
        row = self._read().execute("SELECT data FROM records WHERE kind = ? AND id = ?",
                                   (kind, record_id)).fetchone()
        return loads(row[0]) if row else None

    def find_records(self, kind: str, **where: Any) -> list[dict]:
        sql, args, rest = "SELECT r.data FROM records r WHERE r.kind = ?", [kind], {}
        for field, value in where.items():
            encoded = index_value(value)
            if encoded is None:  # lists and dicts are not indexed: compare in Python
                rest[field] = value
                continue
            sql += " AND r.id IN (SELECT id FROM record_index WHERE kind = ? AND field = ? AND value = ?)"
            args += [kind, field, encoded]
        rows = [loads(r[0]) for r in self._read().execute(sql + " ORDER BY r.rowid", args).fetchall()]
        return [r for r in rows if all(f in r and r[f] == v for f, v in rest.items())]

    def rate_wait(self, key: str, interval: float, now: datetime, burst: int = 1) -> float:
        with self._write() as c:
            row = c.execute("SELECT tat FROM rates WHERE key = ?", (key,)).fetchone()
            wait, tat = gcra(row[0] if row else None, now.timestamp(), interval, burst)
            if not wait:
                c.execute("INSERT INTO rates (key, tat) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET tat = excluded.tat", (key, tat))
            return wait

    def claim(self, kind: str, record_id: str, claimer: str) -> bool:
        with self._write() as c:
            return c.execute("INSERT OR IGNORE INTO claims (kind, id, claimer) VALUES (?, ?, ?)",
                             (kind, record_id, claimer)).rowcount == 1

    # ------------------------------------------------------------ audit
    def audit(self, entry: dict) -> None:
        at = entry.get("at")
        with self._write() as c:
            c.execute("INSERT INTO audit (at, contact, what, data) VALUES (?, ?, ?, ?)",
                      (ts(at) if isinstance(at, datetime) else None, entry.get("contact"), entry.get("what"),
                       dumps(dict(entry))))

    def audit_entries(self, contact: str | None = None) -> list[dict]:
        if contact is None:
            rows = self._read().execute("SELECT data FROM audit ORDER BY n").fetchall()
        else:
            rows = self._read().execute("SELECT data FROM audit WHERE contact = ? ORDER BY n", (contact,)).fetchall()
        return [loads(r[0]) for r in rows]

    # ------------------------------------------------------------ removal
    def delete_record(self, kind: str, record_id: str) -> bool:
        with self._write() as c:
            c.execute("DELETE FROM record_index WHERE kind = ? AND id = ?", (kind, record_id))
            c.execute("DELETE FROM claims WHERE kind = ? AND id = ?", (kind, record_id))
            return c.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id)).rowcount > 0

    def inbound_log(self, contact: str) -> list[dict]:
        rows = self._read().execute(
            "SELECT channel, provider_id, contact, seq, text, received_at, meta, done FROM inbound "
            "WHERE contact = ? ORDER BY seq", (contact,)).fetchall()
        return [{"channel": r[0], "provider_id": r[1], "contact": r[2], "seq": r[3], "text": r[4],
                 "received_at": dt(r[5]), "meta": loads(r[6]), "done": bool(r[7])} for r in rows]

    def record_kinds(self) -> list[str]:
        return [r[0] for r in self._read().execute("SELECT DISTINCT kind FROM records ORDER BY kind").fetchall()]

    def forget_contact(self, contact_id: str, token: str) -> None:
        with self._write() as c:
            self.remove_contact(contact_id)  # record, session, timers, inbound log (in this transaction)
            c.execute('DELETE FROM outbox WHERE "to" = ?', (contact_id,))
            for mid, raw in c.execute("SELECT id, data FROM outbox WHERE instr(data, ?) > 0", (contact_id,)).fetchall():
                msg = loads(raw)
                if msg.get("by") == contact_id:  # their words in a message to someone else
                    msg.pop("by")
                    c.execute("UPDATE outbox SET data = ? WHERE id = ?", (dumps({**msg, "text": ERASED}), mid))
            c.execute("UPDATE claims SET claimer = ? WHERE claimer = ?", (token, contact_id))
            # the id may sit anywhere in an entry's data, not only in its contact column
            rows = c.execute("SELECT n, data FROM audit WHERE contact = ? OR instr(data, ?) > 0",
                             (contact_id, contact_id)).fetchall()
            for n, raw in rows:
                entry = pseudonymise(loads(raw), contact_id, token)
                c.execute("UPDATE audit SET contact = ?, data = ? WHERE n = ?", (entry.get("contact"), dumps(entry), n))

    # ------------------------------------------------------------ retention
    def erase_outbound_texts(self, key_prefix: str | tuple[str, ...], before: datetime, text: str = "") -> int:
        with self._write() as c:
            rows = c.execute("SELECT id, data FROM outbox WHERE created_at < ? AND status NOT IN ('queued', 'sending')",
                             (ts(before),)).fetchall()
            changed = []
            for mid, raw in rows:
                msg = loads(raw)
                if str(msg.get("key") or "").startswith(key_prefix) and msg.get("text") != text:
                    changed.append((dumps({**msg, "text": text}), mid))
            c.executemany("UPDATE outbox SET data = ? WHERE id = ?", changed)
            return len(changed)

    def erase_inbound_text(self, contact: str, seq: int, text: str = "") -> bool:
        with self._write() as c:
            return c.execute("UPDATE inbound SET text = ? WHERE contact = ? AND seq = ? AND text != ?",
                             (text, contact, seq, text)).rowcount > 0
