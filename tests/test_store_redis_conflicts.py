"""Writers without a contact's lock (a status callback's opt-out, a
coordinator's edit) and a step holding it, on one Redis: whichever commits
second keeps what the first wrote to the fields it does not set itself
(``RedisTx._apply_over_others``). Without that, every step (it rewrites the
contact record for ``last_seq``) could undo a coordinator's "not vetted" or a
STOP landing while it ran."""
from __future__ import annotations

import pytest

from bot.conversation import Conductor
from bot.engine.model import CounterIds, Session
from bot.pipeline import Inbound, Pipeline
from bot.store.base import StoreConflict
from bot.store.redis_tx import CONFLICT_TRIES
from store_contract import A, B, run_threads
from support import NOW, engine
from test_store_redis import CountingConnection, count_round_trips, raw  # noqa: F401 - raw is a fixture


@pytest.fixture
def two(raw):
    """This process's store, and another process's (a status callback, a coordinator), on the test's keys."""
    store, other = raw.store(), raw.store()
    yield store, other


def test_an_edit_landing_while_a_step_has_the_record_read_is_kept_with_the_steps_own_change(two):
    store, other = two
    store.upsert_contact(A, lang="en", vetted=True, roles=["helper"])
    with store.transaction() as tx:
        tx.get_contact(A)
        other.upsert_contact(A, vetted=False)  # the coordinator takes the helper off the list
        tx.upsert_contact(A, last_seq=7)
        tx.put_record("note", "n1", {"id": "n1"})
    rec = store.get_contact(A)
    assert rec["vetted"] is False and rec["last_seq"] == 7 and rec["roles"] == ["helper"]
    assert store.get_record("note", "n1") == {"id": "n1"}  # the rest of the commit went with it


def test_a_stop_committed_while_a_coordinator_edits_the_name_stays(two):
    store, step = two
    store.upsert_contact(A, lang="es", name="Ana")
    with store.transaction() as coordinator:
        assert coordinator.get_contact(A)["opted_out"] is False  # the edit form, as loaded
        step.upsert_contact(A, opted_out=True)  # meanwhile Ana texts PARAR
        coordinator.upsert_contact(A, name="Ana María")
    rec = store.get_contact(A)
    assert rec["opted_out"] is True and rec["name"] == "Ana María"


def test_a_form_saving_a_field_as_it_loaded_it_does_not_undo_another_change_to_it(two):
    store, other = two
    store.upsert_contact(A, lang="en", roles=["helper"], vetted=True, name="Rosa")
    with store.transaction() as form:  # the roster form re-saves every field as it loaded them
        loaded = form.get_contact(A)
        other.upsert_contact(A, vetted=False)  # meanwhile another coordinator takes her off the list
        form.upsert_contact(A, roles=loaded["roles"], vetted=loaded["vetted"], name="Rosa Díaz")
    rec = store.get_contact(A)
    assert (rec["vetted"], rec["name"], rec["roles"]) == (False, "Rosa Díaz", ["helper"])


def test_changes_laid_over_twice_are_only_the_steps_own(two):
    """Two other writers, each just before one try of the same commit."""
    store, other = two
    store.upsert_contact(A, lang="en")
    script, writes = store._apply, [{"area": "north"}, {"area": "south", "name": "Ana"}]

    def another_writer_first(**kw):
        if writes:
            other.upsert_contact(A, **writes.pop(0))
        return script(**kw)

    store._apply = another_writer_first
    with store.transaction() as tx:
        tx.get_contact(A)
        tx.upsert_contact(A, lang="es")
    store._apply = script
    rec = store.get_contact(A)
    assert (rec["lang"], rec["area"], rec["name"]) == ("es", "south", "Ana")  # not the first writer's north


def test_on_the_same_field_the_later_commit_wins_as_if_it_came_after(two):
    store, other = two
    store.upsert_contact(A, lang="en")
    with store.transaction() as tx:
        tx.get_contact(A)
        other.upsert_contact(A, lang="en", area="north")
        tx.upsert_contact(A, lang="es")
    rec = store.get_contact(A)
    assert (rec["lang"], rec["area"]) == ("es", "north")


def test_a_contact_removed_while_a_step_ran_is_not_brought_back(raw, two):
    store, other = two
    store.upsert_contact(A, lang="en", name="Ana")
    with store.transaction() as tx:
        tx.get_contact(A)
        assert other.remove_contact(A)  # a coordinator removes her (or she asked to be forgotten)
        tx.upsert_contact(A, last_seq=3)
        tx.save_session(Session(contact=A, flow="childcare", state="name", vars={"child": "Lucía"}))
        tx.add_timer("t-a", A, NOW, "wait.timeout", {})
        tx.upsert_contact(B, lang="es")  # a contact created in the same commit still is
        tx.put_record("note", "n1", {"id": "n1"})
    assert store.get_contact(A) is None and A not in {c["id"] for c in store.list_contacts()}
    assert store.get_session(A) is None and store.get_timer("t-a") is None
    assert not [key for key in raw.keys() if f"{{c:{A}}}" in key]
    assert store.get_contact(B)["lang"] == "es" and store.get_record("note", "n1") == {"id": "n1"}


def test_a_contact_created_meanwhile_gets_the_steps_fields_over_it(two):
    store, other = two
    with store.transaction() as tx:
        assert tx.get_contact(A) is None
        other.upsert_contact(A, roles=["parent"], name="Ana")  # a coordinator adds her
        tx.upsert_contact(A, lang="es")  # her first text, stepped at the same moment
    rec = store.get_contact(A)
    assert (rec["roles"], rec["name"], rec["lang"]) == (["parent"], "Ana", "es")


def test_a_commit_without_a_change_under_it_is_still_one_round_trip(raw):
    store = raw.store()
    store.upsert_contact(A, lang="en")
    count_round_trips(store)
    with store.transaction() as tx:
        tx.get_contact(A)
        CountingConnection.sent.clear()
        tx.upsert_contact(A, area="north")
    assert len(CountingConnection.sent) == 1
    store.close()


def test_a_commit_that_keeps_meeting_changes_gives_up_and_writes_nothing(two):
    store, other = two
    store.upsert_contact(A, lang="en")
    script, calls = store._apply, []

    def busy_writer_first(**kw):  # another process commits just before each try
        calls.append(1)
        other.upsert_contact(A, area=f"area-{len(calls)}")
        return script(**kw)

    store._apply = busy_writer_first
    with pytest.raises(StoreConflict):
        with store.transaction() as tx:
            tx.get_contact(A)
            tx.upsert_contact(A, lang="es")
            tx.put_record("note", "n1", {"id": "n1"})
            assert tx.claim("childcare.request", "r1", A) is True
    store._apply = script
    assert other.claim("childcare.request", "r1", B) is True  # given back with the rest
    assert len(calls) == CONFLICT_TRIES
    rec = store.get_contact(A)
    assert rec["lang"] == "en" and rec["area"] == f"area-{CONFLICT_TRIES}"
    assert store.get_record("note", "n1") is None


def test_writers_racing_on_one_record_without_its_lock_lose_no_field(raw, two):
    """Eight processes each set their own field 25 times, all at once."""
    mine, _ = two
    mine.upsert_contact(A, lang="en")

    def writer(i: int) -> None:  # a StoreConflict here fails the test (run_threads raises it)
        store = raw.store()
        try:
            for n in range(25):
                store.upsert_contact(A, **{f"f{i}": n})
        finally:
            store.close()

    run_threads(8, writer)
    rec = mine.get_contact(A)
    assert {f"f{i}": rec.get(f"f{i}") for i in range(8)} == {f"f{i}": 24 for i in range(8)}
    assert rec["lang"] == "en"


class CoordinatorEditsMidStep(Conductor):
    """While B's message is stepped in the webhook (INBOUND_STEP=webhook), a
    coordinator in another process takes B off the vetted list."""

    other = None

    def message(self, contact_id, text, now, **kw):
        if contact_id == B and self.other.get_contact(B).get("vetted"):
            self.other.upsert_contact(B, vetted=False)
        return super().message(contact_id, text, now, **kw)


def test_a_message_stepped_in_the_webhook_keeps_an_edit_made_while_it_ran_and_is_answered_once(raw, two):
    store, other = two
    CoordinatorEditsMidStep.other = other
    pipe = Pipeline(store, CoordinatorEditsMidStep(engine(), store, CounterIds()), lambda: NOW)
    store.upsert_contact(B, lang="en", roles=["helper"], vetted=True)
    sent = pipe.inbound(Inbound("sms", "SM-1", B, "hello")).sent
    assert len(sent) == 1 and [m["key"] for m in store.list_outbound(to=B)] == [sent[0]["key"]]
    rec = store.get_contact(B)
    assert rec["vetted"] is False and rec["last_seq"] == 1 and rec["roles"] == ["helper"]
    assert store.pending_inbound(B) == [] and not raw.conn.exists(store.keys.lock(B))
