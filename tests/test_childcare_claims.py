"""Emergency childcare: each decision on a request is taken once and never
overwritten, on every store (services/childcare_claims.py).

* A process that dies between the claim and the save (Redis takes a claim at
  once, the step commits later) does not leave the request unclaimable: the
  next YES after the claim window wins.
* The parent's call-off and the helper's PICKED UP race for one held claim:
  whichever comes second (even while the first is still being saved) gets
  the right answer and changes nothing.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.conversation import Conductor
from bot.pipeline import Inbound, Pipeline
from bot.runtime import UuidIds
from bot.services import childcare as cc
from bot.services.childcare_claims import KIND, slot_seconds
from stores import DURABLE, available
from support import NOW, PARENT, engine
from test_childcare_support import COORD, HELPERS, LUIS, ROSA, WEN, run, sends
from test_store_redis import raw  # noqa: F401 - a fixture

CODE = "482"


def line(store):
    """The test_childcare_support line, on any store, with one open request asking every helper."""
    with store.transaction() as tx:
        tx.upsert_contact(PARENT, roles=["parent"], lang="en", name="Maria Lopez", area="Eastside")
        for number, lang, name in ((ROSA, "en", "Rosa Diaz"), (LUIS, "es", "Luis"), (WEN, "en", "Wen")):
            tx.upsert_contact(number, roles=["helper"], lang=lang, name=name, area="Eastside", vetted=True)
        tx.upsert_contact(COORD, roles=["coordinator"], lang="en", name="Cora", area="Eastside")
        tx.put_record(cc.REQUEST, "r1", {
            "id": "r1", "code": CODE, "status": "open", "parent": PARENT, "child_name": "Ana", "child_age": 7,
            "place": "Lincoln School", "pickup_at": NOW + timedelta(hours=1), "area": "Eastside",
            "asked": list(HELPERS), "ring": 1, "helper": None, "codeword": "maple", "created_at": NOW,
            "escalations": [], "thanked": False})
    return store


def crashed_claim(store, moment: str, by: str, now=NOW) -> None:
    """What a step that died right after its claim leaves behind: the claim
    keys, and neither the decision record nor the request's update."""
    slot = int(now.timestamp()) // slot_seconds({})
    for n in (slot, slot + 1):
        assert store.claim(KIND, f"r1:{moment}@{n}", by)


STALE = timedelta(seconds=2 * slot_seconds({}) + 1)


@pytest.mark.parametrize("factory", available())
def test_a_claim_whose_step_died_frees_the_request_for_the_next_yes(factory, tmp_path):
    store = line(factory(tmp_path))
    crashed_claim(store, "open", WEN)
    # Within the window the claim may be a step still saving: the YES loses, nothing changes.
    assert run("childcare_accept", store, ROSA, {"code": CODE}).result == "covered"
    assert cc.load(store, "r1")["status"] == "open"
    got = run("childcare_accept", store, LUIS, {"code": CODE}, NOW + STALE)
    assert got.result == "assigned"
    req = cc.load(store, "r1")
    assert (req["status"], req["helper"]) == ("covered", LUIS)
    assert (PARENT, "childcare.parent_covered") in sends(got)
    assert run("childcare_accept", store, ROSA, {"code": CODE}, NOW + STALE).result == "covered"


@pytest.mark.parametrize("factory", available())
def test_a_call_off_whose_step_died_lets_the_next_call_off_through(factory, tmp_path):
    store = line(factory(tmp_path))
    run("childcare_accept", store, ROSA, {"code": CODE})
    crashed_claim(store, "held", "called_off")
    assert run("childcare_call_off", store, PARENT, {"code": ""}, NOW + STALE).result == "ok"
    assert cc.load(store, "r1")["status"] == "called_off"


@pytest.mark.parametrize("factory", available())
def test_a_call_off_after_picked_up_is_late_and_changes_nothing(factory, tmp_path):
    store = line(factory(tmp_path))
    run("childcare_accept", store, ROSA, {"code": CODE})
    assert run("childcare_picked_up", store, ROSA, {"code": ""}).result == "ok"
    got = run("childcare_call_off", store, PARENT, {"code": ""})
    assert got.result == "late" and sends(got) == []
    assert cc.load(store, "r1")["status"] == "picked_up"


@pytest.mark.parametrize("factory", available())
def test_picked_up_after_a_call_off_changes_nothing(factory, tmp_path):
    store = line(factory(tmp_path))
    run("childcare_accept", store, ROSA, {"code": CODE})
    assert run("childcare_call_off", store, PARENT, {"code": ""}).result == "ok"
    got = run("childcare_picked_up", store, ROSA, {"code": ""})
    assert got.result == "none" and sends(got) == []
    assert cc.load(store, "r1")["status"] == "called_off"


@pytest.mark.parametrize("factory", available())
def test_a_call_off_while_picked_up_is_being_saved_is_late(factory, tmp_path):
    store = line(factory(tmp_path))
    run("childcare_accept", store, ROSA, {"code": CODE})
    crashed_claim(store, "held", "picked_up")  # PICKED UP claimed, its step not committed yet
    got = run("childcare_call_off", store, PARENT, {"code": ""})
    assert got.result == "late" and sends(got) == []
    req = store.get_record(cc.REQUEST, "r1")
    assert req["status"] == "covered" and not req.get("closed_at")  # never overwritten


@pytest.mark.parametrize("factory", available())
def test_picked_up_while_a_call_off_is_being_saved_is_told_it_was_called_off(factory, tmp_path):
    store = line(factory(tmp_path))
    run("childcare_accept", store, ROSA, {"code": CODE})
    crashed_claim(store, "held", "called_off")
    got = run("childcare_picked_up", store, ROSA, {"code": ""})
    assert got.result == "called_off" and sends(got) == []
    assert store.get_record(cc.REQUEST, "r1")["status"] == "covered"


@pytest.mark.parametrize("factory", available())
def test_a_stale_job_write_cannot_undo_picked_up(factory, tmp_path):
    store = line(factory(tmp_path))
    run("childcare_accept", store, ROSA, {"code": CODE})
    before = cc.load(store, "r1")  # the pickup-check job read it here...
    run("childcare_picked_up", store, ROSA, {"code": ""})
    store.put_record(cc.REQUEST, "r1", {**before, "status": "escalated", "escalations": ["no_pickup"]})  # ...and wrote
    assert cc.load(store, "r1")["status"] == "picked_up"
    assert run("childcare_call_off", store, PARENT, {"code": ""}).result == "late"


@pytest.mark.parametrize("factory", DURABLE)
def test_call_off_and_picked_up_at_the_same_instant(factory, tmp_path):
    """Through the pipeline, on threads: exactly one of the two wins, each
    side is told what really happened, and the record agrees."""
    store = line(factory(tmp_path))
    pipe = Pipeline(store, Conductor(engine(), store, UuidIds()), lambda: NOW, lock_timeout=60)
    pipe.inbound(Inbound("sms", "yes", ROSA, f"YES {CODE}"))
    barrier = threading.Barrier(2)
    sent: dict[str, list] = {}
    errors: list = []

    def send(number: str, text: str) -> None:
        try:
            barrier.wait()
            sent[number] = [m["key"] for m in pipe.inbound(Inbound("sms", f"race-{number}", number, text)).sent]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(PARENT, f"CALL OFF {CODE}")),
               threading.Thread(target=send, args=(ROSA, f"PICKED UP {CODE}"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    status = cc.load(store, "r1")["status"]
    if status == "picked_up":
        assert "childcare.call_off_late" in sent[PARENT] and "childcare.picked_up_ok" in sent[ROSA]
        assert "childcare.called_off_helper" not in sent[PARENT]
    else:
        assert status == "called_off"
        assert "childcare.called_off_helper" in sent[PARENT]  # to Rosa, from the parent's step
        assert "childcare.picked_up_ok" not in sent[ROSA]


class CoordinatorEditsTheHelperMidYes(Conductor):
    """While Rosa's YES is stepped in a worker's batch, a coordinator (another
    process) fixes her name: the batched commit is refused, and her YES is
    stepped again on its own."""

    other = None
    tries = 0

    def message(self, contact_id, text, now, **kw):
        if contact_id == ROSA:
            type(self).tries += 1
            if type(self).tries == 1:
                self.other.upsert_contact(ROSA, name="Rosa M. Diaz")
        return super().message(contact_id, text, now, **kw)


def test_a_yes_stepped_again_after_its_batched_commit_was_refused_still_wins_the_request(raw):
    """The refused try had already won the claim: it must give it back, or the
    second try hears "covered" and nobody has the child."""
    store, other = raw.store(), raw.store()
    line(store)
    CoordinatorEditsTheHelperMidYes.other, CoordinatorEditsTheHelperMidYes.tries = other, 0
    pipe = Pipeline(store, CoordinatorEditsTheHelperMidYes(engine(), store, UuidIds()), lambda: NOW, defer=True)
    assert pipe.inbound(Inbound("sms", "SM-yes", ROSA, f"YES {CODE}")).sent == []
    sent = pipe.fire_due()
    assert CoordinatorEditsTheHelperMidYes.tries == 2
    req = cc.load(store, "r1")
    assert (req["status"], req["helper"]) == ("covered", ROSA)
    assert [m["key"] for m in sent if m["to"] == PARENT] == ["childcare.parent_covered"]
    assert store.get_contact(ROSA)["name"] == "Rosa M. Diaz"  # and the coordinator's edit stands
    store.close()
    other.close()
