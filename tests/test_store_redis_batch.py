"""A worker's round of due timers as one step batch on Redis
(``Store.step_batch``, ``bot/store/redis_batch.py``): a few round trips for
the lot, and the same outcome as stepping each timer on its own."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from bot.conversation import Conductor
from bot.engine.model import CounterIds
from bot.pipeline import Inbound, Pipeline
from bot.store.redis_batch import SEND_EVERY
from store_contract import A, B
from support import NOW, engine
from test_store_redis import CountingConnection, count_round_trips, raw  # noqa: F401 - raw is a fixture

PEOPLE = [f"+1415555{i:04d}" for i in range(100, 120)]


def round_trips() -> list:
    """What was sent, but a new connection's handshake (a pipeline takes a pooled connection)."""
    handshake = (b"CLIENT", b"PING", b"SELECT")
    return [c for c in CountingConnection.sent if b"".join(c).split(b"\r\n")[2] not in handshake]


def worker_line(store, conductor_class=Conductor):
    """A webhook that only queues, and a worker's fire_due, on one store."""
    return Pipeline(store, conductor_class(engine(), store, CounterIds()), lambda: NOW, defer=True)


def queue_all(pipe, people, text, tag):
    for who in people:
        assert pipe.inbound(Inbound("sms", f"SM-{tag}-{who}", who, text)).sent == []


def test_a_round_of_twenty_drains_takes_a_few_round_trips_not_two_each(raw):
    store = raw.store()
    pipe = worker_line(store)
    queue_all(pipe, PEOPLE, "hello", "a")
    pipe.fire_due()  # scripts loaded; everyone is at the main menu
    queue_all(pipe, PEOPLE, "MENU", "b")
    count_round_trips(store)
    CountingConnection.sent.clear()  # what earlier tests' stores sent
    sent = pipe.fire_due()
    writes = [b"".join(c) for c in round_trips()]
    apply, release = store._apply.sha.encode(), store._release_lock.sha.encode()
    assert sum(w.count(apply) for w in writes) == len(PEOPLE)  # a commit each
    # the claim with the timers' data, lock + load all, the commits in a few
    # writes (Redis runs them while the worker steps the next contacts; their
    # replies are read at the end), the releases, and the next empty claim:
    # a handful of writes, not two a message (the pipelines call their
    # scripts by EVALSHA: no SCRIPT EXISTS first)
    assert len(writes) == 2 + len(PEOPLE) // SEND_EVERY + 2
    last = writes[-2]  # the releases go after the last commit
    assert last.count(release) == len(PEOPLE) and last.rindex(apply) < last.index(release)
    assert sorted(m["to"] for m in sent) == sorted(PEOPLE)
    for who in PEOPLE:
        assert store.get_session(who).state == "menu"
        assert store.pending_inbound(who) == []
        assert not raw.conn.exists(store.keys.lock(who))
    store.close()


def test_per_slot_rounds_are_not_batched_and_still_step_everyone(raw):
    store = raw.store(per_slot=True)
    with store.step_batch(PEOPLE) as held:
        assert held.locked == frozenset()
    pipe = worker_line(store)
    queue_all(pipe, PEOPLE[:5], "hello", "a")
    assert sorted({m["to"] for m in pipe.fire_due()}) == sorted(PEOPLE[:5])
    store.close()


def test_a_commit_waits_in_the_batch_but_every_read_after_it_sees_it(raw):
    store = raw.store()
    with store.step_batch([A, B]) as held:
        assert held.locked == {A, B}
        with store.contact_lock(A):
            with store.transaction() as tx:
                tx.put_record("note", "n1", {"id": "n1", "by": A})
                tx.upsert_contact(B, area="north")  # A's step writes B's record
        # not written yet: a batch's commits go SEND_EVERY at a time, or before a read
        assert raw.conn.hget(store.keys.records("note"), "n1") is None
        with store.contact_lock(B):
            # B's own read goes after A's commit: B's record as A left it, not as loaded with B's lock
            assert store.get_record("note", "n1") == {"id": "n1", "by": A}
            assert store.get_contact(B)["area"] == "north"
            with store.transaction() as tx:
                tx.upsert_contact(B, lang="es")
        assert raw.conn.exists(store.keys.lock(A)) and raw.conn.exists(store.keys.lock(B))  # held to the end
    assert held.failed == set()
    assert store.get_contact(B)["area"] == "north" and store.get_contact(B)["lang"] == "es"
    assert not raw.conn.exists(store.keys.lock(A)) and not raw.conn.exists(store.keys.lock(B))
    store.close()


def test_a_contact_record_changed_under_a_batched_step_is_not_overwritten(raw):
    store, other = raw.store(), raw.store()  # other: another process (a status callback, a coordinator)
    store.upsert_contact(A, lang="en")
    with store.step_batch([A]) as held:
        with store.contact_lock(A):
            with store.transaction() as tx:
                tx.get_contact(A)  # as loaded with the lock
                other.upsert_contact(A, vetted=True)  # meanwhile, without A's lock
                tx.upsert_contact(A, last_seq=7)
                tx.put_record("note", "n2", {"id": "n2"})
                assert tx.claim("childcare.request", "r1", A) is True
    assert held.failed == {A}  # refused whole: to be stepped again
    assert store.claim("childcare.request", "r1", A) is True  # given back: the step run again wins it again
    rec = store.get_contact(A)
    assert rec["vetted"] is True and rec.get("last_seq") in (None, 0)
    assert store.get_record("note", "n2") is None
    assert not raw.conn.exists(store.keys.lock(A))
    store.close()
    other.close()


class CoordinatorEditsMidStep(Conductor):
    """While B's message is being stepped, a coordinator (another process)
    marks B vetted: the step's commit must not undo that."""

    other = None
    tries_of_b = 0

    def message(self, contact_id, text, now, **kw):
        if contact_id == B:
            type(self).tries_of_b += 1
        if contact_id == B and not self.other.get_contact(B).get("vetted"):
            self.other.upsert_contact(B, vetted=True)
        return super().message(contact_id, text, now, **kw)


def test_a_drain_whose_contact_changed_under_it_is_stepped_again_and_answered_once(raw):
    store, other = raw.store(), raw.store()
    CoordinatorEditsMidStep.other, CoordinatorEditsMidStep.tries_of_b = other, 0
    pipe = worker_line(store, CoordinatorEditsMidStep)
    for who in (A, B):
        store.upsert_contact(who, lang="en", roles=["helper"])
    queue_all(pipe, [A, B], "hello", "a")
    sent = pipe.fire_due()
    keys_a = [m["key"] for m in store.list_outbound(to=A)]
    assert keys_a and [m["key"] for m in store.list_outbound(to=B)] == keys_a  # B answered once, as A was
    assert [m["key"] for m in sent if m["to"] == B] == keys_a  # and the refused try's sends are not reported
    assert CoordinatorEditsMidStep.tries_of_b == 2  # refused once, stepped again from fresh reads
    assert store.get_contact(B)["vetted"] is True  # the coordinator's edit stands
    assert store.get_contact(B)["last_seq"] == 1
    assert store.pending_inbound(B) == []
    store.close()
    other.close()


def test_a_contact_someone_else_holds_is_stepped_after_the_batch_under_its_own_lock(raw):
    store, other = raw.store(), raw.store()
    pipe = worker_line(store)
    queue_all(pipe, [A, B], "hello", "a")
    taken, release = threading.Event(), threading.Event()

    def hold_b():
        with other.contact_lock(B):
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold_b)
    holder.start()
    taken.wait(5)
    threading.Timer(0.2, release.set).start()
    t0 = time.monotonic()
    sent = pipe.fire_due()
    holder.join(5)
    assert sorted({m["to"] for m in sent}) == [A, B]  # B once its holder let go, in the same round
    assert time.monotonic() - t0 >= 0.15
    store.close()
    other.close()


def test_consecutive_rounds_keep_each_contacts_messages_in_order(raw):
    rounds = 3
    store = raw.store()
    pipe = worker_line(store)
    queue_all(pipe, PEOPLE, "hello", "start")
    pipe.fire_due()
    for r in range(rounds):  # two messages each before the worker looks: both stepped, in order
        queue_all(pipe, PEOPLE, "MENU", f"{r}a")
        queue_all(pipe, PEOPLE, "2", f"{r}b")
        pipe.fire_due()
    for who in PEOPLE:
        assert store.get_contact(who)["last_seq"] == 1 + 2 * rounds
        assert store.pending_inbound(who) == []
    store.close()


def test_a_round_after_redis_lost_its_scripts_loads_them_and_steps_everyone(raw):
    store = raw.store()
    pipe = worker_line(store)
    queue_all(pipe, PEOPLE[:5], "hello", "a")
    raw.conn.script_flush()  # what a restarted Redis has: no scripts (every client's calls reload theirs)
    assert sorted({m["to"] for m in pipe.fire_due()}) == sorted(PEOPLE[:5])
    for who in PEOPLE[:5]:
        assert store.pending_inbound(who) == [] and not raw.conn.exists(store.keys.lock(who))
    store.close()


def test_when_a_contacts_first_batched_step_is_refused_its_later_ones_are_too_and_all_run_again_in_order(raw):
    store, other = raw.store(), raw.store()
    CoordinatorEditsMidStep.other, CoordinatorEditsMidStep.tries_of_b = other, 0
    pipe = worker_line(store, CoordinatorEditsMidStep)
    store.upsert_contact(B, lang="en", roles=["helper"])
    pipe.inbound(Inbound("sms", "SM-1", B, "hello"))
    pipe.inbound(Inbound("sms", "SM-2", B, "MENU"))  # both pending when the worker looks
    pipe.fire_due()
    # 2 steps refused (the second read what the first left, never written), then both again
    assert CoordinatorEditsMidStep.tries_of_b == 4
    rec = store.get_contact(B)
    assert rec["vetted"] is True and rec["last_seq"] == 2 and store.pending_inbound(B) == []
    assert store.get_session(B).state == "menu"
    one_by_one = raw.store()  # the same two texts stepped one at a time elsewhere: the same replies
    alone = Pipeline(one_by_one, Conductor(engine(), one_by_one, CounterIds()), lambda: NOW)
    one_by_one.upsert_contact(A, lang="en", roles=["helper"])
    for sid, text in (("SM-1", "hello"), ("SM-2", "MENU")):
        alone.inbound(Inbound("sms", sid, A, text))
    assert [m["key"] for m in store.list_outbound(to=B)] == [m["key"] for m in one_by_one.list_outbound(to=A)]
    store.close()
    other.close()
    one_by_one.close()


class MidRound(Conductor):
    """Calls ``hit(store)`` once, as the round's ``at``-th step begins."""

    at, hit, steps = 0, None, 0

    def message(self, contact_id, text, now, **kw):
        type(self).steps += 1
        if type(self).steps == self.at:
            type(self).hit(self.store)
        return super().message(contact_id, text, now, **kw)


def test_a_round_whose_commits_find_the_scripts_gone_steps_those_contacts_again(raw):
    store = raw.store()
    pipe = worker_line(store, MidRound)
    queue_all(pipe, PEOPLE, "hello", "a")
    pipe.fire_due()
    queue_all(pipe, PEOPLE, "MENU", "b")
    MidRound.at, MidRound.steps = 3, 0  # locks loaded, two commits sent, then Redis loses its scripts
    MidRound.hit = lambda _store: raw.conn.script_flush()
    sent = pipe.fire_due()
    assert sorted(m["to"] for m in sent) == sorted(PEOPLE)  # everyone answered once
    assert MidRound.steps > len(PEOPLE)  # the commits that found no script were refused and stepped again
    for who in PEOPLE:
        assert [m["key"] for m in store.list_outbound(to=who)].count("main.menu") == 2
        assert store.pending_inbound(who) == [] and not raw.conn.exists(store.keys.lock(who))
    store.close()


def test_a_round_that_loses_its_connection_loses_no_message_and_answers_none_twice(raw):
    store = raw.store(lock_ttl=0.3)
    now = [NOW]
    pipe = Pipeline(store, MidRound(engine(), store, CounterIds()), lambda: now[0], defer=True, lock_timeout=0.05)
    queue_all(pipe, PEOPLE, "hello", "a")
    pipe.fire_due()
    queue_all(pipe, PEOPLE, "MENU", "b")
    MidRound.at, MidRound.steps = SEND_EVERY + 2, 0  # some commits written, then the connection drops
    MidRound.hit = lambda s: s._local.round.stream.conn.disconnect()
    pipe.fire_due()  # the round's later writes fail: its contacts are put back, their locks lapse
    time.sleep(0.4)
    now[0] += timedelta(minutes=5)
    pipe.fire_due()
    for who in PEOPLE:
        assert [m["key"] for m in store.list_outbound(to=who)].count("main.menu") == 2  # once each
        assert store.get_contact(who)["last_seq"] == 2 and store.pending_inbound(who) == []
        assert not raw.conn.exists(store.keys.lock(who))
    store.close()
