"""Events between contacts and background jobs, through the pipeline, on every store.

The services need both: a helper's YES wakes the parent's waiting session (an
event), and a dispatch ring fires later with no session at all (a job). Events
are saved as timers due now, so they survive a crash and run under the other
contact's own lock; chains of them are bounded.
"""
from datetime import timedelta

import pytest

from bot.actions.base import Action
from bot.conversation import MAX_HOPS, Conductor
from bot.engine.flowset import build
from bot.engine.model import ActionResult, Contact, CounterIds
from bot.engine.runner import Engine, Settings
from bot.pipeline import Inbound, Pipeline
from stores import available
from support import NOW, PARENT, ROOT, WAITER, texts

HELPER = "+14155550111"

# Someone texts PING and a number: the line wakes that number's waiting session.
PINGER = """
flow: pinger
triggers: {keywords: {en: [PING], es: [TOCAR]}}
start: who
states:
  who:
    say: profile.ask_name
    ask: {kind: phone, save: other, goto: ping}
  ping:
    action: {call: test_ping, with: {to: "{other}"}}
    say: profile.saved
    end: true
"""

# Two sessions that wake each other forever: the hop guard must end it.
BOUNCER = """
flow: bouncer
triggers: {keywords: {en: [BOUNCE], es: [REBOTE]}}
start: ask_other
states:
  ask_other:
    say: profile.ask_name
    ask: {kind: phone, save: other, goto: kick}
  kick:
    action: {call: test_bounce, with: {to: "{other}"}}
    goto: waiting
  waiting:
    wait:
      on: {bounce: kick}
      save: bounce
      timeout: 1h
      on_timeout: done
  done:
    end: true
"""


class Ping(Action):
    name = "test_ping"
    params = {"to": True}

    def run(self, ctx, params):
        return ActionResult("ok", {}, (ctx.emit(params["to"], "found", by=ctx.contact.id),))


class Bounce(Action):
    name = "test_bounce"
    params = {"to": False}

    def run(self, ctx, params):
        # on an event, answer whoever sent it
        to = params.get("to") or ""
        return ActionResult("ok", {}, (ctx.emit(to, "bounce", sender=ctx.contact.id),))


class Reminder(Action):
    """A background job: tells a contact something, with no session of its own."""

    name = "test_remind"
    params = {"to": True}

    def run(self, ctx, params):
        assert ctx.contact.id.startswith("job:")
        return ActionResult("ok", {}, (ctx.say(Contact(params["to"], lang="es"), "profile.saved"),))


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def line(factory, tmp_path, *extra):
    store = factory(tmp_path)
    flows = texts(ROOT / "flows")
    flows.update({"waiter.yaml": WAITER, "pinger.yaml": PINGER, "bouncer.yaml": BOUNCER})
    conductor = Conductor(Engine(build(flows, texts(ROOT / "locales")), Settings()), store, CounterIds())
    for action in (Ping(), Bounce(), Reminder()):
        conductor.actions = {**conductor.actions, action.name: action}
    clock = Clock()
    with store.transaction() as tx:
        tx.upsert_contact(PARENT, lang="en")
        tx.upsert_contact(HELPER, lang="en")
    return store, clock, Pipeline(store, conductor, clock)


STORES = available()


@pytest.mark.parametrize("factory", STORES)
def test_an_event_wakes_another_contacts_waiting_session(factory, tmp_path):
    store, clock, pipe = line(factory, tmp_path)
    pipe.inbound(Inbound("sms", "p1", PARENT, "WAITER"))
    pipe.inbound(Inbound("sms", "p2", PARENT, "Ana"))  # the parent now waits for "found"
    pipe.inbound(Inbound("sms", "h1", HELPER, "PING"))
    sent = pipe.inbound(Inbound("sms", "h2", HELPER, PARENT)).sent
    assert [(m["to"], m["key"]) for m in sent] == [(HELPER, "profile.saved"), (PARENT, "profile.saved")]
    session = store.get_session(PARENT)
    assert session.status == "ended" and session.vars["found"]["by"] == HELPER
    assert store.claim_due_timers(clock() + timedelta(days=1)) == []  # the parent's timeout went with the wait


@pytest.mark.parametrize("factory", STORES)
def test_an_event_is_saved_with_the_step_that_sent_it(factory, tmp_path):
    """The emitting step commits the event as a timer due now: a process that
    dies before delivering it leaves it for the next tick."""
    store, clock, pipe = line(factory, tmp_path)
    pipe.inbound(Inbound("sms", "p1", PARENT, "WAITER"))
    pipe.inbound(Inbound("sms", "p2", PARENT, "Ana"))
    pipe.inbound(Inbound("sms", "h1", HELPER, "PING"))
    outcome = pipe.conductor.message(HELPER, PARENT, clock())  # the step alone, as before a crash
    assert outcome.emitted == [PARENT]
    due = store.claim_due_timers(clock())
    assert [(t["contact"], t["event"], t["data"]["by"]) for t in due] == [(PARENT, "found", HELPER)]
    for timer in due:  # the next process's tick
        pipe.conductor.timer(timer, clock())
    assert store.get_session(PARENT).vars["found"]["by"] == HELPER


@pytest.mark.parametrize("factory", STORES)
def test_two_sessions_waking_each_other_stop_at_the_hop_guard(factory, tmp_path):
    store, clock, pipe = line(factory, tmp_path)
    pipe.inbound(Inbound("sms", "p1", PARENT, "BOUNCE"))
    pipe.inbound(Inbound("sms", "p2", PARENT, HELPER))  # PARENT now waits for "bounce"
    pipe.inbound(Inbound("sms", "h1", HELPER, "BOUNCE"))
    pipe.inbound(Inbound("sms", "h2", HELPER, PARENT))  # starts the ping-pong
    for _ in range(MAX_HOPS):  # the webhook fires a few rounds; the worker's ticker the rest
        pipe.tick()
    guard = [e for who in (PARENT, HELPER) for e in store.audit_entries(who) if e["what"] == "loop_guard.hops"]
    assert len(guard) == 1
    assert store.claim_due_timers(clock()) == []  # nothing left bouncing


@pytest.mark.parametrize("factory", STORES)
def test_a_job_runs_its_action_at_its_time_with_no_session(factory, tmp_path):
    from bot.actions.base import ActionContext

    store, clock, pipe = line(factory, tmp_path)
    ctx = ActionContext(Contact(HELPER), store, pipe.conductor.engine.catalog, clock(), CounterIds())
    job = ctx.schedule_job("test_remind", clock() + timedelta(minutes=5), "remind:1", to=PARENT)
    with store.transaction() as tx:
        tx.add_timer(job.timer_id, job.contact, job.at, job.event, dict(job.data))
    assert pipe.tick() == []  # not due yet
    clock.now += timedelta(minutes=5)
    sent = pipe.tick()
    assert [(m["to"], m["key"], m["lang"]) for m in sent] == [(PARENT, "profile.saved", "es")]
    assert store.get_session("job:remind:1") is None


@pytest.mark.parametrize("factory", STORES)
def test_a_timer_whose_contact_stays_locked_is_put_back_not_lost(factory, tmp_path):
    store, clock, pipe = line(factory, tmp_path)
    pipe.lock_timeout = 0.05
    with store.transaction() as tx:
        tx.add_timer("t1", PARENT, clock(), "found", {"by": HELPER})
    with store.contact_lock(PARENT):
        # another thread's tick while the parent is locked
        import threading

        t = threading.Thread(target=pipe.tick)
        t.start()
        t.join()
    again = store.claim_due_timers(clock() + timedelta(minutes=1))
    assert [(t["id"], t["data"]["_tries"]) for t in again] == [("t1", 1)]


def test_max_hops_is_small_enough_to_end_quickly():
    assert 2 <= MAX_HOPS <= 50


@pytest.mark.parametrize("factory", STORES)
def test_a_webhook_fires_only_a_few_rounds_of_due_timers_itself(factory, tmp_path):
    """After a backlog (the line was down), a message that wakes someone must
    not make the provider's request wait for hundreds of unrelated timers."""
    from bot.pipeline import INLINE_BATCH, INLINE_ROUNDS

    store, clock, pipe = line(factory, tmp_path)
    pipe.inbound(Inbound("sms", "p1", PARENT, "WAITER"))
    pipe.inbound(Inbound("sms", "p2", PARENT, "Ana"))  # the parent waits for "found"
    pipe.inbound(Inbound("sms", "h1", HELPER, "PING"))
    for i in range(200):  # overdue timers of people with no session: each does nothing when it fires
        store.add_timer(f"old{i}", f"+1415555{i:04d}", clock() - timedelta(hours=1), "timeout", {})
    pipe.inbound(Inbound("sms", "h2", HELPER, PARENT))
    left = store.claim_due_timers(clock(), limit=1000)
    assert len(left) >= 200 - INLINE_ROUNDS * INLINE_BATCH  # the rest is the ticker's
    # the parent hears it now or from the ticker: never lost
    assert "found" in store.get_session(PARENT).vars or any(t["contact"] == PARENT for t in left)
