"""The store contract on a real Redis (db 15), plus what only Redis has:
hash tags, a commit cut off mid-way, and a fast health check."""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import redis

from bot.conversation import Conductor
from bot.engine.model import WAITING_INPUT, CounterIds, Session
from bot.pipeline import Inbound, Pipeline
from bot.store.base import drain_timer_id
from bot.store.redis_keys import Keys
from bot.store.redis_store import RedisStore
from store_contract import A, B, T0, StoreContract, msg
from support import NOW, engine

REDIS_URL = os.environ.get("REDIS_URL_TESTS", "redis://127.0.0.1:6379/15")

# Each test gets its own key prefix on db 15 and deletes only its own keys:
# other test runs (other stores' suites, other workers) share that database,
# so nothing here flushes it.


class Raw:
    """The test's own view of db 15: its prefix, and only its keys."""

    def __init__(self):
        self.prefix = f"vt{uuid.uuid4().hex[:10]}"
        self.conn = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            self.conn.ping()
        except redis.ConnectionError as exc:  # fail, never skip, without Redis
            pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); `make test` starts one")

    def store(self, url: str = REDIS_URL, **kw) -> RedisStore:
        return RedisStore(url, prefix=self.prefix, **kw)

    def keys(self) -> list[str]:
        return list(self.conn.scan_iter(match=f"{self.prefix}:*", count=1000))

    def cleanup(self):
        keys = self.keys()
        if keys:
            self.conn.delete(*keys)
        self.conn.close()


@pytest.fixture
def raw():
    r = Raw()
    yield r
    r.cleanup()


class TestRedisStore(StoreContract):
    """One Redis: each step commits in one MULTI/EXEC."""

    @pytest.fixture
    def store(self, raw):
        s = raw.store()
        yield s
        s.close()


class TestRedisStorePerSlot(StoreContract):
    """Cluster-style commits (one MULTI/EXEC per hash slot) keep the contract."""

    @pytest.fixture
    def store(self, raw):
        s = raw.store(per_slot=True)
        yield s
        s.close()


# ---------------------------------------------------------------- hash tags
def _slot_tag(key: str) -> str:
    start = key.index("{")
    return key[start:key.index("}", start) + 1]


def test_keys_of_one_contact_share_a_hash_tag():
    k = Keys()
    for cid in (A, "tg:12345"):
        keys = [k.contact(cid), k.session(cid), k.timers(cid), k.inbound_seq(cid), k.inbound(cid),
                k.inbound_pending(cid), k.seen(cid, "sms", "SM1"), k.lock(cid), *k.contact_keys(cid)]
        assert {_slot_tag(key) for key in keys} == {f"{{c:{cid}}}"}
        assert {k.contact_of(key) for key in keys} == {cid}  # what the sweeps read back from a key
    assert _slot_tag(k.contact(A)) != _slot_tag(k.contact(B))
    # each global index keeps its companions on its own slot
    assert {_slot_tag(x) for x in (k.schedule(), k.timer_owner())} == {"{sched}"}
    assert {_slot_tag(x) for x in (k.out_seq(), k.out_queue(), k.out_all(), k.out_to(A), k.out_msg("m1"))} == {"{out}"}
    assert {_slot_tag(x) for x in (k.records("x.y"), k.records_order("x.y"), k.claim("x.y", "r1"))} == {"{r:x.y}"}


def test_written_keys_are_all_tagged(raw):
    store = raw.store()
    with store.transaction() as tx:
        tx.upsert_contact(A, lang="es")
        tx.save_session(Session(contact=A, flow="f", state="s", status=WAITING_INPUT))
        tx.add_timer("t1", A, T0, "timeout", {})
        tx.add_outbound(msg("m1"))
        tx.put_record("k", "r1", {"id": "r1"})
        tx.audit({"at": T0, "contact": A, "what": "x"})
    store.record_inbound("sms", "SM1", A, "hola", T0)
    keys = raw.keys()
    assert keys and all("{" in key and "}" in key for key in keys), keys
    mine = {key for key in keys if f"{{c:{A}}}" in key}
    assert {key.split("}:", 1)[1] for key in mine} >= {"contact", "session", "timers", "in", "in:seq", "in:pending"}
    store.close()


# ---------------------------------------------------------------- a commit cut off
class CuttingProxy:
    """A TCP relay to the real Redis that drops the connection, instead of
    passing it on, the ``cut_at``-th time a client sends a commit (EXEC, or the
    EVALSHA of the one-Redis commit script; then again every time after if
    ``keep_cutting``): a network failure in the middle of a commit."""

    def __init__(self, target: tuple[str, int], cut_at: int, keep_cutting: bool = True):
        self.target, self.cut_at, self.keep_cutting = target, cut_at, keep_cutting
        self.execs = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.alive = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.alive:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump_up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(upstream, client), daemon=True).start()

    def _pump_up(self, src, dst):
        try:
            while data := src.recv(65536):
                if b"EXEC" in data or b"EVALSHA" in data:
                    with self.lock:
                        self.execs += 1
                        cut = self.execs == self.cut_at or (self.keep_cutting and self.execs > self.cut_at)
                    if cut:
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _pump_down(self, src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def close(self):
        self.alive = False
        self.server.close()


def _proxied(proxy: CuttingProxy, raw: Raw, per_slot: bool) -> RedisStore:
    db = redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs.get("db", 15)
    return raw.store(f"redis://127.0.0.1:{proxy.port}/{db}", per_slot=per_slot)


def _target() -> tuple[str, int]:
    kw = redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs
    return kw.get("host", "127.0.0.1"), kw.get("port", 6379)


def _one_step(tx):
    tx.upsert_contact(A, lang="es", roles=["parent"])
    tx.save_session(Session(contact=A, flow="f", state="s", status=WAITING_INPUT))
    tx.add_timer("t1", A, T0, "timeout", {"n": 1})
    tx.add_outbound(msg("m1"))
    tx.audit({"at": T0, "contact": A, "what": "x"})


def _step_cut_at_exec(raw, cut_at, per_slot):
    """Run one step whose connection drops at the ``cut_at``-th EXEC; the commit must raise."""
    proxy = CuttingProxy(_target(), cut_at=cut_at)
    store = _proxied(proxy, raw, per_slot)
    try:
        with pytest.raises(redis.ConnectionError):
            with store.transaction() as tx:
                _one_step(tx)
    finally:
        store.close()
        proxy.close()


@pytest.mark.parametrize("per_slot", [False, True], ids=["one-multi", "per-slot"])
def test_commit_cut_before_first_exec_writes_nothing(raw, per_slot):
    _step_cut_at_exec(raw, cut_at=1, per_slot=per_slot)
    assert [key for key in raw.keys() if f"{{c:{A}}}" in key] == []
    check = raw.store()
    assert check.get_contact(A) is None and check.get_session(A) is None
    assert check.list_outbound() == [] and check.claim_due_timers(T0 + timedelta(days=1)) == []
    assert list(check.audit_entries()) == []
    assert raw.keys() == []
    check.close()


def test_per_slot_commit_cut_after_contact_exec_leaves_whole_contact_and_a_findable_timer(raw):
    _step_cut_at_exec(raw, cut_at=2, per_slot=True)  # the contact's MULTI/EXEC passes, the outbox's does not
    check = raw.store()
    # the contact's keys are complete, never half-written
    assert check.get_contact(A)["roles"] == ["parent"]
    assert check.get_session(A).state == "s"
    assert raw.conn.hexists(check.keys.timers(A), "t1")
    # the global part did not happen; the sweeper finds the unscheduled timer
    assert check.list_outbound() == []
    assert check.claim_due_timers(T0) == []
    assert check.reschedule_orphan_timers() == 1
    assert [(t["id"], t["data"]) for t in check.claim_due_timers(T0)] == [("t1", {"n": 1})]
    check.close()


@pytest.mark.parametrize("per_slot", [False, True], ids=["one-redis", "per-slot"])
def test_timer_replaced_later_is_not_fired_early_from_its_stale_schedule(raw, per_slot):
    store = raw.store(per_slot=per_slot)
    store.add_timer("t1", A, T0, "e", {"v": 1})
    # the window between the two per-slot commits: new data, old schedule entry
    # (one Redis claims and takes in one script, which must check it too)
    store.r.hset(store.keys.timers(A), "t1", '{"at":{"$dt":"2026-03-02T14:00:00+00:00"},"event":"e","data":{"v":2}}')
    assert store.claim_due_timers(T0 + timedelta(minutes=1)) == []
    due = store.claim_due_timers(T0 + timedelta(hours=1))
    assert [(t["id"], t["data"]) for t in due] == [("t1", {"v": 2})]
    store.close()


def test_timer_moved_to_another_contact_leaves_nothing_behind(raw):
    store = raw.store()
    store.add_timer("t1", A, T0, "e", {})
    store.add_timer("t1", B, T0, "e", {})
    assert not raw.conn.exists(store.keys.timers(A))
    assert [(t["id"], t["contact"]) for t in store.claim_due_timers(T0)] == [("t1", B)]
    assert not raw.conn.exists(store.keys.timers(B))
    store.close()


# ---------------------------------------------------------------- lock and inbound keys
def test_lock_of_a_dead_holder_expires_and_a_late_release_never_frees_another(raw):
    store = raw.store(lock_ttl=0.2)
    key = store.keys.lock(A)
    raw.conn.set(key, "dead-holder", px=200)  # a process died holding it
    start = time.monotonic()
    with store.contact_lock(A, timeout=3):
        assert time.monotonic() - start < 1.5
        time.sleep(0.3)  # our own lease runs out; someone else takes the lock
        assert raw.conn.set(key, "other", nx=True, px=5000)
    assert raw.conn.get(key) == "other"  # our release left their lock alone
    store.close()


def test_seen_provider_ids_expire_after_seven_days(raw):
    store = raw.store()
    assert store.record_inbound("sms", "SM1", A, "hola", T0) == 1
    ttl = raw.conn.ttl(store.keys.seen(A, "sms", "SM1"))
    assert 7 * 24 * 3600 - 10 < ttl <= 7 * 24 * 3600
    store.close()


# ---------------------------------------------------------------- health
def test_ping_false_fast_on_closed_port():
    store = RedisStore("redis://127.0.0.1:6390/15")
    start = time.monotonic()
    assert store.ping() is False
    assert time.monotonic() - start < 1.5
    store.close()


def test_ping_false_fast_when_redis_does_not_answer():
    # a port that accepts connections but never replies (a hung Redis)
    server = socket.create_server(("127.0.0.1", 0))
    store = RedisStore(f"redis://127.0.0.1:{server.getsockname()[1]}/15")
    try:
        start = time.monotonic()
        assert store.ping() is False
        assert time.monotonic() - start < 1.5
    finally:
        store.close()
        server.close()


# ---------------------------------------------------------------- size
def test_typical_session_is_small(raw):
    store = raw.store()
    s = Session(contact=A, flow="childcare.request", state="ask_when", status=WAITING_INPUT,
                vars={"when": T0, "kids": 2, "area": "north", "notes": "after school, two kids"},
                misses=1, timer="t123", expires_at=T0 + timedelta(hours=2), updated_at=T0,
                window_start=T0, window_sent=3)
    store.save_session(s)
    used = raw.conn.memory_usage(store.keys.session(A))
    print(f"\nsession: {len(raw.conn.get(store.keys.session(A)).encode())} bytes of JSON, MEMORY USAGE {used} bytes")
    assert used < 2048
    store.close()


class CountingConnection(redis.Connection):
    """redis-py's connection, counting what it sends: round trips per message."""

    sent: list = []

    def send_packed_command(self, command, check_health=True):
        CountingConnection.sent.append(command)
        return super().send_packed_command(command, check_health)


def count_round_trips(store) -> None:
    """From here on every connection of ``store`` counts what it sends."""
    pool = store.r.connection_pool
    store.r.close()  # this thread's own connection goes back to the pool...
    pool.disconnect()
    pool.reset()  # ... and the pool forgets every connection it made
    pool.connection_class = CountingConnection
    store._local.client_pid = None  # the thread's next client takes a counting one


@pytest.mark.parametrize("per_slot", [False, True], ids=["one-redis", "per-slot"])
def test_a_message_takes_two_round_trips_and_its_commit_frees_the_lock(raw, per_slot):
    store = raw.store(per_slot=per_slot)
    count_round_trips(store)
    pipe = Pipeline(store, Conductor(engine(), store, CounterIds()), lambda: NOW)
    store.upsert_contact(A, lang="en")
    pipe.inbound(Inbound("sms", "SM1", A, "MENU"))  # scripts loaded, the session made
    CountingConnection.sent.clear()
    accepted = pipe.inbound(Inbound("sms", "SM2", A, "MENU"))
    assert accepted.sent and not raw.conn.exists(store.keys.lock(A))
    # receive (record + lock + load), then the step's commit carrying the release;
    # on Cluster the release is a group of its own after the step's groups
    trips = len(CountingConnection.sent)
    assert trips == 2 if not per_slot else trips > 2
    assert store.get_session(A).state == "menu"
    store.close()


def test_a_step_that_fails_still_frees_the_lock(raw):
    store = raw.store()
    with pytest.raises(RuntimeError):
        with store.receive("sms", "SM1", A, "hi", T0) as seq:
            store.release_with_commit(A)
            assert seq == 1 and raw.conn.exists(store.keys.lock(A))
            with store.transaction() as tx:
                tx.upsert_contact(A, lang="en")
                raise RuntimeError("the step broke before its commit")
    assert not raw.conn.exists(store.keys.lock(A)) and store.get_contact(A) is None
    with store.contact_lock(A, timeout=0.5):  # free for the next one
        pass
    store.close()


def test_the_workers_ticker_puts_back_a_timer_that_lost_its_schedule_entry(raw, tmp_path):
    """A process that died between claiming a timer and taking its data (or
    between two per-slot commits) leaves data with no schedule entry; the
    worker's ticker sweeps them back and fires them."""
    from bot import jobs_rq
    from bot.config import Config
    from bot.runtime import build
    from support import ROOT

    store = raw.store()
    rt = build(Config(db_path=str(tmp_path / "x.db"), flows_dir=str(ROOT / "flows")), store=store, senders={},
               start_jobs=False)
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    store.add_timer("t-lost", A, past, "timeout", {})
    raw.conn.zrem(store.keys.schedule(), "t-lost")  # the crash window: data, no schedule entry
    raw.conn.hdel(store.keys.timer_owner(), "t-lost")
    due = store.claim_due_timers(datetime.now(timezone.utc), limit=1000)
    assert "t-lost" not in [t["id"] for t in due]  # lost to the normal claim
    jobs_rq._runtime, before = rt, jobs_rq._runtime
    stop = threading.Event()
    ticker = threading.Thread(target=jobs_rq.tick_forever, args=(stop, 0.05, 0.0))
    try:
        ticker.start()
        deadline = time.monotonic() + 5
        while raw.conn.hexists(store.keys.timers(A), "t-lost") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        ticker.join(5)
        jobs_rq._runtime = before
    assert not raw.conn.hexists(store.keys.timers(A), "t-lost")  # swept back, claimed, fired
    store.close()


def test_scripts_redis_lost_are_loaded_again_by_the_next_call_that_needs_them(raw):
    store = raw.store()
    assert store.queue_inbound("sms", "SM1", A, "hola", T0) == 1
    raw.conn.script_flush()  # what a restarted Redis has: no scripts
    assert store.queue_inbound("sms", "SM2", A, "otra", T0) == 2
    raw.conn.script_flush()
    with store.contact_lock(A):  # LOCK_AND_LOAD, then APPLY and RELEASE_LOCK in the step's commit
        assert [m["text"] for m in store.pending_inbound(A)] == ["hola", "otra"]
        with store.transaction() as tx:
            tx.upsert_contact(A, lang="es")
            tx.mark_inbound_done(A, 1)
    assert store.get_contact(A)["lang"] == "es"
    assert [m["text"] for m in store.pending_inbound(A)] == ["otra"]
    assert not raw.conn.exists(store.keys.lock(A))
    store.close()


@pytest.mark.parametrize("per_slot", [False, True], ids=["one-redis", "per-slot"])
def test_a_queued_message_is_one_round_trip_and_rings_the_wake_list(raw, per_slot):
    store = raw.store(per_slot=per_slot)
    count_round_trips(store)
    store.queue_inbound("sms", "SM0", A, "first", T0)  # scripts loaded
    CountingConnection.sent.clear()
    assert store.queue_inbound("sms", "SM1", A, "hola", T0) == 2
    # one script on one Redis; on Cluster the contact's part and the
    # schedule's part are pipelined (redis-py checks the scripts first)
    assert len(CountingConnection.sent) == (1 if not per_slot else 2)
    assert _slot_tag(store.keys.wake()) == "{sched}"
    assert store.wait_for_work(0.5) is True  # rung twice, at most 16 rings kept
    t0 = time.monotonic()
    while store.wait_for_work(0.05):
        pass
    assert store.wait_for_work(0.1) is False and time.monotonic() - t0 < 2
    store.close()


def test_a_drain_timer_cut_from_the_schedule_is_put_back_by_the_sweep(raw):
    store = raw.store(per_slot=True)
    store.queue_inbound("sms", "SM1", A, "hola", T0)
    tid = drain_timer_id(A)
    raw.conn.zrem(store.keys.schedule(), tid)  # a break between the two slots' writes
    raw.conn.hdel(store.keys.timer_owner(), tid)
    assert store.claim_due_timers(T0) == []
    assert store.reschedule_orphan_timers() == 1
    assert [(t["id"], t["contact"]) for t in store.claim_due_timers(T0)] == [(tid, A)]
    store.close()


def test_the_workers_stepper_steps_a_queued_message_when_rung_not_at_its_next_round(raw, tmp_path):
    """worker.py's stepper sleeps on the wake list: with a 60 s interval, a
    message a webhook queued is still answered at once."""
    from bot import jobs_rq
    from bot.config import Config
    from bot.runtime import build
    from support import ROOT

    store = raw.store()
    rt = build(Config(db_path=str(tmp_path / "x.db"), flows_dir=str(ROOT / "flows"), inbound_step="worker"),
               store=store, senders={}, start_jobs=False)
    jobs_rq._runtime, before = rt, jobs_rq._runtime
    stop = threading.Event()
    stepper = threading.Thread(target=jobs_rq.step_forever, args=(stop, 60.0))
    try:
        stepper.start()
        time.sleep(0.3)  # the stepper's first round is over: it waits on the wake list
        assert rt.pipeline.inbound(Inbound("sms", "SM1", A, "hello")).sent == []
        deadline = time.monotonic() + 10
        while not store.list_outbound(to=A) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["key"] for m in store.list_outbound(to=A)] == ["main.welcome", "main.menu"]
    finally:
        stop.set()
        store.queue_inbound("sms", "SM-bye", B, "ring to end the wait", T0)
        stepper.join(10)
        jobs_rq._runtime = before
        store.close()
    assert not stepper.is_alive()


def test_a_script_call_on_a_connection_redis_dropped_fails_once_then_runs_on_a_new_one(raw):
    """Scripts go straight to the thread's connection (LuaScript._evalsha):
    a dropped connection fails that call (the webhook answers 503 and the
    provider retries), leaves nothing half-read, and the next call connects
    again; the retried message is recorded once."""
    store = raw.store()
    assert store.queue_inbound("sms", "SM1", A, "hola", T0) == 1
    raw.conn.client_kill_filter(_id=store.r.client_id())
    with pytest.raises(redis.ConnectionError):
        store.queue_inbound("sms", "SM2", A, "otra", T0)
    assert store.queue_inbound("sms", "SM2", A, "otra", T0) == 2  # the provider's retry
    assert store.queue_inbound("sms", "SM2", A, "otra", T0) is None  # and a repeat is still one
    assert [m["text"] for m in store.pending_inbound(A)] == ["hola", "otra"]
    store.close()
