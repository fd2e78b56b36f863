"""The message pipeline and the outbox, on every store."""
import threading
from datetime import timedelta

import pytest

from bot.conversation import Conductor
from bot.engine.model import CounterIds
from bot.outbox import OutboxWorker, PermanentSendError, SendResult, TransientSendError
from bot.pipeline import Inbound, Pipeline
from stores import available
from support import NOW, PARENT, OutageSender, engine

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


def steps_of(pipe) -> list:
    """(seq, text) of every message the pipeline's conductor steps, in order."""
    handled = []
    original = pipe.conductor.message

    def spy(contact, text, now, lang_hint=None, seq=None, channel=None):
        handled.append((seq, text))
        return original(contact, text, now, lang_hint, seq, channel)

    pipe.conductor.message = spy
    return handled


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
    handled = steps_of(pipe)
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


# ------------------------------------------------------------------ the step in the worker
def deferred(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    pipe.defer = True
    return store, clock, pipe


@pytest.mark.parametrize("factory", STORES)
def test_deferred_the_webhook_records_and_the_worker_steps_once(factory, tmp_path):
    store, clock, pipe = deferred(factory, tmp_path)
    results = [pipe.inbound(Inbound("sms", "SM1", PARENT, "hello")) for _ in range(10)]
    assert [r.duplicate for r in results] == [False] + [True] * 9
    assert all(r.sent == [] for r in results) and store.list_outbound(to=PARENT) == []
    assert [m["key"] for m in pipe.tick()] == ["main.welcome", "main.menu"]
    assert pipe.tick() == [] and len(store.list_outbound(to=PARENT)) == 2
    assert store.get_contact(PARENT)["last_seq"] == 1


@pytest.mark.parametrize("factory", STORES)
def test_deferred_ussd_and_the_simulator_still_answer_in_the_request(factory, tmp_path):
    store, clock, pipe = deferred(factory, tmp_path)
    assert [m["channel"] for m in pipe.inbound(Inbound("ussd", "AT1", PARENT, "MENU")).sent] == ["ussd"]
    assert pipe.inbound(Inbound("sim", "sim-1", "+14155550177", "hello")).sent


@pytest.mark.parametrize("factory", STORES)
def test_deferred_messages_from_many_threads_are_stepped_in_order_by_racing_workers(factory, tmp_path):
    store, clock, pipe = deferred(factory, tmp_path)
    steps = steps_of(pipe)
    store.upsert_contact(PARENT, lang="en")
    done, errors = threading.Event(), []

    def webhook(t):
        for i in range(20):
            pipe.inbound(Inbound("sms", f"SM{t}-{i}", PARENT, "HELP"))

    def worker():
        while True:
            try:
                pipe.tick()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            if done.is_set() and not store.pending_inbound(PARENT):
                return

    workers = [threading.Thread(target=worker) for _ in range(3)]
    hooks = [threading.Thread(target=webhook, args=(t,)) for t in range(10)]
    for t in workers + hooks:
        t.start()
    for t in hooks:
        t.join()
    done.set()
    for t in workers:
        t.join(60)
    pipe.tick()  # a drain timer set after the last worker's last claim finds nothing left
    assert errors == []
    handled = [seq for seq, _ in steps]
    assert len(handled) == 200 and handled == sorted(handled) and len(set(handled)) == 200
    assert store.get_contact(PARENT)["last_seq"] == 200


@pytest.mark.parametrize("factory", STORES)
def test_deferred_a_drain_that_finds_the_contact_locked_is_put_back_not_lost(factory, tmp_path):
    store, clock, pipe = deferred(factory, tmp_path)
    pipe.lock_timeout = 0.1
    pipe.inbound(Inbound("sms", "SM1", PARENT, "hello"))
    with store.contact_lock(PARENT, timeout=1):
        held = threading.Thread(target=pipe.tick)
        held.start()
        held.join()
    assert store.list_outbound(to=PARENT) == [] and len(store.pending_inbound(PARENT)) == 1
    clock.now += timedelta(minutes=1)  # the put-back drain is due again
    assert [m["key"] for m in pipe.tick()] == ["main.welcome", "main.menu"]


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
def test_outbox_gives_up_after_its_tries_and_retry_window_and_keeps_the_reason(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    queued(store, pipe)
    sender = FlakySender([TransientSendError("503")] * 1000)
    worker = OutboxWorker(store, {"sms": sender}, clock, max_attempts=3, base_delay=1, max_delay=2, retry_for=60)
    for _ in range(10):  # 50 s: three tries each, but not yet a minute old
        worker.run_once()
        clock.now += timedelta(seconds=5)
    assert store.list_outbound(to=PARENT, status="failed") == []
    for _ in range(4):
        worker.run_once()
        clock.now += timedelta(seconds=5)
    rows = store.list_outbound(to=PARENT, status="failed")
    assert len(rows) == 2 and all((m.get("error") or "").startswith("gave up: 503") for m in rows)


@pytest.mark.parametrize("factory", STORES)
def test_a_provider_outage_of_hours_delays_messages_but_never_drops_them(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    queued(store, pipe)
    back = clock.now + timedelta(hours=3)
    sender = OutageSender(clock, back)
    worker = OutboxWorker(store, {"sms": sender}, clock)  # the line's own settings
    while clock.now < back + timedelta(minutes=12):
        worker.run_once()
        clock.now += timedelta(minutes=1)
    rows = store.list_outbound(to=PARENT)
    assert [m["status"] for m in rows] == ["sent", "sent"]
    for tries in sender.tries.values():
        gaps = [(b - a).total_seconds() for a, b in zip(tries, tries[1:])]
        assert len(tries) > 6 and max(gaps) <= 600 + 60  # tried all through it, never 10 minutes apart (+ a tick)
        assert tries[-1] - back <= timedelta(minutes=11)  # and soon after it ended


class FailsFor:
    """A provider that cannot take the messages in ``failing`` (each try: a
    503) and sends everything else: the order it sent them in."""

    def __init__(self, failing=()):
        self.failing, self.sent = set(failing), []

    def send(self, msg):
        if msg["id"] in self.failing:
            raise TransientSendError("HTTP 503: Service Unavailable")
        self.sent.append(msg["id"])
        return SendResult("sent", f"SM{msg['id']}")


@pytest.mark.parametrize("factory", STORES)
def test_a_retried_text_is_not_overtaken_by_a_later_one_to_the_same_person(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    first = queued(store, pipe)  # welcome, then the menu
    sender = FlakySender([TransientSendError("HTTP 503", retry_after=600)])  # one failed try, then back
    worker = OutboxWorker(store, {"sms": sender}, clock)
    worker.run_once()
    assert sender.sent == []  # the menu waits for the welcome's retry, ten minutes on
    clock.now += timedelta(minutes=1)
    pipe.inbound(Inbound("sms", "SMlater", PARENT, "MENU"))  # a newer text, while the first still waits
    for _ in range(12):
        worker.run_once()
        clock.now += timedelta(minutes=1)
    rows = store.list_outbound(to=PARENT)
    assert len(rows) > len(first) and {m["status"] for m in rows} == {"sent"}
    assert sender.sent == [m["id"] for m in rows]  # in the order they were written


@pytest.mark.parametrize("factory", STORES)
def test_a_text_that_keeps_failing_holds_the_later_ones_back_by_one_retry_only(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    welcome, menu = queued(store, pipe)
    sender = FailsFor({welcome["id"]})  # that one text cannot go (the provider is fine)
    worker = OutboxWorker(store, {"sms": sender}, clock, max_delay=300)
    start = clock.now
    while not sender.sent and clock.now - start < timedelta(hours=1):
        worker.run_once()
        clock.now += timedelta(seconds=30)
    assert sender.sent == [menu["id"]]
    assert clock.now - start <= timedelta(seconds=300 + 60)  # after the welcome's next try, not its 24 hours
    assert {m["id"]: m["status"] for m in store.list_outbound(to=PARENT)} == {welcome["id"]: "queued",
                                                                             menu["id"]: "sent"}


@pytest.mark.parametrize("factory", STORES)
def test_a_text_waiting_on_one_channel_does_not_hold_back_another(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    welcome, menu = queued(store, pipe)  # by SMS
    sms, whatsapp = FailsFor({welcome["id"], menu["id"]}), FailsFor()
    worker = OutboxWorker(store, {"sms": sms, "whatsapp": whatsapp}, clock)
    worker.run_once()
    pipe.inbound(Inbound("whatsapp", "WAq", PARENT, "MENU"))
    worker.run_once()
    on_whatsapp = [m["id"] for m in store.list_outbound(to=PARENT) if m["channel"] == "whatsapp"]
    assert on_whatsapp and whatsapp.sent == on_whatsapp


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


# ------------------------------------------------------------------ what a sender's errors carry
class PartsSender:
    """A provider client for texts in ``parts`` parts: it sends what ``msg``
    says is still missing and reports progress only on its errors, as the real
    senders do (they hold no store)."""

    def __init__(self, parts, failures):
        self.parts = parts
        self.failures = dict(failures)  # part index -> the error raised the first time it is tried
        self.calls = []

    def send(self, msg):
        done = int(msg.get("parts_sent") or 0)
        ids = list(msg.get("provider_ids") or [])
        for index in range(done, self.parts):
            self.calls.append((msg["id"], index))
            error = self.failures.pop(index, None)
            if error is not None:
                error.fields = {"parts_sent": index, "provider_ids": ids} if index else {}
                raise error
            ids.append(f"P{len(self.calls)}")
        return SendResult("sent", ids[0], {"parts": self.parts, "provider_ids": ids})


def one_queued(store, clock, to=PARENT, msg_id="m1", channel="sms"):
    store.add_outbound({"id": msg_id, "to": to, "text": "long", "key": "test.long", "choices": [], "lang": "en",
                        "channel": channel, "status": "queued", "created_at": clock()})
    return msg_id


def row(store, msg_id):
    return next(m for m in store.list_outbound() if m["id"] == msg_id)


@pytest.mark.parametrize("factory", STORES)
def test_fields_of_a_transient_error_are_saved_and_the_retry_sends_only_what_is_missing(factory, tmp_path):
    store, clock, _pipe = make(factory, tmp_path)
    msg_id = one_queued(store, clock)
    sender = PartsSender(3, {2: TransientSendError("503", retry_after=30)})
    worker = OutboxWorker(store, {"sms": sender}, clock, base_delay=1, max_delay=1)
    worker.run_once()
    msg = row(store, msg_id)
    assert msg["status"] == "queued" and msg["attempts"] == 1 and msg["error"] == "503"
    assert msg["parts_sent"] == 2 and msg["provider_ids"] == ["P1", "P2"]
    assert msg["retry_at"] >= NOW + timedelta(seconds=30)
    clock.now += timedelta(seconds=31)
    worker.run_once()
    msg = row(store, msg_id)
    assert msg["status"] == "sent" and msg["provider_ids"] == ["P1", "P2", "P4"] and msg["provider_id"] == "P1"
    assert [i for _, i in sender.calls] == [0, 1, 2, 2]  # parts one and two went once


@pytest.mark.parametrize("factory", STORES)
def test_fields_of_a_permanent_error_are_saved_on_the_failed_row(factory, tmp_path):
    store, clock, _pipe = make(factory, tmp_path)
    msg_id = one_queued(store, clock)
    OutboxWorker(store, {"sms": PartsSender(2, {1: PermanentSendError("bad", "21211")})}, clock).run_once()
    msg = row(store, msg_id)
    assert msg["status"] == "failed" and msg["error_code"] == "21211" and msg["provider_ids"] == ["P1"]
    assert not store.get_contact(PARENT) or not store.get_contact(PARENT).get("opted_out")  # no opt_out asked


@pytest.mark.parametrize("factory", STORES)
def test_a_sender_s_fields_cannot_override_the_worker_s_own(factory, tmp_path):
    store, clock, _pipe = make(factory, tmp_path)
    msg_id = one_queued(store, clock)
    error = TransientSendError("503", fields={"status": "sent", "attempts": 99, "error": "x", "note": "kept"})
    OutboxWorker(store, {"sms": FlakySender([error])}, clock, base_delay=1).run_once()
    msg = row(store, msg_id)
    assert (msg["status"], msg["attempts"], msg["error"], msg["note"]) == ("queued", 1, "503", "kept")


@pytest.mark.parametrize("factory", STORES)
def test_opt_out_from_the_provider_marks_the_contact_once_and_blocks_later_messages(factory, tmp_path):
    store, clock, _pipe = make(factory, tmp_path)
    first = one_queued(store, clock, msg_id="m1")
    second = one_queued(store, clock, msg_id="m2")
    unsubscribed = [PermanentSendError("unsubscribed", "21610", opt_out=True) for _ in range(2)]
    sender = FlakySender(unsubscribed)
    OutboxWorker(store, {"sms": sender}, clock).run_once()
    assert row(store, first)["status"] == "failed" and row(store, first)["error_code"] == "21610"
    assert row(store, second)["status"] == "blocked"  # the gate, right after: never tried
    contact = store.get_contact(PARENT)
    assert contact["opted_out"] is True and contact["opted_out_by"] == "sms:21610"
    audits = [e for e in store.audit_entries(PARENT) if e["what"] == "outbox.opted_out"]
    assert len(audits) == 1 and audits[0]["data"] == {"channel": "sms", "code": "21610"}
    assert audits[0]["at"] == NOW
    later = one_queued(store, clock, msg_id="m3")
    OutboxWorker(store, {"sms": sender}, clock).run_once()
    assert row(store, later)["status"] == "blocked" and sender.sent == []


@pytest.mark.parametrize("factory", STORES)
def test_opt_out_from_the_provider_keeps_an_earlier_stop_s_reason(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    pipe.inbound(Inbound("sms", "a", PARENT, "hello"))
    pipe.inbound(Inbound("sms", "b", PARENT, "STOP"))
    assert store.get_contact(PARENT)["opted_out"] is True
    assert store.get_contact(PARENT).get("opted_out_by") is None  # the engine's STOP: the person's own
    # The STOP confirmation is the one message that goes, and the provider refuses it.
    blocked = PermanentSendError("blocked", "blocked", opt_out=True)
    OutboxWorker(store, {"sms": FlakySender([blocked])}, clock).run_once()
    statuses = [(m["key"], m["status"]) for m in store.list_outbound(to=PARENT)]
    assert statuses == [("main.welcome", "blocked"), ("main.menu", "blocked"), ("keywords.stop_reply", "failed")]
    contact = store.get_contact(PARENT)
    assert contact["opted_out"] is True and contact.get("opted_out_by") is None
    assert [e for e in store.audit_entries(PARENT) if e["what"] == "outbox.opted_out"] == []
    later = one_queued(store, clock, msg_id="m-later")
    OutboxWorker(store, {"sms": FlakySender([])}, clock).run_once()
    assert row(store, later)["status"] == "blocked"


@pytest.mark.parametrize("factory", STORES)
def test_opt_out_is_labelled_with_the_message_s_channel(factory, tmp_path):
    store, clock, _pipe = make(factory, tmp_path)
    one_queued(store, clock, to="tg:42", channel="telegram")
    blocked = PermanentSendError("telegram: Forbidden: bot was blocked by the user", "blocked", opt_out=True)
    OutboxWorker(store, {"telegram": FlakySender([blocked])}, clock).run_once()
    assert store.get_contact("tg:42")["opted_out_by"] == "telegram:blocked"
