"""The monthly childcare summary is scheduled when the line starts, not only
after a first SAFE; starting again never sends a month twice."""
from datetime import datetime, timedelta

from bot.config import Config
from bot.conversation import Conductor
from bot.engine.model import CounterIds, Schedule
from bot.runtime import build
from bot.services import childcare as cc
from bot.services import peer
from bot.services.startup import schedule_recurring
from bot.store.memory import MemoryStore
from support import ROOT, TZ, engine
from test_childcare_support import COORD, NOW, ROSA, line, request, run, sends

MID_APRIL = datetime(2026, 4, 15, 9, 0, tzinfo=TZ)
APRIL_RUN = datetime(2026, 4, 1, 10, 0, tzinfo=TZ)


def monthly_timers(store, until) -> list[dict]:
    return [t for t in store.claim_due_timers(until, limit=1000) if t["contact"] == f"job:{cc.JOB_MONTHLY}"]


def test_every_start_up_schedules_the_one_monthly_job():
    store = MemoryStore()
    cfg = Config(db_path=":memory:", flows_dir=str(ROOT / "flows"), locales_dir=str(ROOT / "locales"))
    build(cfg, store=store, senders={}, start_jobs=False)
    build(cfg, store=store, senders={}, start_jobs=False)  # a second process, or a restart
    (timer,) = monthly_timers(store, datetime.now(TZ) + timedelta(days=40))
    assert timer["event"] == "childcare_monthly" and timer["at"] == cc.month_start(datetime.now(TZ))


def test_a_start_up_after_the_first_sends_last_month_once_however_often_it_restarts():
    store = line()
    for hours in (1, 4):  # March: two children brought to safety by Rosa, before any summary was planned
        req = request(store, pickup=NOW + timedelta(hours=hours))
        run("childcare_accept", store, ROSA, {"code": req["code"]})
        run("childcare_safe", store, ROSA, {"code": ""})
    store.claim_due_timers(NOW + timedelta(days=400), limit=1000)  # as if SAFE had never planned it
    conductor = Conductor(engine(), store, CounterIds())
    assert schedule_recurring(store, MID_APRIL)[cc.JOB_MONTHLY] == APRIL_RUN  # already past: due at once
    sent = conductor.fire_timers(MID_APRIL).sent
    assert {(m["to"], m["key"]) for m in sent} == {(ROSA, "childcare.monthly_helper"),
                                                   (COORD, "childcare.monthly_area")}
    schedule_recurring(store, MID_APRIL + timedelta(hours=1))  # restarted: the same job, for a month already sent
    assert conductor.fire_timers(MID_APRIL + timedelta(hours=1)).sent == []
    (nxt,) = monthly_timers(store, datetime(2026, 6, 1, tzinfo=TZ))
    assert nxt["at"] == datetime(2026, 5, 1, 10, 0, tzinfo=TZ)


def test_the_job_sums_each_month_up_once():
    store = line()
    assert run("childcare_monthly", store, "job:childcare.monthly", {}, APRIL_RUN).result == "ok"
    again = run("childcare_monthly", store, "job:childcare.monthly", {}, APRIL_RUN + timedelta(minutes=5))
    assert again.result == "done" and sends(again) == []
    assert [e.at for e in again.effects if isinstance(e, Schedule)] == [datetime(2026, 5, 1, 10, 0, tzinfo=TZ)]


def test_a_safe_early_on_the_first_keeps_that_mornings_run():
    assert cc.next_monthly_run(datetime(2026, 4, 1, 9, 0, tzinfo=TZ)) == APRIL_RUN
    assert cc.next_monthly_run(APRIL_RUN) == datetime(2026, 5, 1, 10, 0, tzinfo=TZ)
    assert cc.next_monthly_run(datetime(2026, 12, 20, tzinfo=TZ)) == datetime(2027, 1, 1, 10, 0, tzinfo=TZ)


def test_a_store_that_does_not_answer_does_not_stop_the_start_up():
    class Dead:
        def transaction(self):
            raise ConnectionError("down")

    assert schedule_recurring(Dead(), MID_APRIL) is None


def test_every_start_up_also_schedules_the_peer_retention_sweep():
    store = MemoryStore()
    due = schedule_recurring(store, MID_APRIL)
    assert due[peer.JOB_RETENTION] == peer.next_retention_run(MID_APRIL)
    (timer,) = [t for t in store.claim_due_timers(MID_APRIL + timedelta(days=2), limit=1000)
                if t["contact"] == f"job:{peer.JOB_RETENTION}"]
    assert timer["event"] == "peer_retention"
