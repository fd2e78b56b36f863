"""Waits, timers, events, actions and the step cap, on small flows written here."""
from datetime import timedelta

from bot.engine.flowset import build
from bot.engine.model import (
    ENDED, WAITING_ACTION, WAITING_EVENT, ActionResult, CallAction, CancelTimer, Contact, CounterIds, Event, Message,
    Schedule, Send,
)
from bot.engine.runner import Engine, Settings
from support import NOW, PARENT, ROOT, WAITER, texts



LOOPER = """
flow: looper
triggers: {keywords: {en: [LOOPER], es: [BUCLE]}}
start: spin
states:
  spin:
    action: {call: update_profile, with: {name: "x"}}
    goto: spin
"""


def make_engine(extra: dict, **settings) -> Engine:
    flows = texts(ROOT / "flows")
    flows.update(extra)
    fs = build(flows, texts(ROOT / "locales"))
    assert fs.ok, fs.problems
    return Engine(fs, Settings(**settings))


ME = Contact(PARENT, lang="en")


def keys(effects):
    return [e.key for e in effects if isinstance(e, Send)]


def test_wait_schedules_a_timer_and_the_timeout_routes():
    eng = make_engine({"flows/waiter.yaml": WAITER})
    ids = CounterIds()
    r = eng.message(None, ME, Message("WAITER"), NOW, ids)
    r = eng.message(r.session, ME, Message("Ana"), NOW, ids)
    assert r.session.status == WAITING_EVENT
    timers = [e for e in r.effects if isinstance(e, Schedule)]
    assert len(timers) == 1 and timers[0].at == NOW + timedelta(minutes=15)
    # A stale timer (another id) does nothing.
    stale = eng.event(r.session, ME, Event("timeout", {"timer": "t999"}), NOW, ids)
    assert stale.effects == () and stale.session.state == "waiting"
    fired = eng.event(r.session, ME, Event("timeout", {"timer": timers[0].timer_id}), NOW + timedelta(minutes=15), ids)
    assert keys(fired.effects) == ["common.unavailable"]
    assert fired.session.status == ENDED


def test_event_moves_on_saves_its_data_and_cancels_the_timer():
    eng = make_engine({"flows/waiter.yaml": WAITER})
    ids = CounterIds()
    r = eng.message(None, ME, Message("WAITER"), NOW, ids)
    r = eng.message(r.session, ME, Message("Ana"), NOW, ids)
    timer = r.session.timer
    got = eng.event(r.session, ME, Event("found", {"helper": "Rosa"}), NOW, ids)
    assert keys(got.effects) == ["profile.saved"]
    assert CancelTimer(timer) in got.effects
    assert got.session.vars["found"] == {"helper": "Rosa"}


def test_text_while_waiting_gets_a_holding_answer():
    eng = make_engine({"flows/waiter.yaml": WAITER})
    ids = CounterIds()
    r = eng.message(None, ME, Message("WAITER"), NOW, ids)
    r = eng.message(r.session, ME, Message("Ana"), NOW, ids)
    r2 = eng.message(r.session, ME, Message("any news?"), NOW, ids)
    assert keys(r2.effects) == ["common.still_waiting"]
    assert r2.session.state == "waiting"


def test_action_pauses_the_step_and_resume_carries_on():
    eng = make_engine({})
    ids = CounterIds()
    r = eng.message(None, ME, Message("PROFILE"), NOW, ids)
    r = eng.message(r.session, ME, Message("name"), NOW, ids)
    r = eng.message(r.session, ME, Message("Ana"), NOW, ids)
    assert r.session.status == WAITING_ACTION
    calls = [e for e in r.effects if isinstance(e, CallAction)]
    assert calls == [CallAction("update_profile", {"name": "Ana"}, PARENT)]
    done = eng.resume(r.session, ME, ActionResult("ok", {"name": "Ana"}), NOW, ids)
    assert keys(done.effects) == ["profile.saved", "profile.current"]


def test_conductor_caps_actions_per_input():
    from bot.conversation import Conductor
    from bot.store.memory import MemoryStore

    eng = make_engine({"flows/looper.yaml": LOOPER})
    c = Conductor(eng, MemoryStore(), CounterIds())
    c.store.upsert_contact(PARENT, lang="en")
    out = c.message(PARENT, "LOOPER", NOW)  # must return, not spin forever
    assert c.store.get_session(PARENT).status == ENDED
    assert [m["key"] for m in out.sent] == ["common.unavailable"]
    assert any(a["what"] == "loop_guard.actions" for a in c.store.audit_log)
