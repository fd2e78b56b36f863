"""The store contract against SQLite, plus what only a shared file can show."""
from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.store.sqlite import SQLiteStore
from store_contract import StoreContract

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        s = SQLiteStore(tmp_path / "vecina.db")
        yield s
        s.close()


def _writer(path: str, proc: int, n: int) -> None:
    store = SQLiteStore(path)
    try:
        for i in range(n):
            with store.transaction() as tx:
                tx.upsert_contact(f"c{proc}-{i % 10}", roles=["parent"], n=i)
                tx.put_record("proc.write", f"{proc}-{i}", {"proc": proc, "i": i})
                tx.add_outbound({"id": f"m{proc}-{i}", "to": f"c{proc}", "text": "x", "channel": "sms",
                                 "status": "queued", "created_at": T0 + timedelta(milliseconds=i)})
                tx.audit({"at": T0, "contact": f"c{proc}", "what": "write", "data": {"i": i}})
            assert store.record_inbound("sms", f"p{proc}-{i}", "shared", "hi", T0) is not None
            if i % 4 == 0:  # a read-modify-write under the cross-process contact lock
                with store.contact_lock("shared", timeout=30):
                    n_now = store.get_record("counter", "c")["n"]
                    time.sleep(0.002)
                    store.put_record("counter", "c", {"n": n_now + 1})
    finally:
        store.close()


def test_two_processes_share_one_file(tmp_path):
    path = str(tmp_path / "shared.db")
    first = SQLiteStore(path)
    first.put_record("counter", "c", {"n": 0})
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, p, 200)) for p in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]

    store = SQLiteStore(path)
    try:
        assert len(store.find_records("proc.write")) == 400
        for proc in (1, 2):
            assert sorted(r["i"] for r in store.find_records("proc.write", proc=proc)) == list(range(200))
            assert len(store.list_outbound(to=f"c{proc}")) == 200
            assert len(list(store.audit_entries(f"c{proc}"))) == 200
        assert len(store.list_contacts("parent")) == 20
        assert [p["seq"] for p in store.pending_inbound("shared")] == list(range(1, 401))
        assert store.get_record("counter", "c") == {"n": 100}
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            conn.close()
    finally:
        store.close()
        first.close()


def test_a_hold_frees_the_lock_for_other_processes_with_its_last_commit(tmp_path):
    """The step that marks the last message handled deletes the lock row in
    its own transaction (no write of its own to release it), and a receive
    whose contact is free takes the row as it records."""
    path = str(tmp_path / "shared.db")
    here, other = SQLiteStore(path), SQLiteStore(path)  # two processes' stores on one file
    try:
        with here.receive("sms", "SM1", "+14155550001", "hi", T0) as seq:
            assert other.pending_inbound("+14155550001")[0]["seq"] == seq == 1  # recorded before the step
            with pytest.raises(TimeoutError):
                with other.contact_lock("+14155550001", timeout=0.05):
                    pass
            here.release_with_commit("+14155550001")
            with here.transaction() as tx:
                tx.mark_inbound_done("+14155550001", seq)
            with other.contact_lock("+14155550001", timeout=0.05):  # the commit freed it
                pass
        with other.contact_lock("+14155550001", timeout=0.05):
            pass
        with here.receive("sms", "SM2", "+14155550002", "hi", T0):  # a hold with no such step
            pass
        with other.contact_lock("+14155550002", timeout=0.05):  # freed as the block ends
            pass
    finally:
        here.close()
        other.close()


def test_a_message_takes_two_write_transactions(tmp_path):
    """Record + lock, then the step + release: each write transaction is a
    commit and its pages in the WAL (bench/pipeline.py)."""
    from bot.conversation import Conductor
    from bot.pipeline import Inbound, Pipeline
    from support import CounterIds, engine

    store = SQLiteStore(tmp_path / "vecina.db")
    try:
        pipe = Pipeline(store, Conductor(engine(), store, CounterIds()), lambda: T0)
        pipe.inbound(Inbound("sms", "SM1", "+14155550001", "hello"))
        statements = []
        store._conn().set_trace_callback(statements.append)
        assert pipe.inbound(Inbound("sms", "SM2", "+14155550001", "MENU")).sent
        assert statements.count("BEGIN IMMEDIATE") == 2
    finally:
        store.close()


def test_default_path_and_schema_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = SQLiteStore()
    try:
        assert (tmp_path / "var" / "vecina.db").exists()
        assert store._conn().execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    finally:
        store.close()
    again = SQLiteStore()  # reopening keeps one version row
    try:
        assert again._conn().execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    finally:
        again.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "v.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        SQLiteStore(path)


def test_contact_lock_inside_a_transaction_is_refused(tmp_path):
    store = SQLiteStore(tmp_path / "l.db")
    try:
        with pytest.raises(RuntimeError):
            with store.transaction():
                with store.contact_lock("+1", timeout=1):
                    pass
    finally:
        store.close()
