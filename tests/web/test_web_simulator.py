"""/simulator: a phone on a web page, through the same pipeline as real texts."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.ussd_screens import units
from bot.engine.render import USSD_SCREEN_MAX
from bot.web.common import mask
from web_support import login, token_of

PHONE = "+14155550100"
HELPER = "+14155550177"


def open_sim(app):
    client = app.test_client()
    page = client.get("/simulator")
    assert page.status_code == 200
    return client, {"X-CSRF-Token": token_of(page.text)}


def choice(msg: dict, label: str) -> str:
    return next(num for num, text in msg["choices"] if text == label)


def test_open_without_login_on_the_embedded_profile_with_no_password(make_app):
    client, headers = open_sim(make_app(password=None))
    assert client.get("/simulator/feed.json").json == {"ok": True, "people": []}
    page = client.get("/simulator").text
    assert "simulator.js" in page and "http://" not in page.replace("http://www.w3.org", "")  # nothing from outside


def test_open_only_to_this_machine_when_no_password_is_set(make_app):
    """With HOST=0.0.0.0 and no ADMIN_PASSWORD, the network gets the login wall,
    never the feed of every message the line sends."""
    client = make_app(password=None).test_client()
    away = {"REMOTE_ADDR": "192.168.1.23"}
    assert client.get("/simulator/feed.json", environ_base=away).status_code == 401
    assert client.get("/simulator", environ_base=away).status_code == 302
    assert client.get("/simulator/feed.json", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


def test_behind_login_when_a_password_is_set(make_app):
    app = make_app()
    client = app.test_client()
    assert client.get("/simulator").status_code == 302
    assert client.get("/simulator/feed.json").status_code == 401
    token = token_of(client.get("/admin/login").text)
    assert client.post("/simulator/send", json={"number": PHONE, "text": "hola"},
                       headers={"X-CSRF-Token": token}).status_code == 401
    login(client)
    assert client.get("/simulator").status_code == 200
    assert client.get("/simulator/feed.json").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "nope"}])
def test_posts_need_the_csrf_token(make_app, headers):
    app = make_app(password=None)
    client = app.test_client()
    client.get("/simulator")
    assert client.post("/simulator/send", json={"number": PHONE, "text": "hola"}, headers=headers).status_code == 400
    assert client.post("/simulator/contact", json={"number": PHONE, "roles": []}, headers=headers).status_code == 400
    assert app.extensions["vecina"].store.get_contact(PHONE) is None


def test_a_first_hola_gets_the_spanish_welcome_and_menu_then_a_choice_works(make_app):
    app = make_app(password=None)
    client, headers = open_sim(app)
    res = client.post("/simulator/send", json={"number": PHONE, "text": "hola"}, headers=headers)
    assert res.status_code == 200 and res.json["ok"] and res.json["duplicate"] is False
    welcome, menu = res.json["sent"]
    assert welcome["text"].startswith("Bienvenido a Vecina") and welcome["lang"] == "es"
    assert menu["key"] == "main.menu" and menu["sms"].startswith("¿Qué necesitas?")
    assert menu["ussd"][0].startswith("CON ") and "1. " in menu["ussd"][0]
    res = client.post("/simulator/send", json={"number": PHONE, "text": choice(menu, "Mis datos")}, headers=headers)
    assert res.json["sent"][0]["text"].startswith("Tus datos")
    rows = app.extensions["vecina"].store.list_outbound(to=PHONE)
    assert [m["channel"] for m in rows] == ["sim"] * 3  # the sim channel: recorded, never sent to a phone


def test_the_same_text_twice_is_two_messages(make_app):
    client, headers = open_sim(make_app(password=None))
    first = client.post("/simulator/send", json={"number": PHONE, "text": "hola"}, headers=headers).json
    second = client.post("/simulator/send", json={"number": PHONE, "text": "hola"}, headers=headers).json
    assert not first["duplicate"] and not second["duplicate"] and second["sent"]


def test_setting_up_the_phone_upserts_the_contact(make_app):
    app = make_app(password=None)
    client, headers = open_sim(app)
    res = client.post("/simulator/contact", json={"number": "(415) 555-0177", "roles": ["helper", "parent"],
                                                  "lang": "en"}, headers=headers)
    assert res.status_code == 200 and res.json["contact"]["id"] == HELPER
    contact = app.extensions["vecina"].store.get_contact(HELPER)
    assert contact["roles"] == ["helper", "parent"] and contact["lang"] == "en" and contact["channel"] == "sim"
    client.post("/simulator/contact", json={"number": HELPER, "roles": ["helper"], "lang": ""}, headers=headers)
    contact = app.extensions["vecina"].store.get_contact(HELPER)
    assert contact["roles"] == ["helper"] and contact["lang"] is None
    page = client.get(f"/simulator?number={HELPER}&channel=telegram").text
    assert 'value="helper" checked' in page and 'value="telegram" selected' in page


@pytest.mark.parametrize("body, error", [
    ({"number": "not a number", "roles": []}, "phone number"),
    ({"number": PHONE, "roles": ["wizard"]}, "unknown role"),
    ({"number": PHONE, "roles": [], "lang": "fr"}, "unknown language"),
])
def test_bad_phone_setups_are_400(make_app, body, error):
    client, headers = open_sim(make_app(password=None))
    res = client.post("/simulator/contact", json=body, headers=headers)
    assert res.status_code == 400 and error in res.json["error"]


def test_the_feed_shows_everyone_grouped_newest_last(make_app):
    app = make_app(password=None)
    store = app.extensions["vecina"].store
    client, headers = open_sim(app)
    store.upsert_contact(HELPER, roles=["helper"], name="Rosa", lang="es")
    t = datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)
    long_text = "Una familia necesita ayuda para recoger a un niño en la escuela. " * 4
    for i, (to, text) in enumerate([(HELPER, "uno"), (PHONE, "x"), (HELPER, long_text)]):
        store.add_outbound({"id": f"m{i}", "to": to, "text": text, "key": "k", "lang": "es",
                            "choices": [["1", "Sí"], ["2", "No"]], "channel": "sim", "status": "queued",
                            "created_at": t.replace(minute=i)})
    people = client.get("/simulator/feed.json").json["people"]
    # the one texted last comes last; Rosa is a real member (not set up here): masked, not playable
    assert [(p["to"], p["playable"]) for p in people] == [(PHONE, True), (mask(HELPER), False)]
    assert HELPER not in json.dumps(people)
    rosa = people[1]
    assert rosa["name"] == "Rosa" and [m["id"] for m in rosa["messages"]] == ["m0", "m2"]
    screens = rosa["messages"][1]["ussd"]
    assert len(screens) > 1 and all(units(s) <= USSD_SCREEN_MAX for s in screens)
    assert "98 Más" in screens[0]
    assert rosa["messages"][1]["segments"] >= 2


def test_any_input_is_answered_never_a_500(make_app):
    client, headers = open_sim(make_app(password=None))

    @settings(max_examples=60, deadline=None)
    @given(number=st.one_of(st.text(max_size=20), st.from_regex(r"\+1415555\d{4}", fullmatch=True)),
           text=st.text(max_size=40), roles=st.lists(st.text(max_size=8), max_size=3))
    def check(number, text, roles):
        res = client.post("/simulator/send", json={"number": number, "text": text}, headers=headers)
        assert res.status_code in (200, 400) and res.json["ok"] is (res.status_code == 200)
        res = client.post("/simulator/contact", json={"number": number, "roles": roles, "lang": text},
                          headers=headers)
        assert res.status_code in (200, 400)

    check()


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"', '{"number": 5, "roles": 7}',
                                  '{"number": "+14155550100", "roles": 7}'])
def test_odd_json_bodies_are_400(make_app, body):
    client, headers = open_sim(make_app(password=None))
    for path in ("/simulator/send", "/simulator/contact"):
        res = client.post(path, data=body, headers=headers | {"Content-Type": "application/json"})
        assert res.status_code == 400


def test_a_real_members_number_cannot_be_played(make_app):
    """Playing it would act in their name and keep the line's texts from their phone."""
    app = make_app(password=None)
    rt = app.extensions["vecina"]
    real = "+14155550777"
    rt.store.upsert_contact(real, roles=["helper"], vetted=True, channel="sms")
    client, headers = open_sim(app)
    res = client.post("/simulator/send", json={"number": real, "text": "YES 123"}, headers=headers)
    assert res.status_code == 400 and "real member" in res.json["error"]
    res = client.post("/simulator/contact", json={"number": real, "roles": ["helper"]}, headers=headers)
    assert res.status_code == 400
    assert rt.store.get_contact(real)["channel"] == "sms"
    assert rt.store.list_outbound(to=real) == []
