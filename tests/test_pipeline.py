"""The message pipeline and the outbox, on every store."""
import threading
from datetime import timedelta

import pytest

from bot.conversation import Conductor
from bot.engine.model import CounterIds
from bot.outbox import OutboxWorker, PermanentSendError, SendResult, TransientSendError
from bot.pipeline import Inbound, Pipeline
from stores import available
from support import NOW, PARENT, engine

STORES = available()


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def make(factory, tmp_path):
    store = factory(tmp_path)
    clock = Clock()
    conductor = Conductor(engine(), store, CounterIds())
    return store, clock, Pipeline(store, conductor, clock)


@pytest.mark.parametrize("factory", STORES)
def test_same_provider_id_ten_times_is_one_step_and_one_reply(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    results = [pipe.inbound(Inbound("sms", "SM1", PARENT, "hello")) for _ in range(10)]
    assert [r.duplicate for r in results] == [False] + [True] * 9
    assert sum(len(r.sent) for r in results) == 2  # welcome + menu, once
    assert len(store.list_outbound(to=PARENT)) == 2


@pytest.mark.parametrize("factory", STORES)
def test_one_contact_from_many_threads_is_handled_in_arrival_order(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    handled = []
    original = pipe.conductor.message

    def spy(contact, text, now, lang_hint=None, seq=None, channel=None):
        handled.append((seq, text))
        return original(contact, text, now, lang_hint, seq, channel)

    pipe.conductor.message = spy
    with store.transaction() as tx:
        tx.upsert_contact(PARENT, lang="en")

    errors = []

    def sender(t):
        for i in range(20):
            try:
                pipe.inbound(Inbound("sms", f"SM{t}-{i}", PARENT, "HELP"))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=sender, args=(t,)) for t in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = [s for s, _ in handled]
    assert len(seqs) == 200 and seqs == sorted(seqs) and len(set(seqs)) == 200
    assert store.get_contact(PARENT)["last_seq"] == max(seqs)


@pytest.mark.parametrize("factory", STORES)
def test_a_retry_after_a_lock_timeout_gets_the_message_handled(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    pipe.lock_timeout = 0.2
    holding, release = threading.Event(), threading.Event()

    def hold():
        with store.contact_lock(PARENT, timeout=5):
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    with pytest.raises(TimeoutError):
        pipe.inbound(Inbound("sms", "SM-retry", PARENT, "hello"))  # the webhook fails; the provider retries
    release.set()
    holder.join()
    again = pipe.inbound(Inbound("sms", "SM-retry", PARENT, "hello"))
    assert again.duplicate is True
    assert [m["key"] for m in again.sent] == ["main.welcome", "main.menu"]
    assert pipe.inbound(Inbound("sms", "SM-retry", PARENT, "hello")).sent == []


class FlakySender:
    def __init__(self, errors):
        self.errors = list(errors)
        self.sent = []

    def send(self, msg):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(msg["id"])
        return SendResult("sent", f"SM{len(self.sent)}")


def queued(store, pipe):
    pipe.inbound(Inbound("sms", "SMq", PARENT, "hello"))
    return store.list_outbound(to=PARENT)


@pytest.mark.parametrize("factory", STORES)
def test_outbox_retries_transient_errors_with_backoff_then_sends(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    queued(store, pipe)
    sender = FlakySender([TransientSendError("503"), TransientSendError("timeout")])
    worker = OutboxWorker(store, {"sms": sender}, clock, base_delay=1, max_delay=4)
    worker.run_once()
    statuses = sorted(m["status"] for m in store.list_outbound(to=PARENT))
    assert "queued" in statuses  # the failed one waits for its retry time
    for _ in range(6):
        clock.now += timedelta(seconds=10)
        worker.run_once()
    rows = store.list_outbound(to=PARENT)
    assert [m["status"] for m in rows] == ["sent", "sent"]
    assert len(sender.sent) == 2


@pytest.mark.parametrize("factory", STORES)
def test_outbox_gives_up_after_the_last_try_and_keeps_the_reason(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    queued(store, pipe)
    sender = FlakySender([TransientSendError("503")] * 100)
    worker = OutboxWorker(store, {"sms": sender}, clock, max_attempts=3, base_delay=1, max_delay=2)
    for _ in range(10):
        worker.run_once()
        clock.now += timedelta(seconds=5)
    rows = store.list_outbound(to=PARENT, status="failed")
    assert len(rows) == 2 and all("503" in (m.get("error") or "") for m in rows)


@pytest.mark.parametrize("factory", STORES)
def test_permanent_errors_fail_at_once_with_their_code(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    queued(store, pipe)
    worker = OutboxWorker(store, {"sms": FlakySender([PermanentSendError("landline", "30006")] * 2)}, clock)
    worker.run_once()
    rows = store.list_outbound(to=PARENT, status="failed")
    assert len(rows) == 2 and {m.get("error_code") for m in rows} == {"30006"}


@pytest.mark.parametrize("factory", STORES)
def test_a_killed_worker_s_lease_runs_out_and_another_sends(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    queued(store, pipe)
    leased = store.lease_outbound(clock(), 30, 50)  # a worker took them, then died
    assert len(leased) == 2
    worker = OutboxWorker(store, {"sms": FlakySender([])}, clock, lease_seconds=30)
    assert worker.run_once() == 0  # still leased
    clock.now += timedelta(seconds=31)
    assert worker.run_once() == 2
    assert [m["status"] for m in store.list_outbound(to=PARENT)] == ["sent", "sent"]


@pytest.mark.parametrize("factory", STORES)
def test_no_message_reaches_someone_who_texted_stop(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    pipe.inbound(Inbound("sms", "a", PARENT, "hello"))
    pipe.inbound(Inbound("sms", "b", PARENT, "STOP"))
    sender = FlakySender([])
    OutboxWorker(store, {"sms": sender}, clock).run_once()
    statuses = [(m["key"], m["status"]) for m in store.list_outbound(to=PARENT)]
    assert statuses == [("main.welcome", "blocked"), ("main.menu", "blocked"), ("keywords.stop_reply", "sent")]


@pytest.mark.parametrize("factory", STORES)
def test_replies_go_back_on_the_channel_the_message_came_from(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    assert {m["channel"] for m in pipe.inbound(Inbound("whatsapp", "WA1", PARENT, "hello")).sent} == {"whatsapp"}
    assert store.get_contact(PARENT)["channel"] == "whatsapp"
    assert {m["channel"] for m in pipe.inbound(Inbound("sms", "SM2", PARENT, "MENU")).sent} == {"sms"}
    # A USSD screen answers only inside its session: the reply is for the
    # screen, but the contact's channel for later messages stays SMS.
    assert {m["channel"] for m in pipe.inbound(Inbound("ussd", "AT1", PARENT, "MENU")).sent} == {"ussd"}
    assert store.get_contact(PARENT)["channel"] == "sms"
    # A timer's message (no inbound) goes by the stored channel.
    from bot.conversation import channel_of

    with store.transaction() as tx:
        from bot.store.contacts import view

        assert channel_of(tx, PARENT, view(tx.get_contact("+14155550199") or {"id": "+14155550199"})) == "sms"
        assert channel_of(tx, "tg:42", view({"id": "+14155550199"})) == "telegram"
