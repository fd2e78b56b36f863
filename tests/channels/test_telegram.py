"""The Telegram channel end to end: the webhook through the real pipeline, and
the outbox sending with the real python-telegram-bot Bot to a local fake Bot API."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.channels.telegram_sender import MAX_TEXT, TelegramSender, split_text
from bot.config import Config
from fake_telegram import FakeTelegram
from stores import DURABLE

SECRET = "s3cret-token_1"
CHAT = 5550001
CONTACT = f"tg:{CHAT}"


class Clock:
    """The outbox's clock, moved by the test (pacing holds a chat to ~1 message a second)."""

    def __init__(self, tz):
        self.now = datetime.now(tz)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture(params=DURABLE)
def line(request, tmp_path, fake):
    """The line on each durable store (SQLite, Redis), sending to the fake Bot API."""
    from app import create_app

    cfg = Config(db_path=str(tmp_path / "vecina.db"), telegram_bot_token=fake.token,
                 telegram_secret_token=SECRET, telegram_api_url=fake.url)
    app = create_app({"VECINA_CONFIG": cfg, "VECINA_JOBS": False, "TESTING": True,
                      "VECINA_STORE": request.param(tmp_path)})
    rt = app.extensions["vecina"]
    rt.outbox.clock = Clock(cfg.tz)
    yield app, rt
    rt.outbox.senders["telegram"].close()


def text_update(update_id, text, chat=CHAT, chat_type="private", lang="en"):
    return {"update_id": update_id,
            "message": {"message_id": update_id + 10, "date": 1767225600, "text": text,
                        "chat": {"id": chat, "type": chat_type},
                        "from": {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": lang}}}


def chat_member_update(update_id, status):
    """The bot blocked ("kicked") or unblocked ("member") by the person."""
    bot = {"id": 1, "is_bot": True, "first_name": "Vecina"}
    new = {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}
    return {"update_id": update_id, "my_chat_member": {
        "chat": {"id": CHAT, "type": "private"}, "date": 1767225600,
        "from": {"id": CHAT, "is_bot": False, "first_name": "Ana"},
        "old_chat_member": {"status": "left" if status == "member" else "member", "user": bot},
        "new_chat_member": new}}


def press(update_id, data, chat=CHAT, query_id="cq-1"):
    return {"update_id": update_id,
            "callback_query": {"id": query_id, "chat_instance": "ci", "data": data,
                               "from": {"id": chat, "is_bot": False, "first_name": "Ana"},
                               "message": {"message_id": 77, "date": 1767225600, "text": "menu",
                                           "chat": {"id": chat, "type": "private"}}}}


def post(app, body, secret=SECRET, raw=False):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = body if raw else json.dumps(body)
    return app.test_client().post("/telegram/webhook", data=data, headers=headers)


def deliver_all(rt, rounds=10):
    """Run the outbox until nothing is due, letting the clock pass the pacing waits."""
    for _ in range(rounds):
        rt.outbox.run_once()
        rt.outbox.clock.advance(1.1)


def rows(rt, to=CONTACT):
    return rt.store.list_outbound(to=to)


# ------------------------------------------------------------------ webhook
def test_a_text_is_answered_on_telegram_and_delivered_with_buttons(line, fake):
    app, rt = line
    res = post(app, text_update(1, "hi"))
    assert res.status_code == 200
    queued = rows(rt)
    assert [m["key"] for m in queued] == ["main.welcome", "main.menu"]
    assert {m["channel"] for m in queued} == {"telegram"} and {m["status"] for m in queued} == {"queued"}
    deliver_all(rt)
    sent = fake.calls("sendMessage")
    assert [c["chat_id"] for c in sent] == [CHAT, CHAT]
    assert sent[0]["text"] == queued[0]["text"] and "reply_markup" not in sent[0]
    assert sent[1]["text"] == queued[1]["text"]
    buttons = [row[0] for row in sent[1]["reply_markup"]["inline_keyboard"]]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [(f"{n} {label}", str(n))
                                                                  for n, label in queued[1]["choices"]]
    assert [m["status"] for m in rows(rt)] == ["sent", "sent"]
    assert rows(rt)[1]["provider_id"] == "1002"


def test_a_button_press_answers_the_choice_and_is_acknowledged_in_the_webhook_answer(line, fake):
    app, rt = line
    post(app, text_update(1, "hi"))
    menu = rows(rt)[-1]
    language = next(n for n, label in menu["choices"] if label.startswith("Language"))
    res = post(app, press(2, str(language), query_id="cq-42"))
    assert res.status_code == 200
    assert res.json == {"method": "answerCallbackQuery", "callback_query_id": "cq-42"}
    fake.webhook_answer(res.json)  # Telegram runs the method named in the webhook's answer
    assert fake.calls("answerCallbackQuery") == [{"callback_query_id": "cq-42"}]
    assert rows(rt)[-1]["key"] == "language.prompt"
    # A retry of the same press is acknowledged again but answered once.
    again = post(app, press(2, str(language), query_id="cq-42"))
    assert again.json["method"] == "answerCallbackQuery"
    assert [m["key"] for m in rows(rt)].count("language.prompt") == 1


def test_the_answer_callback_api_call_reaches_the_bot_api(line, fake):
    # The sender can also acknowledge over the API (used outside the webhook).
    _, rt = line
    rt.outbox.senders["telegram"].answer_callback("cq-9")
    assert fake.calls("answerCallbackQuery") == [{"callback_query_id": "cq-9"}]


def test_the_same_update_twice_gets_one_reply(line):
    app, rt = line
    assert post(app, text_update(7, "hi")).status_code == 200
    assert post(app, text_update(7, "hi")).status_code == 200
    assert [m["key"] for m in rows(rt)] == ["main.welcome", "main.menu"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "s3cret-token_"])
def test_a_missing_or_wrong_secret_is_403_and_nothing_happens(line, secret):
    app, rt = line
    assert post(app, text_update(1, "hi"), secret=secret).status_code == 403
    assert rows(rt) == []


def test_without_a_configured_secret_every_request_is_refused(tmp_path, fake):
    from app import create_app

    cfg = Config(db_path=str(tmp_path / "v.db"), telegram_bot_token=fake.token, telegram_api_url=fake.url)
    app = create_app({"VECINA_CONFIG": cfg, "VECINA_JOBS": False})
    assert post(app, text_update(1, "hi"), secret="").status_code == 403
    assert post(app, text_update(1, "hi"), secret="anything").status_code == 403


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"null", b'"text"', b"{}", b'{"update_id": "1"}',
                                  b'{"update_id": true}', b"\xff\xfe", b'{"update_id": 1, "message": 5}',
                                  b'{"update_id": 1, "message": {"chat": 1}}'])
def test_bad_bodies_are_400(line, body):
    app, rt = line
    assert post(app, body, raw=True).status_code == 400
    assert rows(rt) == []


def test_a_body_over_64kb_is_413(line):
    app, rt = line
    body = json.dumps(text_update(1, "x" * (64 * 1024)))
    assert post(app, body, raw=True).status_code == 413
    assert rows(rt) == []


def test_updates_we_do_not_hold_conversations_for_are_200_and_ignored(line):
    app, rt = line
    sticker = text_update(1, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1,
                                     "is_animated": False, "is_video": False, "type": "regular"}
    group = text_update(2, "hi", chat=-100, chat_type="group")
    edited = {"update_id": 3, "edited_message": text_update(3, "hi")["message"] | {"edit_date": 1767225700}}
    for update in (sticker, group, edited):
        assert post(app, update).status_code == 200
    assert rt.store.list_outbound() == []


def test_start_from_a_newcomer_is_a_welcome_and_a_known_contact_comes_back(line):
    app, rt = line
    post(app, text_update(1, "/start abc123"))
    assert [m["key"] for m in rows(rt)] == ["main.welcome", "main.menu"]
    post(app, text_update(2, "STOP"))
    assert rt.store.get_contact(CONTACT)["opted_out"] is True
    post(app, text_update(3, "/start@VecinaTestBot"))
    assert rt.store.get_contact(CONTACT)["opted_out"] is False
    assert rows(rt)[-1]["key"] == "keywords.start_reply"


def test_store_down_is_503(tmp_path, fake):
    from app import create_app

    class DeadStore:
        def ping(self):
            return False

        def __getattr__(self, name):
            def gone(*args, **kwargs):
                raise ConnectionError("store gone")
            return gone

    cfg = Config(db_path=str(tmp_path / "v.db"), telegram_secret_token=SECRET)
    app = create_app({"VECINA_CONFIG": cfg, "VECINA_JOBS": False, "VECINA_STORE": DeadStore()})
    assert post(app, text_update(1, "hi")).status_code == 503


# ------------------------------------------------------------------ sending
def queue(rt, text, choices=(), msg_id="m-long", to=CONTACT):
    rt.store.add_outbound({"id": msg_id, "to": to, "text": text, "key": "test.long", "lang": "en",
                           "choices": [list(c) for c in choices], "channel": "telegram", "status": "queued",
                           "created_at": rt.outbox.clock()})


def long_text():
    line = "word " * 19 + "end\n"  # 100 characters a line
    return line * 50  # 5000 characters


def test_a_5000_character_text_goes_as_two_messages_with_the_buttons_on_the_last(line, fake):
    _, rt = line
    queue(rt, long_text(), choices=[(1, "Yes"), (2, "No")])
    deliver_all(rt)
    sent = fake.calls("sendMessage")
    assert len(sent) == 2
    assert all(len(c["text"]) <= MAX_TEXT for c in sent)
    assert "reply_markup" not in sent[0] and len(sent[1]["reply_markup"]["inline_keyboard"]) == 2
    assert sent[0]["text"].endswith("end") and sent[1]["text"].startswith("word")  # cut at a line break
    assert (sent[0]["text"] + "\n" + sent[1]["text"]).split() == long_text().split()
    row = rows(rt)[0]
    assert row["status"] == "sent" and row["parts"] == 2


def test_a_failed_second_part_is_retried_without_resending_the_first(line, fake):
    _, rt = line
    fake.fail("sendMessage", "500", after=1)
    queue(rt, long_text())
    rt.outbox.run_once()
    row = rows(rt)[0]
    assert row["status"] == "queued" and row["parts_sent"] == 1 and row["provider_id"] == "1001"
    rt.outbox.clock.advance(700)
    rt.outbox.run_once()
    texts = [c["text"] for c in fake.calls("sendMessage")]
    assert len(texts) == 3 and texts[1] == texts[2]  # part two twice (failed, then sent), part one once
    assert rows(rt)[0]["status"] == "sent"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own, on RetryAfter
def test_429_requeues_at_telegrams_retry_after(line, fake):
    _, rt = line
    fake.fail("sendMessage", "429", retry_after=30)
    queue(rt, "hello")
    now = rt.outbox.clock()
    rt.outbox.run_once()
    row = rows(rt)[0]
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["retry_at"] - now >= timedelta(seconds=30)
    rt.outbox.clock.advance(31)
    rt.outbox.run_once()
    assert rows(rt)[0]["status"] == "sent"


def test_500_is_retried(line, fake):
    _, rt = line
    fake.fail("sendMessage", "500")
    queue(rt, "hello")
    rt.outbox.run_once()
    assert rows(rt)[0]["status"] == "queued"
    rt.outbox.clock.advance(700)
    rt.outbox.run_once()
    assert rows(rt)[0]["status"] == "sent" and len(fake.calls("sendMessage")) == 2


def test_a_bad_request_fails_for_good(line, fake):
    _, rt = line
    fake.fail("sendMessage", "400")
    queue(rt, "hello")
    rt.outbox.run_once()
    row = rows(rt)[0]
    assert row["status"] == "failed" and row["error_code"] == "bad_request"


def test_blocked_by_the_user_opts_the_contact_out_until_they_write_again(line, fake):
    app, rt = line
    post(app, text_update(1, "hi"))
    fake.fail("sendMessage", "403")
    deliver_all(rt)
    welcome, menu = rows(rt)
    assert welcome["status"] == "failed" and welcome["error_code"] == "blocked"
    assert menu["status"] == "blocked"  # the outbox's opt-out gate: never sent
    assert len(fake.calls("sendMessage")) == 1
    contact = rt.store.get_contact(CONTACT)
    assert contact["opted_out"] is True and contact["opted_out_by"] == "telegram:blocked"
    audits = [e for e in rt.store.audit_entries(CONTACT) if e["what"] == "outbox.opted_out"]
    assert [e["data"] for e in audits] == [{"channel": "telegram", "code": "blocked"}]
    # Telegram only lets them write once they unblock the bot: that lifts it.
    post(app, text_update(2, "MENU"))
    contact = rt.store.get_contact(CONTACT)
    assert contact["opted_out"] is False and not contact.get("opted_out_by")
    deliver_all(rt)
    assert rows(rt)[-1]["key"] == "main.menu" and rows(rt)[-1]["status"] == "sent"
    # Having been blocked once leaves nothing behind: a STOP now is theirs, and stays.
    post(app, text_update(3, "STOP"))
    post(app, text_update(4, "hi"))
    assert rt.store.get_contact(CONTACT)["opted_out"] is True


def test_blocked_while_a_later_part_is_sent_keeps_the_parts_sent(line, fake):
    _, rt = line
    fake.fail("sendMessage", "403", after=1)
    queue(rt, long_text())
    rt.outbox.run_once()
    row = rows(rt)[0]
    assert row["status"] == "failed" and row["error_code"] == "blocked"
    assert row["parts_sent"] == 1 and row["provider_id"] == "1001"
    assert rt.store.get_contact(CONTACT)["opted_out_by"] == "telegram:blocked"


def test_a_bot_blocked_after_stop_keeps_the_stop(line, fake):
    app, rt = line
    post(app, text_update(1, "hi"))
    post(app, text_update(2, "STOP"))
    fake.fail("sendMessage", "403")
    deliver_all(rt)
    statuses = [(m["key"], m["status"]) for m in rows(rt)]
    # The STOP confirmation is the one message tried, and Telegram refuses it.
    assert statuses == [("main.welcome", "blocked"), ("main.menu", "blocked"), ("keywords.stop_reply", "failed")]
    contact = rt.store.get_contact(CONTACT)
    assert contact["opted_out"] is True and contact.get("opted_out_by") is None
    # Writing again (they unblocked) does not lift a STOP: only START does.
    post(app, text_update(3, "MENU"))
    assert rt.store.get_contact(CONTACT)["opted_out"] is True
    post(app, text_update(4, "START"))
    assert rt.store.get_contact(CONTACT)["opted_out"] is False


def test_a_block_recorded_before_opted_out_by_existed_is_still_lifted(line):
    app, rt = line
    post(app, text_update(1, "hi"))
    rt.store.upsert_contact(CONTACT, opted_out=True, telegram_blocked=True)  # as the old sender wrote it
    post(app, text_update(2, "MENU"))
    contact = rt.store.get_contact(CONTACT)
    assert contact["opted_out"] is False and not contact.get("telegram_blocked")


def test_a_stop_is_not_lifted_by_a_block_and_unblock(line, fake):
    app, rt = line
    post(app, text_update(1, "hi"))
    post(app, text_update(2, "STOP"))
    kicked = chat_member_update(3, "kicked")
    assert post(app, kicked).status_code == 200
    back = chat_member_update(4, "member")
    assert post(app, back).status_code == 200
    assert rt.store.get_contact(CONTACT)["opted_out"] is True


def test_blocking_the_bot_is_seen_from_my_chat_member(line):
    app, rt = line
    post(app, text_update(1, "hi"))
    kicked = chat_member_update(2, "kicked")
    assert post(app, kicked).status_code == 200
    contact = rt.store.get_contact(CONTACT)
    assert contact["opted_out"] is True and contact["opted_out_by"] == "telegram:blocked"
    deliver_all(rt)
    assert {m["status"] for m in rows(rt)} == {"blocked"}
    # Unblocking (the bot is a member again) lifts it.
    back = chat_member_update(3, "member")
    assert post(app, back).status_code == 200
    contact = rt.store.get_contact(CONTACT)
    assert contact["opted_out"] is False and not contact.get("opted_out_by")


def test_blocking_an_unknown_chat_records_nothing(line):
    app, rt = line
    kicked = chat_member_update(2, "kicked")
    assert post(app, kicked).status_code == 200
    assert rt.store.get_contact(CONTACT) is None


def test_many_sends_reuse_one_loop_and_survive_close(fake):
    sender = TelegramSender(fake.token, fake.url)
    try:
        for i in range(5):
            assert sender.send({"id": f"m{i}", "to": CONTACT, "text": f"n{i}", "choices": []}).status == "sent"
        sender.close()
        assert sender.send({"id": "after", "to": CONTACT, "text": "again", "choices": []}).status == "sent"
    finally:
        sender.close()
    assert [c["text"] for c in fake.calls("sendMessage")] == ["n0", "n1", "n2", "n3", "n4", "again"]


def test_senders_need_a_token(tmp_path):
    from bot.channels.telegram import senders

    assert senders(Config()) == {}
    built = senders(Config(telegram_bot_token="1:x"))
    assert set(built) == {"telegram"}
    # A pure provider client: what it learns goes back to the outbox worker on its errors.
    assert not any(name in vars(built["telegram"]) for name in ("store", "store_factory"))


def test_pacing_is_global_and_per_chat(fake):
    sender = TelegramSender(fake.token, fake.url)
    assert sender.pacing({"to": "tg:42"}) == [("telegram:all", 1 / 30, 30), ("telegram:chat:42", 1.0, 1)]


def test_split_text_prefers_line_then_word_boundaries():
    assert split_text("short") == ["short"]
    assert split_text("aaa bbb\nccc ddd", limit=9) == ["aaa bbb", "ccc ddd"]
    assert split_text("aaa bbb ccc", limit=8) == ["aaa bbb", "ccc"]
    assert split_text("abcdefghij", limit=4) == ["abcd", "efgh", "ij"]
    assert split_text("😀" * 5, limit=4) == ["😀😀", "😀😀", "😀"]  # outside the BMP: two units each
