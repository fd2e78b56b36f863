"""Emergency childcare under load and across restarts, on both durable stores.

* Fifty helpers answer YES at the same instant, each through the pipeline on
  a thread of its own: exactly one gets the request, the 49 others are told
  it is covered, and the parent hears once.
* The rings, the escalation and the expiry are background jobs saved in the
  store: a new process (a new Runtime on a reopened store) fires them.
"""
from __future__ import annotations

import shutil
import threading
from datetime import timedelta

import pytest

from bot.config import Config
from bot.conversation import Conductor
from bot.pipeline import Inbound, Pipeline
from bot.runtime import UuidIds
from bot.services.childcare import REQUEST
from stores import DURABLE, REDIS_URL
from support import NOW, PARENT, ROOT, engine

CODE = "482"
FLOWS = ("main", "language", "profile", "childcare", "child", "helper_answer", "helper_duty")


def helpers(n: int) -> list[str]:
    return [f"+1415555{1000 + i:04d}" for i in range(n)]


def reopen(store):
    """A new store object on the same data, as a restarted process opens it."""
    if type(store).__name__ == "SQLiteStore":
        return type(store)(store.path)
    return type(store)(REDIS_URL, prefix=store.prefix)


@pytest.mark.parametrize("factory", DURABLE)
def test_fifty_helpers_say_yes_at_once_and_exactly_one_gets_it(factory, tmp_path):
    store = factory(tmp_path)
    crowd = helpers(50)
    with store.transaction() as tx:
        tx.upsert_contact(PARENT, roles=["parent"], lang="en", name="Maria", area="Eastside")
        for i, number in enumerate(crowd):
            tx.upsert_contact(number, roles=["helper"], lang="es" if i % 2 else "en", name=f"Helper{i}",
                              area="Eastside", vetted=True)
        tx.put_record(REQUEST, "r1", {
            "id": "r1", "code": CODE, "status": "open", "parent": PARENT, "child_name": "Ana", "child_age": 7,
            "place": "Lincoln School", "pickup_at": NOW + timedelta(hours=1), "area": "Eastside", "asked": crowd,
            "ring": 1, "helper": None, "codeword": "maple", "created_at": NOW, "escalations": [], "thanked": False})
    pipe = Pipeline(store, Conductor(engine(), store, UuidIds()), lambda: NOW, lock_timeout=60)
    barrier = threading.Barrier(len(crowd))
    sent: dict[str, list] = {}
    errors: list = []

    def answer(number: str) -> None:
        try:
            barrier.wait()
            sent[number] = pipe.inbound(Inbound("sms", f"yes-{number}", number, f"YES {CODE}")).sent
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(n,)) for n in crowd]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    own = {n: [m["key"] for m in sent[n] if m["to"] == n] for n in crowd}
    winners = [n for n, keys in own.items() if keys == ["childcare.assigned"]]
    assert len(winners) == 1
    (winner,) = winners
    assert all(keys == ["childcare.taken"] for n, keys in own.items() if n != winner)
    req = store.get_record(REQUEST, "r1")
    assert (req["status"], req["helper"]) == ("covered", winner)
    outbox = store.list_outbound(limit=10_000)
    assert [m["key"] for m in outbox if m["to"] == PARENT] == ["childcare.parent_covered"]
    told = {m["to"] for m in outbox if m["key"] in ("childcare.covered", "childcare.taken")}
    assert told == set(crowd) - {winner}
    assert not any(PARENT in m["text"] for m in outbox)


def runtime(cfg, store):
    from bot import runtime as rt_mod

    return rt_mod.build(cfg, store=store, start_jobs=False)


@pytest.mark.parametrize("factory", DURABLE)
def test_rings_escalation_and_expiry_fire_after_a_restart(factory, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    for name in FLOWS:
        shutil.copy(ROOT / "flows" / f"{name}.yaml", flows / f"{name}.yaml")
    cfg = Config(db_path=str(tmp_path / "vecina.db"), flows_dir=str(flows), locales_dir=str(ROOT / "locales"),
                 extra={"CHILDCARE_RING_SIZE": "1", "CHILDCARE_RING_MINUTES": "5", "CHILDCARE_GRACE_MINUTES": "30"})
    store = factory(tmp_path)
    first, second = helpers(2)
    coordinator = "+14155550199"
    with store.transaction() as tx:
        tx.upsert_contact(PARENT, roles=["parent"], lang="en", name="Maria", area="Eastside")
        tx.upsert_contact(first, roles=["helper"], lang="en", name="Rosa", area="Eastside", vetted=True)
        tx.upsert_contact(second, roles=["helper"], lang="en", name="Wen", area="Westside", vetted=True)
        tx.upsert_contact(coordinator, roles=["coordinator"], lang="es", name="Cora", area="Eastside")
    web = runtime(cfg, store)
    start = web.now()
    web.pipeline.clock = lambda: start
    for i, text in enumerate(["NANNY", "Ana", "7", "Lincoln School", "in 1 hour", "1"]):
        web.pipeline.inbound(Inbound("sms", f"p{i}", PARENT, text))
    asked = [m["to"] for m in store.list_outbound() if m["key"] == "childcare.ask"]
    assert asked == [first]
    del web  # the process goes away; its jobs stay in the store

    def tick_at(minutes: float) -> list:
        worker = runtime(cfg, reopen(store))
        worker.pipeline.clock = lambda: start + timedelta(minutes=minutes)
        return [(m["to"], m["key"]) for m in worker.pipeline.tick()]

    assert tick_at(4) == []
    assert tick_at(5.1) == [(second, "childcare.ask")]  # the second ring, from a new process
    assert tick_at(10.2) == [(coordinator, "childcare.coord_no_helper"), (PARENT, "childcare.parent_no_helper")]
    assert tick_at(61) == []  # already escalated for it: not twice
    assert tick_at(91) == [(PARENT, "childcare.parent_expired")]
    (req,) = reopen(store).find_records(REQUEST, parent=PARENT)
    assert req["status"] == "expired" and req["asked"] == [first, second]
    late = runtime(cfg, reopen(store))
    late.pipeline.clock = lambda: start + timedelta(minutes=92)
    reply = late.pipeline.inbound(Inbound("sms", "late-yes", second, f"YES {req['code']}")).sent
    assert [m["key"] for m in reply] == ["childcare.over_expired"]
    assert reopen(store).find_records(REQUEST, parent=PARENT)[0]["helper"] is None
