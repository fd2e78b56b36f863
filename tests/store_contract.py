"""The store contract (bot/store/base.py), one suite for every implementation.

Use it from a concrete test file by subclassing and providing a ``store``
fixture that returns a fresh, empty store::

    from store_contract import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            s = MyStore(...)
            yield s
            s.close()

Conventions the suite pins down (see base.py):

* Every :class:`Tx` method is also available on the store itself, outside any
  transaction (each call then its own small transaction): the conductor reads
  ``store.get_contact`` and writes ``store.audit`` that way.
* ``contact_lock`` raises :class:`TimeoutError` when it cannot get the lock in
  ``timeout`` seconds.
* Returned dicts are copies: mutating them never changes the store.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.engine.model import ENDED, WAITING_INPUT, Session
from bot.store.base import DRAIN_EVENT, drain_timer_id

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
LOCAL = ZoneInfo("America/New_York")
A = "+14155550001"
B = "+14155550002"
C = "+14155550003"


def msg(mid: str, to: str = A, created_at: datetime = T0, **extra) -> dict:
    m = {"id": mid, "to": to, "text": f"text of {mid}", "key": "k.hello", "choices": [["1", "Yes"], ["2", "No"]],
         "lang": "es", "channel": "sms", "status": "queued", "created_at": created_at}
    m.update(extra)
    return m


def run_threads(n: int, target, *args) -> list:
    """Run ``target(i, *args)`` in ``n`` threads released together; results in index order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def body(i):
        try:
            barrier.wait()
            results[i] = target(i, *args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "threads hung"
    if errors:
        raise errors[0]
    return results


class Boom(Exception):
    pass


class StoreContract:
    """Subclasses provide the ``store`` fixture (a fresh, empty store)."""

    # ------------------------------------------------------------ health
    def test_ping(self, store):
        assert store.ping() is True

    # ------------------------------------------------------------ contacts
    def test_contact_missing_is_none(self, store):
        with store.transaction() as tx:
            assert tx.get_contact(A) is None

    def test_upsert_creates_full_record_and_merges(self, store):
        with store.transaction() as tx:
            rec = tx.upsert_contact(A, lang="es", created_at=T0)
        assert rec["id"] == A and rec["lang"] == "es" and rec["roles"] == [] and rec["opted_out"] is False
        assert rec["created_at"] == T0
        with store.transaction() as tx:
            rec = tx.upsert_contact(A, name="Ana María", roles=["parent", "helper"], extra={"kids": 2})
        assert rec["lang"] == "es" and rec["name"] == "Ana María"
        got = store.get_contact(A)
        assert got == rec
        assert got["created_at"] == T0 and got["created_at"].tzinfo is not None
        assert got["extra"] == {"kids": 2}

    def test_returned_contact_is_a_copy(self, store):
        store.upsert_contact(A, roles=["parent"])
        got = store.get_contact(A)
        got["roles"].append("helper")
        got["name"] = "changed"
        again = store.get_contact(A)
        assert again["roles"] == ["parent"] and again["name"] is None

    def test_list_contacts_by_role(self, store):
        store.upsert_contact(A, roles=["parent"])
        store.upsert_contact(B, roles=["helper", "parent"])
        store.upsert_contact(C, roles=["cleaner"])
        assert sorted(c["id"] for c in store.list_contacts()) == [A, B, C]
        assert sorted(c["id"] for c in store.list_contacts("parent")) == [A, B]
        assert [c["id"] for c in store.list_contacts("helper")] == [B]
        assert store.list_contacts("teacher") == []
        # roles change: membership follows
        store.upsert_contact(B, roles=["helper"])
        assert [c["id"] for c in store.list_contacts("parent")] == [A]
        assert store.list_contacts("cleaner")[0] == store.get_contact(C)

    def test_remove_contact(self, store):
        store.upsert_contact(A, roles=["parent"])
        assert store.remove_contact(A) is True
        assert store.get_contact(A) is None
        assert store.list_contacts("parent") == []
        assert store.list_contacts() == []
        assert store.remove_contact(A) is False

    def test_remove_contact_ends_their_conversation_and_keeps_everyone_elses(self, store):
        for who in (A, B):
            store.upsert_contact(who, roles=["parent"])
            store.save_session(Session(contact=who, flow="f", state="s", status=WAITING_INPUT))
            store.add_timer(f"t-{who}", who, T0, "timeout", {})
            store.record_inbound("sms", f"SM-{who}", who, "hola", T0)
        assert store.remove_contact(A) is True
        # nothing of theirs left to fire, drain or resume (a timer or a pending
        # message would step them again and bring back a bare record)
        assert store.get_session(A) is None and store.get_timer(f"t-{A}") is None
        assert store.pending_inbound(A) == [] and store.inbound_log(A) == []
        assert [t["contact"] for t in store.claim_due_timers(T0)] == [B]
        assert store.get_session(B).state == "s" and [m["text"] for m in store.pending_inbound(B)] == ["hola"]

    # ------------------------------------------------------------ sessions
    def test_session_round_trip(self, store):
        when = datetime(2026, 3, 3, 9, 30, tzinfo=LOCAL)
        s = Session(contact=A, flow="childcare", state="ask_when", status=WAITING_INPUT,
                    vars={"when": when, "amount": Decimal("12.50"), "nested": {"list": [1, "two", when]},
                          "n": 3, "flag": True, "none": None},
                    misses=1, timer="t7", expires_at=when + timedelta(hours=2), updated_at=T0,
                    window_start=T0, window_sent=2)
        with store.transaction() as tx:
            assert tx.get_session(A) is None
            tx.save_session(s)
        got = store.get_session(A)
        assert got.to_dict() == s.to_dict()
        assert got == s
        assert isinstance(got.vars["amount"], Decimal) and got.vars["amount"] == Decimal("12.50")
        assert got.vars["when"] == when and got.vars["when"].tzinfo is not None
        assert got.expires_at == when + timedelta(hours=2)

    def test_session_save_replaces(self, store):
        store.save_session(Session(contact=A, flow="f", state="a", status=WAITING_INPUT, vars={"x": 1}))
        store.save_session(Session(contact=A, flow=None, state=None, status=ENDED))
        got = store.get_session(A)
        assert got.status == ENDED and got.vars == {} and got.flow is None
        assert store.get_session(B) is None

    # ------------------------------------------------------------ timers
    def test_timers_due_only_once_in_order(self, store):
        with store.transaction() as tx:
            tx.add_timer("t2", A, T0 + timedelta(seconds=20), "timeout", {"at": T0, "n": Decimal("1.5")})
            tx.add_timer("t1", B, T0 + timedelta(seconds=10), "ring", {})
            tx.add_timer("t3", A, T0 + timedelta(hours=1), "timeout", {})
        assert store.claim_due_timers(T0) == []
        due = store.claim_due_timers(T0 + timedelta(seconds=30))
        assert [t["id"] for t in due] == ["t1", "t2"]
        t2 = due[1]
        assert t2 == {"id": "t2", "contact": A, "at": T0 + timedelta(seconds=20), "event": "timeout",
                      "data": {"at": T0, "n": Decimal("1.5")}}
        assert t2["at"].tzinfo is not None
        assert store.claim_due_timers(T0 + timedelta(seconds=30)) == []
        assert [t["id"] for t in store.claim_due_timers(T0 + timedelta(days=1))] == ["t3"]

    def test_timer_due_exactly_at_now(self, store):
        store.add_timer("t1", A, T0, "timeout", {})
        assert [t["id"] for t in store.claim_due_timers(T0)] == ["t1"]

    def test_timer_other_timezone_compares_by_instant(self, store):
        store.add_timer("t1", A, datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL), "e", {})  # 14:00 UTC
        assert store.claim_due_timers(T0 + timedelta(minutes=59)) == []
        assert [t["id"] for t in store.claim_due_timers(T0 + timedelta(minutes=60))] == ["t1"]

    def test_timer_cancel_and_replace(self, store):
        store.add_timer("t1", A, T0, "e", {})
        store.add_timer("t2", A, T0, "e", {})
        with store.transaction() as tx:
            tx.cancel_timer("t1")
            tx.cancel_timer("nope")  # cancelling an unknown timer is fine
        store.add_timer("t2", A, T0 + timedelta(hours=1), "e2", {"v": 2})  # same id: replaces
        assert store.claim_due_timers(T0 + timedelta(minutes=1)) == []
        due = store.claim_due_timers(T0 + timedelta(hours=1))
        assert [(t["id"], t["event"], t["data"]) for t in due] == [("t2", "e2", {"v": 2})]

    def test_claim_due_timers_limit(self, store):
        for i in range(5):
            store.add_timer(f"t{i}", A, T0 + timedelta(seconds=i), "e", {})
        first = store.claim_due_timers(T0 + timedelta(minutes=1), limit=3)
        assert [t["id"] for t in first] == ["t0", "t1", "t2"]
        assert [t["id"] for t in store.claim_due_timers(T0 + timedelta(minutes=1), limit=3)] == ["t3", "t4"]

    def test_claim_due_timers_concurrently_each_once(self, store):
        with store.transaction() as tx:
            for i in range(60):
                tx.add_timer(f"t{i}", A if i % 2 else B, T0 + timedelta(seconds=i), "e", {"i": i})

        def worker(_):
            got = []
            while True:
                batch = store.claim_due_timers(T0 + timedelta(minutes=5), limit=4)
                if not batch:
                    return got
                got.extend(t["id"] for t in batch)

        results = run_threads(8, worker)
        claimed = [tid for r in results for tid in r]
        assert sorted(claimed) == sorted(f"t{i}" for i in range(60))
        assert len(claimed) == len(set(claimed))

    # ------------------------------------------------------------ outbox
    def test_outbox_lifecycle(self, store):
        with store.transaction() as tx:
            tx.add_outbound(msg("m1", created_at=T0))
            tx.add_outbound(msg("m2", to=B, created_at=T0 + timedelta(seconds=1)))
        listed = store.list_outbound()
        assert [m["id"] for m in listed] == ["m1", "m2"]
        m1 = listed[0]
        for k, v in msg("m1").items():
            assert m1[k] == v, k
        assert m1["created_at"].tzinfo is not None

        leased = store.lease_outbound(T0 + timedelta(seconds=5), lease_seconds=30)
        assert [m["id"] for m in leased] == ["m1", "m2"]  # oldest first
        assert all(m["status"] == "sending" for m in leased)
        assert leased[0]["lease_until"] == T0 + timedelta(seconds=35)
        assert leased[0]["text"] == "text of m1" and leased[0]["choices"] == [["1", "Yes"], ["2", "No"]]
        assert [m["status"] for m in store.list_outbound()] == ["sending", "sending"]
        # still leased: nobody else gets them
        assert store.lease_outbound(T0 + timedelta(seconds=6), lease_seconds=30) == []

        store.mark_outbound("m1", "sent", T0 + timedelta(seconds=7), provider_id="SM123", attempts=1)
        store.mark_outbound("m2", "failed", T0 + timedelta(seconds=7), error="invalid number", attempts=3)
        by_id = {m["id"]: m for m in store.list_outbound()}
        assert by_id["m1"]["status"] == "sent" and by_id["m1"]["provider_id"] == "SM123"
        assert by_id["m1"]["attempts"] == 1
        assert by_id["m2"]["status"] == "failed" and by_id["m2"]["error"] == "invalid number"
        assert by_id["m2"]["attempts"] == 3
        # sent/failed are never leased again, however late
        assert store.lease_outbound(T0 + timedelta(days=1), lease_seconds=30) == []
        store.mark_outbound("m1", "delivered", T0 + timedelta(seconds=9))
        assert store.list_outbound(status="delivered")[0]["provider_id"] == "SM123"

    def test_list_outbound_filters(self, store):
        with store.transaction() as tx:
            for i, to in enumerate([A, B, A, C, A]):
                tx.add_outbound(msg(f"m{i}", to=to, created_at=T0 + timedelta(seconds=i)))
        store.mark_outbound("m2", "sent", T0)
        assert [m["id"] for m in store.list_outbound(to=A)] == ["m0", "m2", "m4"]
        assert [m["id"] for m in store.list_outbound(status="queued")] == ["m0", "m1", "m3", "m4"]
        assert [m["id"] for m in store.list_outbound(to=A, status="queued")] == ["m0", "m4"]
        assert [m["id"] for m in store.list_outbound(to=A, status="sent")] == ["m2"]
        assert store.list_outbound(to="+1999") == []
        assert [m["id"] for m in store.list_outbound(limit=2)] == ["m3", "m4"]  # the newest two, oldest first
        assert [m["id"] for m in store.list_outbound(status="queued", limit=2)] == ["m3", "m4"]

    def test_unsent_before_gives_a_persons_earlier_texts_still_to_go(self, store):
        with store.transaction() as tx:
            for i, to in enumerate([A, A, B, A, A, A]):
                tx.add_outbound(msg(f"m{i}", to=to, channel="whatsapp" if i == 3 else "sms"))
        store.mark_outbound("m1", "sent", T0, attempts=1)
        store.lease_outbound(T0, lease_seconds=30, limit=1)  # m0 is being sent
        store.mark_outbound("m3", "queued", T0, attempts=2, retry_at=T0 + timedelta(minutes=5), error="503")
        got = store.unsent_before(A, "m5")
        assert [(m["id"], m["status"], m["channel"], m["attempts"]) for m in got] == [
            ("m0", "sending", "sms", 0), ("m3", "queued", "whatsapp", 2), ("m4", "queued", "sms", 0)]
        assert got[0]["lease_until"] == T0 + timedelta(seconds=30) and got[0]["retry_at"] is None
        assert got[1]["retry_at"] == T0 + timedelta(minutes=5)
        assert set(got[0]) == {"id", "status", "channel", "attempts", "retry_at", "lease_until"}
        assert [m["id"] for m in store.unsent_before(A, "m3")] == ["m0"]
        assert store.unsent_before(A, "m0") == []
        assert [m["id"] for m in store.unsent_before(A, "m5", limit=3)] == ["m3", "m4"]  # among A's newest 3
        assert store.unsent_before(A, "m0", limit=3) == []  # not among them: nothing is looked for
        assert store.unsent_before(B, "m5") == []  # another person's message

    def test_expired_lease_is_leased_again(self, store):
        store.add_outbound(msg("m1"))
        assert [m["id"] for m in store.lease_outbound(T0, lease_seconds=30)] == ["m1"]
        assert store.lease_outbound(T0 + timedelta(seconds=29), lease_seconds=30) == []
        # the sender died: after the lease runs out the sweeper's lease takes it again
        again = store.lease_outbound(T0 + timedelta(seconds=31), lease_seconds=30)
        assert [m["id"] for m in again] == ["m1"]
        assert again[0]["status"] == "sending"
        assert again[0]["lease_until"] == T0 + timedelta(seconds=61)

    def test_queued_retry_waits_for_retry_at(self, store):
        store.add_outbound(msg("m1"))
        store.lease_outbound(T0, lease_seconds=30)
        store.mark_outbound("m1", "queued", T0 + timedelta(seconds=1), retry_at=T0 + timedelta(seconds=60),
                            attempts=1, error="timeout")
        assert store.list_outbound(status="queued")[0]["retry_at"] == T0 + timedelta(seconds=60)
        assert store.lease_outbound(T0 + timedelta(seconds=59), lease_seconds=30) == []
        again = store.lease_outbound(T0 + timedelta(seconds=60), lease_seconds=30)
        assert [m["id"] for m in again] == ["m1"] and again[0]["attempts"] == 1

    def test_lease_limit_oldest_first(self, store):
        for i in range(5):
            store.add_outbound(msg(f"m{i}", created_at=T0 - timedelta(seconds=i)))  # m4 is oldest
        assert [m["id"] for m in store.lease_outbound(T0, 30, limit=2)] == ["m4", "m3"]
        assert [m["id"] for m in store.lease_outbound(T0, 30, limit=10)] == ["m2", "m1", "m0"]

    def test_lease_concurrently_each_once(self, store):
        with store.transaction() as tx:
            for i in range(40):
                tx.add_outbound(msg(f"m{i}", created_at=T0 + timedelta(milliseconds=i)))

        def worker(_):
            got = []
            while True:
                batch = store.lease_outbound(T0 + timedelta(seconds=1), 60, limit=3)
                if not batch:
                    return got
                got.extend(m["id"] for m in batch)

        claimed = [mid for r in run_threads(8, worker) for mid in r]
        assert sorted(claimed) == sorted(f"m{i}" for i in range(40))
        assert len(claimed) == len(set(claimed))

    # ------------------------------------------------------------ inbound
    def test_record_inbound_idempotent(self, store):
        seq = store.record_inbound("sms", "SM1", A, "hola", T0, {"from": A})
        assert seq == 1
        assert store.record_inbound("sms", "SM1", A, "hola (retry)", T0 + timedelta(seconds=5), {}) is None
        pending = store.pending_inbound(A)
        assert len(pending) == 1
        p = pending[0]
        assert (p["channel"], p["provider_id"], p["contact"], p["seq"], p["text"]) == ("sms", "SM1", A, 1, "hola")
        assert p["received_at"] == T0 and p["received_at"].tzinfo is not None
        assert p["meta"] == {"from": A}
        # the same provider id on another channel is another message
        assert store.record_inbound("telegram", "SM1", A, "hi", T0, None) == 2
        assert store.pending_inbound(A)[1]["meta"] == {}

    def test_inbound_sequence_per_contact(self, store):
        assert [store.record_inbound("sms", f"a{i}", A, f"t{i}", T0) for i in range(3)] == [1, 2, 3]
        assert store.record_inbound("sms", "b0", B, "x", T0) == 1
        assert store.record_inbound("sms", "a1", A, "dup", T0) is None  # a repeat takes no number
        assert store.record_inbound("sms", "a3", A, "t3", T0) == 4
        assert [p["text"] for p in store.pending_inbound(A)] == ["t0", "t1", "t2", "t3"]
        assert [p["seq"] for p in store.pending_inbound(A)] == [1, 2, 3, 4]
        assert [p["text"] for p in store.pending_inbound(B)] == ["x"]
        assert store.pending_inbound(C) == []

    def test_mark_inbound_done(self, store):
        for i in range(3):
            store.record_inbound("sms", f"a{i}", A, f"t{i}", T0)
        store.record_inbound("sms", "b0", B, "x", T0)
        store.mark_inbound_done(A, 1)
        store.mark_inbound_done(A, 3)
        assert [p["seq"] for p in store.pending_inbound(A)] == [2]
        assert [p["seq"] for p in store.pending_inbound(B)] == [1]
        store.mark_inbound_done(A, 2)
        store.mark_inbound_done(A, 2)  # twice is fine
        assert store.pending_inbound(A) == []
        # a provider retry of a handled message is still a duplicate
        assert store.record_inbound("sms", "a0", A, "t0", T0) is None
        assert store.record_inbound("sms", "a9", A, "t9", T0) == 4

    def test_record_inbound_concurrently(self, store):
        seqs = run_threads(8, lambda i: store.record_inbound("sms", f"p{i}", A, f"t{i}", T0))
        assert sorted(seqs) == list(range(1, 9))
        dup = run_threads(8, lambda i: store.record_inbound("sms", "same", B, "x", T0))
        assert sorted(dup, key=lambda s: s is None) == [1] + [None] * 7
        assert len(store.pending_inbound(B)) == 1

    def test_queue_inbound_records_and_sets_one_drain_timer_due_at_arrival(self, store):
        assert store.queue_inbound("sms", "q1", A, "hola", T0, {"from": A}) == 1
        assert store.queue_inbound("sms", "q2", A, "otra", T0 + timedelta(seconds=1)) == 2
        assert store.queue_inbound("sms", "q1", A, "hola (retry)", T0 + timedelta(seconds=2)) is None
        assert store.queue_inbound("sms", "q3", B, "hi", T0) == 1
        assert [p["text"] for p in store.pending_inbound(A)] == ["hola", "otra"]
        assert store.pending_inbound(A)[0]["meta"] == {"from": A}
        timer = store.get_timer(drain_timer_id(A))
        # one timer per contact, moved by each message, a repeat included
        assert (timer["contact"], timer["event"], timer["at"]) == (A, DRAIN_EVENT, T0 + timedelta(seconds=2))
        assert A not in drain_timer_id(A) and drain_timer_id(A) != drain_timer_id(B)
        assert store.claim_due_timers(T0 + timedelta(seconds=1)) == [
            {"id": drain_timer_id(B), "contact": B, "at": T0, "event": DRAIN_EVENT, "data": {}}]
        due = store.claim_due_timers(T0 + timedelta(seconds=2))
        assert [(t["contact"], t["event"]) for t in due] == [(A, DRAIN_EVENT)]
        assert store.claim_due_timers(T0 + timedelta(hours=1)) == []

    def test_queue_inbound_after_the_drain_was_claimed_sets_it_again(self, store):
        store.queue_inbound("sms", "q1", A, "one", T0)
        assert len(store.claim_due_timers(T0)) == 1
        store.queue_inbound("sms", "q2", A, "two", T0 + timedelta(seconds=1))
        assert [t["contact"] for t in store.claim_due_timers(T0 + timedelta(seconds=1))] == [A]
        assert [p["seq"] for p in store.pending_inbound(A)] == [1, 2]

    def test_a_drain_claimed_by_a_worker_that_died_is_set_again_by_the_sweep(self, store):
        store.queue_inbound("sms", "q1", A, "one", T0)
        store.queue_inbound("sms", "q2", B, "two", T0)
        store.mark_inbound_done(B, 1)
        assert store.requeue_stranded_inbound(T0) == 0  # A's drain is still set; B has nothing pending
        assert len(store.claim_due_timers(T0)) == 2  # ... then the worker that claimed them died
        later = T0 + timedelta(minutes=5)
        assert store.requeue_stranded_inbound(later) == 1
        assert [(t["id"], t["contact"], t["at"]) for t in store.claim_due_timers(later)] == [
            (drain_timer_id(A), A, later)]
        store.record_inbound("sms", "plain", C, "recorded, never queued", T0)  # a webhook-mode crash
        assert store.requeue_stranded_inbound(later) == 2 and store.requeue_stranded_inbound(later) == 0

    # ------------------------------------------------------------ records
    def test_put_get_find_records(self, store):
        with store.transaction() as tx:
            tx.put_record("childcare.request", "r1", {"id": "r1", "parent": A, "status": "open", "kids": 2,
                                                      "at": T0, "pay": Decimal("15.00")})
            tx.put_record("childcare.request", "r2", {"id": "r2", "parent": B, "status": "open", "kids": 1})
            tx.put_record("childcare.request", "r3", {"id": "r3", "parent": A, "status": "done", "kids": 2})
            tx.put_record("cleaning.task", "r1", {"id": "r1", "parent": A, "status": "open"})
        got = store.get_record("childcare.request", "r1")
        assert got == {"id": "r1", "parent": A, "status": "open", "kids": 2, "at": T0, "pay": Decimal("15.00")}
        assert isinstance(got["pay"], Decimal) and got["at"].tzinfo is not None
        assert store.get_record("childcare.request", "nope") is None
        assert store.get_record("other.kind", "r1") is None

        def ids(rows):
            return sorted(r["id"] for r in rows)

        assert ids(store.find_records("childcare.request")) == ["r1", "r2", "r3"]
        assert ids(store.find_records("childcare.request", parent=A)) == ["r1", "r3"]
        assert ids(store.find_records("childcare.request", parent=A, status="open")) == ["r1"]
        assert ids(store.find_records("childcare.request", kids=2)) == ["r1", "r3"]
        assert store.find_records("childcare.request", kids="2") == []  # values compare with their type
        assert ids(store.find_records("cleaning.task", parent=A)) == ["r1"]
        assert store.find_records("childcare.request", parent=C) == []
        assert store.find_records("nothing.here") == []

    def test_put_record_replaces_and_reindexes(self, store):
        store.put_record("peer.post", "p1", {"id": "p1", "status": "open", "area": "north"})
        store.put_record("peer.post", "p1", {"id": "p1", "status": "closed"})
        assert store.get_record("peer.post", "p1") == {"id": "p1", "status": "closed"}
        assert store.find_records("peer.post", status="open") == []
        assert store.find_records("peer.post", area="north") == []
        assert [r["id"] for r in store.find_records("peer.post", status="closed")] == ["p1"]

    def test_add_record_findable(self, store):
        with store.transaction() as tx:
            tx.add_record("ledger.entry", {"contact": A, "amount": Decimal("3.25"), "what": "hours"})
            tx.add_record("ledger.entry", {"contact": A, "amount": Decimal("1.00"), "what": "hours"})
            tx.add_record("ledger.entry", {"id": "e9", "contact": B, "amount": Decimal("2"), "what": "hours"})
        rows = store.find_records("ledger.entry", contact=A)
        assert sorted(r["amount"] for r in rows) == [Decimal("1.00"), Decimal("3.25")]
        assert store.get_record("ledger.entry", "e9")["contact"] == B  # a given id is used
        assert len(store.find_records("ledger.entry", what="hours")) == 3

    def test_returned_record_is_a_copy(self, store):
        store.put_record("k", "r1", {"id": "r1", "tags": ["a"]})
        store.get_record("k", "r1")["tags"].append("b")
        store.find_records("k")[0]["tags"].append("c")
        assert store.get_record("k", "r1") == {"id": "r1", "tags": ["a"]}

    def test_claim_once(self, store):
        assert store.claim("childcare.request", "r1", "helper-1") is True
        assert store.claim("childcare.request", "r1", "helper-2") is False
        assert store.claim("childcare.request", "r2", "helper-2") is True
        assert store.claim("cleaning.task", "r1", "helper-2") is True  # kinds are separate

    def test_claim_race_exactly_one_winner(self, store):
        wins = run_threads(50, lambda i: store.claim("childcare.request", "hot", f"helper-{i}"))
        assert wins.count(True) == 1 and wins.count(False) == 49

    def test_a_claim_won_in_a_step_that_raises_is_given_back(self, store):
        store.claim("childcare.request", "kept", "helper-1")  # outside the step: stays
        with pytest.raises(Boom):
            with store.transaction() as tx:
                assert tx.claim("childcare.request", "r1", "helper-1") is True
                assert tx.claim("childcare.request", "kept", "helper-1") is False
                raise Boom()
        assert store.claim("childcare.request", "r1", "helper-2") is True  # free again
        assert store.claim("childcare.request", "kept", "helper-2") is False

    # ------------------------------------------------------------ transactions
    def test_tx_exception_leaves_nothing(self, store):
        store.upsert_contact(B, lang="en", roles=["helper"])
        store.add_timer("keep", B, T0, "e", {})
        with pytest.raises(Boom):
            with store.transaction() as tx:
                tx.upsert_contact(A, lang="es", roles=["parent"])
                tx.upsert_contact(B, lang="es", roles=["parent"])
                tx.save_session(Session(contact=A, flow="f", state="s", status=WAITING_INPUT))
                tx.add_outbound(msg("m1"))
                tx.add_timer("t1", A, T0, "timeout", {})
                tx.cancel_timer("keep")
                tx.put_record("childcare.request", "r1", {"id": "r1", "parent": A})
                tx.add_record("ledger.entry", {"contact": A})
                tx.audit({"at": T0, "contact": A, "what": "x", "data": {}})
                raise Boom()
        assert store.get_contact(A) is None
        assert store.get_contact(B)["lang"] == "en" and store.get_contact(B)["roles"] == ["helper"]
        assert [c["id"] for c in store.list_contacts("parent")] == []
        assert store.get_session(A) is None
        assert store.list_outbound() == []
        assert store.lease_outbound(T0, 30) == []
        assert [t["id"] for t in store.claim_due_timers(T0 + timedelta(days=1))] == ["keep"]
        assert store.get_record("childcare.request", "r1") is None
        assert store.find_records("childcare.request") == []
        assert store.find_records("ledger.entry") == []
        assert list(store.audit_entries()) == []
        assert list(store.audit_entries(A)) == []

    def test_tx_commits_together(self, store):
        with store.transaction() as tx:
            tx.upsert_contact(A, lang="es")
            tx.save_session(Session(contact=A, flow="f", state="s", status=WAITING_INPUT))
            tx.add_outbound(msg("m1"))
            tx.add_timer("t1", A, T0, "timeout", {})
            tx.put_record("k", "r1", {"id": "r1"})
            tx.audit({"at": T0, "contact": A, "what": "x", "data": {}})
        assert store.get_contact(A)["lang"] == "es"
        assert store.get_session(A).state == "s"
        assert [m["id"] for m in store.list_outbound()] == ["m1"]
        assert [t["id"] for t in store.claim_due_timers(T0)] == ["t1"]
        assert store.get_record("k", "r1") == {"id": "r1"}
        assert [e["what"] for e in store.audit_entries(A)] == ["x"]

    def test_tx_reads_its_own_writes(self, store):
        store.upsert_contact(A, lang="en")
        with store.transaction() as tx:
            tx.upsert_contact(A, lang="es", name="Ana")
            assert tx.get_contact(A)["lang"] == "es" and tx.get_contact(A)["name"] == "Ana"
            tx.upsert_contact(B, roles=["helper"])
            assert tx.get_contact(B)["roles"] == ["helper"]
            tx.save_session(Session(contact=A, flow="f", state="s1", status=WAITING_INPUT, vars={"d": Decimal("1")}))
            assert tx.get_session(A).state == "s1"
            assert tx.get_session(A).vars == {"d": Decimal("1")}
            tx.save_session(Session(contact=A, flow="f", state="s2", status=WAITING_INPUT))
            assert tx.get_session(A).state == "s2"
            tx.put_record("k", "r1", {"id": "r1", "n": 1})
            assert tx.get_record("k", "r1") == {"id": "r1", "n": 1}
            tx.put_record("k", "r1", {"id": "r1", "n": 2})
            assert tx.get_record("k", "r1") == {"id": "r1", "n": 2}
        assert store.get_session(A).state == "s2"
        assert store.get_record("k", "r1")["n"] == 2

    def test_tx_methods_work_on_the_store_directly(self, store):
        rec = store.upsert_contact(A, lang="es")
        assert store.get_contact(A) == rec
        store.save_session(Session(contact=A, flow="f", state="s", status=WAITING_INPUT))
        assert store.get_session(A).state == "s"
        store.add_outbound(msg("m1"))
        store.add_timer("t1", A, T0, "e", {})
        store.cancel_timer("t1")
        store.put_record("k", "r1", {"id": "r1"})
        store.add_record("k2", {"x": 1})
        store.audit({"at": T0, "contact": A, "what": "direct"})
        assert store.get_record("k", "r1") == {"id": "r1"}
        assert store.find_records("k2", x=1) == [{"x": 1}]  # returned as given: no id added
        assert [m["id"] for m in store.list_outbound()] == ["m1"]
        assert store.claim_due_timers(T0) == []
        assert [e["what"] for e in store.audit_entries(A)] == ["direct"]

    # ------------------------------------------------------------ contact lock
    def test_contact_lock_no_lost_update(self, store):
        store.put_record("counter", "c", {"n": 0})

        def worker(i):
            for _ in range(20):
                with store.contact_lock(A, timeout=20):
                    with store.transaction() as tx:
                        n = tx.get_record("counter", "c")["n"]
                    time.sleep(0)  # let another thread try to interleave
                    with store.transaction() as tx:
                        tx.put_record("counter", "c", {"n": n + 1})

        run_threads(10, worker)
        assert store.get_record("counter", "c") == {"n": 200}

    def test_contact_lock_times_out(self, store):
        held = threading.Event()
        release = threading.Event()

        def holder():
            with store.contact_lock(A, timeout=5):
                held.set()
                release.wait(10)

        t = threading.Thread(target=holder)
        t.start()
        try:
            assert held.wait(5)
            start = time.monotonic()
            with pytest.raises(TimeoutError):
                with store.contact_lock(A, timeout=0.3):
                    pass
            elapsed = time.monotonic() - start
            assert 0.25 <= elapsed < 3
            # another contact is not blocked
            with store.contact_lock(B, timeout=1):
                pass
        finally:
            release.set()
            t.join(10)
        # released when the holder leaves
        with store.contact_lock(A, timeout=2):
            pass

    def test_contact_lock_released_on_exception(self, store):
        with pytest.raises(Boom):
            with store.contact_lock(A, timeout=1):
                raise Boom()
        with store.contact_lock(A, timeout=1):
            pass

    # ------------------------------------------------------------ audit
    def test_audit_append_only_per_contact(self, store):
        with store.transaction() as tx:
            tx.audit({"at": T0, "contact": A, "what": "first", "data": {"n": 1, "when": T0}})
            tx.audit({"at": T0 + timedelta(seconds=1), "contact": B, "what": "other", "data": {}})
        store.audit({"at": T0 + timedelta(seconds=2), "contact": A, "what": "second", "data": {"n": 2}})
        store.audit({"at": T0 + timedelta(seconds=3), "contact": None, "what": "system", "data": {}})
        mine = list(store.audit_entries(A))
        assert [e["what"] for e in mine] == ["first", "second"]
        first = mine[0]
        assert first["at"] == T0 and first["at"].tzinfo is not None
        assert first["contact"] == A and first["data"] == {"n": 1, "when": T0}
        assert [e["what"] for e in store.audit_entries()] == ["first", "other", "second", "system"]
        # returned entries are copies; removing the contact keeps its audit trail
        mine[0]["what"] = "rewritten"
        store.upsert_contact(A)
        store.remove_contact(A)
        assert [e["what"] for e in store.audit_entries(A)] == ["first", "second"]

    # ------------------------------------------------------------ pacing
    def test_rate_wait_lets_one_send_per_interval_through(self, store):
        assert store.rate_wait("twilio:+1", 1.0, T0) == 0.0
        wait = store.rate_wait("twilio:+1", 1.0, T0)
        assert wait == pytest.approx(1.0, abs=1e-3)
        assert store.rate_wait("twilio:+1", 1.0, T0 + timedelta(seconds=0.5)) == pytest.approx(0.5, abs=1e-3)
        # a refused send was not counted: at the interval the next one goes
        assert store.rate_wait("twilio:+1", 1.0, T0 + timedelta(seconds=1)) == 0.0
        # other keys are independent
        assert store.rate_wait("telegram:42", 1.0, T0) == 0.0

    def test_rate_wait_allows_a_burst_then_the_steady_rate(self, store):
        assert [store.rate_wait("tg", 0.1, T0, burst=3) for _ in range(3)] == [0.0, 0.0, 0.0]
        assert store.rate_wait("tg", 0.1, T0, burst=3) == pytest.approx(0.1, abs=1e-3)
        assert store.rate_wait("tg", 0.1, T0 + timedelta(seconds=0.1), burst=3) == 0.0

    def test_rate_wait_counts_each_send_once_across_threads(self, store):
        results: list[float] = []

        def go():
            results.append(store.rate_wait("shared", 10.0, T0))

        threads = [threading.Thread(target=go) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count(0.0) == 1

    # ------------------------------------------------------------ receive (record + lock)
    def test_receive_records_once_and_holds_the_contact_lock(self, store):
        with store.receive("sms", "SM1", A, "hola", T0, {"n": 1}) as seq:
            assert seq == 1
            with pytest.raises(TimeoutError):  # held: nobody else gets the contact
                with store.contact_lock(A, timeout=0.05):
                    pass
            assert [(r["seq"], r["text"], r["meta"]) for r in store.pending_inbound(A)] == [(1, "hola", {"n": 1})]
            with store.transaction() as tx:
                tx.mark_inbound_done(A, 1)
        with store.receive("sms", "SM1", A, "hola", T0) as seq:  # a provider's retry
            assert seq is None
            assert store.pending_inbound(A) == []
        with store.contact_lock(A, timeout=0.5):  # released after each
            pass

    def test_receive_waits_for_the_lock_and_still_records(self, store):
        done = threading.Event()
        order = []

        def second():
            with store.receive("sms", "SM2", A, "two", T0, timeout=5) as seq:
                order.append(("second", seq, [r["seq"] for r in store.pending_inbound(A)]))
            done.set()

        with store.contact_lock(A):
            t = threading.Thread(target=second)
            t.start()
            time.sleep(0.1)
            order.append(("first",))
        assert done.wait(5)
        t.join()
        assert order == [("first",), ("second", 1, [1])]

    def test_a_last_step_that_fails_leaves_its_message_pending_and_the_lock_free(self, store):
        with pytest.raises(RuntimeError):
            with store.receive("sms", "SM1", A, "hi", T0) as seq:
                store.release_with_commit(A)  # this step was to free the lock with its commit
                with store.transaction() as tx:
                    tx.mark_inbound_done(A, seq)
                    tx.upsert_contact(A, lang="en")
                    raise RuntimeError("the step broke before its commit")
        assert [r["seq"] for r in store.pending_inbound(A)] == [1] and store.get_contact(A) is None
        with store.receive("sms", "SM2", A, "again", T0, timeout=0.5) as seq:  # free for the next one
            assert seq == 2
            store.release_with_commit(A)
            with store.transaction() as tx:
                tx.mark_inbound_done(A, 1)
                tx.mark_inbound_done(A, 2)
        with store.contact_lock(A, timeout=0.5):  # and freed by that commit, or after it
            assert store.pending_inbound(A) == []

    def test_reads_inside_the_lock_see_a_commit_made_inside_it(self, store):
        with store.transaction() as tx:
            tx.upsert_contact(A, name="Ana")
        with store.receive("sms", "SM3", A, "x", T0):
            with store.transaction() as tx:
                assert tx.get_contact(A)["name"] == "Ana"
                tx.upsert_contact(A, name="Ana María")
            with store.transaction() as tx:  # not a stale copy loaded with the lock
                assert tx.get_contact(A)["name"] == "Ana María"

    # ------------------------------------------------------------ what actions use inside a step
    def test_a_step_finds_records_claims_and_lists_contacts(self, store):
        with store.transaction() as tx:
            tx.upsert_contact(A, roles=["helper"], area="East")
            tx.put_record("cc.request", "R1", {"id": "R1", "status": "open", "area": "East"})
        with store.transaction() as tx:
            tx.put_record("cc.request", "R2", {"id": "R2", "status": "open", "area": "East"})
            tx.put_record("cc.request", "R1", {"id": "R1", "status": "covered", "area": "East"})
            found = sorted(r["id"] for r in tx.find_records("cc.request", status="open"))
            assert found == ["R2"]  # its own writes laid over what was committed
            assert [c["id"] for c in tx.list_contacts("helper")] == [A]
            assert tx.claim("cc.request", "R2", A) is True
            assert tx.claim("cc.request", "R2", B) is False
        assert sorted(r["id"] for r in store.find_records("cc.request", area="East")) == ["R1", "R2"]

    # ------------------------------------------------------------ removal (Data rights: bot/web/rights.py)
    def test_delete_record_removes_it_its_index_and_its_claim(self, store):
        store.put_record("cc.request", "R1", {"id": "R1", "status": "open"})
        store.put_record("cc.request", "R2", {"id": "R2", "status": "open"})
        assert store.claim("cc.request", "R1", A) is True
        assert store.delete_record("cc.request", "R1") is True
        assert store.get_record("cc.request", "R1") is None
        assert [r["id"] for r in store.find_records("cc.request", status="open")] == ["R2"]
        assert store.delete_record("cc.request", "R1") is False
        assert store.delete_record("nothing.here", "R1") is False
        assert store.claim("cc.request", "R1", B) is True  # a new record under that id starts unclaimed

    def test_record_kinds_lists_kinds_that_have_records(self, store):
        assert store.record_kinds() == []
        store.put_record("peer.post", "P1", {"id": "P1"})
        store.put_record("cc.request", "R1", {"id": "R1"})
        store.put_record("cc.request", "R2", {"id": "R2"})
        assert store.record_kinds() == ["cc.request", "peer.post"]
        store.delete_record("peer.post", "P1")
        assert store.record_kinds() == ["cc.request"]

    def test_forget_contact_erases_what_the_core_holds_and_pseudonymises_audit(self, store):
        store.upsert_contact(A, roles=["helper"], name="Ana")
        store.upsert_contact(B, roles=["parent"])
        store.save_session(Session(contact=A, status=WAITING_INPUT, flow="main", state="menu"))
        store.add_timer("t1", A, T0 + timedelta(minutes=5), "timeout", {})
        store.add_timer("t2", B, T0 + timedelta(minutes=5), "timeout", {})
        store.record_inbound("sms", "SM1", A, "hola", T0)
        store.add_outbound(msg("m1", to=A))
        store.add_outbound(msg("m2", to=B))
        store.audit({"contact": A, "what": "helped", "data": {"parent": B, "helper": A}})
        store.audit({"contact": B, "what": "asked", "data": {"asked": [A, C]}})
        assert store.claim("cc.request", "R1", A) is True
        store.forget_contact(A, "anon-1")
        assert store.claim("cc.request", "R1", B) is False  # still claimed (by the token now)
        assert store.get_contact(A) is None and store.get_session(A) is None
        assert [c["id"] for c in store.list_contacts("helper")] == []
        assert store.pending_inbound(A) == []
        assert store.list_outbound(to=A) == [] and [m["id"] for m in store.list_outbound()] == ["m2"]
        assert [m["id"] for m in store.lease_outbound(T0, 30)] == ["m2"]
        assert [t["id"] for t in store.claim_due_timers(T0 + timedelta(hours=1))] == ["t2"]
        entries = list(store.audit_entries())
        assert entries == [{"contact": "anon-1", "what": "helped", "data": {"parent": B, "helper": "anon-1"}},
                           {"contact": B, "what": "asked", "data": {"asked": ["anon-1", C]}}]
        assert list(store.audit_entries(A)) == [] and len(list(store.audit_entries("anon-1"))) == 1
        assert store.record_inbound("sms", "SM9", A, "again", T0) == 1  # a fresh start if they come back

    def test_get_timer_shows_a_scheduled_timer_until_it_fires_or_is_cancelled(self, store):
        store.add_timer("job:x.ring:R1", "job:x.ring:R1", T0 + timedelta(minutes=5), "x_ring", {"request": "R1"})
        store.add_timer("t2", A, T0 + timedelta(minutes=1), "timeout", {})
        assert store.get_timer("job:x.ring:R1") == {"id": "job:x.ring:R1", "contact": "job:x.ring:R1",
                                                    "at": T0 + timedelta(minutes=5), "event": "x_ring",
                                                    "data": {"request": "R1"}}
        assert store.get_timer("nope") is None
        store.cancel_timer("job:x.ring:R1")
        assert store.get_timer("job:x.ring:R1") is None
        assert [t["id"] for t in store.claim_due_timers(T0 + timedelta(minutes=2))] == ["t2"]
        assert store.get_timer("t2") is None  # fired: gone

    def test_forget_contact_erases_their_words_in_messages_to_others(self, store):
        store.add_outbound({**msg("m1", to=B), "text": "Ana: the key is under the mat", "by": A})
        store.add_outbound({**msg("m2", to=B), "text": "Your visit is tomorrow"})
        store.add_outbound({**msg("m3", to=C), "text": "Luis: see you", "by": B})
        store.mark_outbound("m1", "delivered", T0, provider_id="P1")
        store.forget_contact(A, "anon-1")
        rows = {m["id"]: m for m in store.list_outbound()}
        assert rows["m1"]["text"] == "[erased]" and "by" not in rows["m1"]
        assert rows["m1"]["status"] == "delivered" and rows["m1"]["provider_id"] == "P1" and rows["m1"]["to"] == B
        assert rows["m2"]["text"] == "Your visit is tomorrow" and rows["m3"]["by"] == B

    def test_inbound_log_holds_pending_texts_and_handled_ones_while_kept(self, store):
        store.record_inbound("sms", "SM1", A, "hola", T0)
        store.record_inbound("sms", "SM2", A, "1", T0 + timedelta(seconds=1))
        store.record_inbound("sms", "SM3", B, "other", T0)
        store.mark_inbound_done(A, 1)
        log = store.inbound_log(A)
        assert [r["text"] for r in log if not r["done"]] == ["1"]
        assert [r["text"] for r in log] in (["hola", "1"], ["1"])  # Redis drops handled texts
        assert all(r["contact"] == A and r["received_at"].tzinfo is not None for r in log)
        assert store.inbound_log(C) == []

    def test_erase_outbound_texts_blanks_old_sent_rows_of_a_key_prefix_and_keeps_the_rest(self, store):
        old, new = T0 - timedelta(days=40), T0
        store.add_outbound(msg("p1", key="peer.to_peer_post", created_at=old))
        store.add_outbound(msg("p2", key="peer.reply_to_you", created_at=old))
        store.add_outbound(msg("p3", key="peer.to_peer_post", created_at=new))  # too new
        store.add_outbound(msg("p4", key="peer.to_peer_post", created_at=old))  # still waiting to go
        store.add_outbound(msg("c1", key="childcare.ring", created_at=old))  # another service
        store.add_outbound(msg("n1", key=None, created_at=old))
        store.mark_outbound("p1", "delivered", old + timedelta(seconds=5), provider_id="SM1")
        store.mark_outbound("p2", "failed", old + timedelta(seconds=5), error="30003")
        for mid in ("p3", "c1", "n1"):
            store.mark_outbound(mid, "sent", old)
        assert store.erase_outbound_texts("peer.", T0 - timedelta(days=30), "[erased]") == 2
        rows = {m["id"]: m for m in store.list_outbound()}
        assert rows["p1"]["text"] == rows["p2"]["text"] == "[erased]"
        assert rows["p1"]["status"] == "delivered" and rows["p1"]["provider_id"] == "SM1"
        assert rows["p1"]["created_at"] == old
        assert rows["p2"]["status"] == "failed" and rows["p2"]["error"] == "30003" and rows["p2"]["to"] == A
        assert rows["p1"]["choices"] == [["1", "Yes"], ["2", "No"]] and rows["p1"]["key"] == "peer.to_peer_post"
        for mid in ("p3", "p4", "c1", "n1"):
            assert rows[mid]["text"] == f"text of {mid}"
        assert rows["p4"]["status"] == "queued"
        assert [m["id"] for m in store.lease_outbound(T0, 30)] == ["p4"]  # the queue is untouched
        assert store.erase_outbound_texts("peer.", T0 - timedelta(days=30), "[erased]") == 0  # again: nothing new
        # several prefixes in one walk
        assert store.erase_outbound_texts(("crisis.", "childcare."), T0 - timedelta(days=30), "[erased]") == 1
        assert {m["id"]: m for m in store.list_outbound()}["c1"]["text"] == "[erased]"

    def test_erase_inbound_text_blanks_one_message_and_keeps_its_place(self, store):
        store.record_inbound("sms", "SM1", A, "call me at 415 555 0101", T0)
        store.record_inbound("sms", "SM2", A, "1", T0 + timedelta(seconds=1))
        store.record_inbound("sms", "SM3", B, "call me at 415 555 0101", T0)
        assert store.erase_inbound_text(A, 1, "[erased]") is True
        assert store.erase_inbound_text(A, 1, "[erased]") is False  # already erased
        assert store.erase_inbound_text(A, 9, "[erased]") is False  # no such message
        log = store.inbound_log(A)
        assert [(r["seq"], r["text"], r["done"]) for r in log] == [(1, "[erased]", False), (2, "1", False)]
        assert log[0]["received_at"] == T0 and log[0]["provider_id"] == "SM1"
        assert [r["text"] for r in store.pending_inbound(B)] == ["call me at 415 555 0101"]
        assert store.record_inbound("sms", "SM1", A, "retry", T0) is None  # still known: a retry stays a repeat
        store.mark_inbound_done(A, 1)
        assert [r["text"] for r in store.inbound_log(A) if r["seq"] == 1] in (["[erased]"], [])  # Redis drops it
