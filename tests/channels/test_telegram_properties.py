"""Property tests of the Telegram webhook: whatever arrives, never a 5xx; every
update the line accepts is logged exactly once, however often it is delivered."""
from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config

SECRET = "prop-secret"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    from app import create_app

    db = tmp_path_factory.mktemp("tg") / "vecina.db"
    app = create_app({"VECINA_CONFIG": Config(db_path=str(db), telegram_secret_token=SECRET),
                      "VECINA_JOBS": False, "TESTING": True})
    return app, str(db)


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=15)
ids = st.integers(min_value=-(2 ** 70), max_value=2 ** 70)


def sometimes_junk(good):
    """Mostly what Telegram sends, now and then any JSON value in its place."""
    return st.one_of(good, good, good, json_values)


chat = st.fixed_dictionaries({"id": sometimes_junk(ids),
                              "type": sometimes_junk(st.sampled_from(["private", "private", "group", "channel"]))})
user = st.fixed_dictionaries({"id": ids, "is_bot": st.booleans(), "first_name": st.text(max_size=10)},
                             optional={"language_code": sometimes_junk(st.text(max_size=5))})
message = st.fixed_dictionaries({"message_id": ids, "date": st.integers(0, 2 ** 31), "chat": chat},
                                optional={"text": sometimes_junk(st.text(max_size=50)), "from": user,
                                          "caption": st.text(max_size=20), "sticker": json_values})
callback = st.fixed_dictionaries({"id": sometimes_junk(st.text(max_size=10)), "chat_instance": st.text(max_size=5),
                                  "from": user},
                                 optional={"data": sometimes_junk(st.text(max_size=10)), "message": message})
member = st.fixed_dictionaries({"chat": chat, "date": st.integers(0, 2 ** 31), "from": user,
                                "old_chat_member": json_values,
                                "new_chat_member": st.fixed_dictionaries(
                                    {"status": st.sampled_from(["kicked", "member", "left"]) | st.text(max_size=8),
                                     "user": user})})
updates = st.fixed_dictionaries(
    {"update_id": sometimes_junk(ids)},
    optional={"message": sometimes_junk(message), "callback_query": sometimes_junk(callback),
              "edited_message": message, "my_chat_member": sometimes_junk(member), "extra": json_values})
# Well-formed: what Telegram sends for a text or a button press in a private chat.
private_text = st.builds(
    lambda uid, chat_id, text, button: {"update_id": uid, **(
        {"callback_query": {"id": "q", "chat_instance": "c", "data": text or "1",
                            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
                            "message": {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}}}}
        if button else
        {"message": {"message_id": 1, "date": 0, "text": text, "chat": {"id": chat_id, "type": "private"}}})},
    st.integers(0, 2 ** 62), st.integers(1, 10 ** 12), st.text(max_size=40), st.booleans())
well_formed = st.one_of(private_text, st.builds(lambda uid, m: {"update_id": uid, "message": m}, ids, message),
                        st.builds(lambda uid, m: {"update_id": uid, "my_chat_member": m}, ids, member))
bodies = st.one_of(well_formed.map(lambda u: json.dumps(u).encode()),
                   updates.map(lambda u: json.dumps(u).encode()), updates.map(lambda u: json.dumps(u).encode()),
                   json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200))
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
secrets = st.none() | header_text


def post(app, body: bytes, secret):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    return app.test_client().post("/telegram/webhook", data=body, headers=headers)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_never_a_server_error(line, body):
    app, _ = line
    assert post(app, body, SECRET).status_code in (200, 400, 413)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, secret=secrets)
def test_without_the_secret_always_403(line, body, secret):
    app, db = line
    before = outbox_rows(db)
    assert post(app, body, None if secret == SECRET else secret).status_code == 403
    assert outbox_rows(db) == before


def inbound_rows(db: str, provider_id: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM inbound WHERE channel = 'telegram' AND provider_id = ?",
                            (provider_id,)).fetchone()[0]


def outbox_rows(db: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(update=private_text, repeats=st.integers(1, 3))
def test_every_accepted_update_is_logged_once(line, update, repeats):
    app, db = line
    provider_id = str(update["update_id"])
    first = post(app, json.dumps(update).encode(), SECRET)
    assert first.status_code == 200
    assert inbound_rows(db, provider_id) == 1
    queued = outbox_rows(db)
    for _ in range(repeats):
        assert post(app, json.dumps(update).encode(), SECRET).status_code == 200
    assert inbound_rows(db, provider_id) == 1
    assert outbox_rows(db) == queued  # a repeat answers nothing new
