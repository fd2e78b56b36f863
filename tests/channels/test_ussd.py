"""USSD through Africa's Talking: POST /ussd against the real app and flows."""
import shutil
import socket
import uuid

import pytest

from bot.channels.ussd import KIND
from bot.channels.ussd_screens import units
from bot.config import Config
from bot.engine.render import USSD_SCREEN_MAX
from stores import redis_store
from support import ROOT

NUMBER = "+14155550123"
LOCAL = "(415) 555-0123"  # the same number as a US phone would send it

# A flow whose screen needs three pages: welcome + help + a question.
LONG_FLOW = """
flow: longread
triggers: {keywords: {en: [LONG], es: [LARGO]}}
start: one
states:
  one:
    say: main.welcome
    goto: two
  two:
    say: keywords.help_reply
    goto: three
  three:
    say: keywords.start_reply
    goto: ask
  ask:
    say: profile.current
    ask:
      kind: choice
      save: field
      options:
        - {value: name, label: profile.opt_name}
        - {value: area, label: profile.opt_area}
      goto: done
  done:
    say: profile.saved
    end: true
"""


def make_app(tmp_path, store=None, **cfg):
    from app import create_app

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "longread.yaml").write_text(LONG_FLOW)
    config = Config(db_path=str(tmp_path / "vecina.db"), flows_dir=str(flows), **cfg)
    test_config = {"VECINA_CONFIG": config, "VECINA_JOBS": False, "TESTING": True}
    if store is not None:
        test_config["VECINA_STORE"] = store
    return create_app(test_config)


class Phone:
    """One USSD session as Africa's Talking drives it: the whole history each time."""

    def __init__(self, client, number=NUMBER, session=None, query=""):
        self.client, self.number, self.query = client, number, query
        self.session = session or f"ATUid_{uuid.uuid4().hex[:12]}"
        self.inputs: list[str] = []

    def post(self, text, **extra):
        data = {"sessionId": self.session, "serviceCode": "*384*123#", "phoneNumber": self.number,
                "networkCode": "63902", "text": text, **extra}
        return self.client.post("/ussd" + self.query, data=data)

    def dial(self):
        return self.screen(self.post(""))

    def type(self, value):
        self.inputs.append(value)
        return self.screen(self.post("*".join(self.inputs)))

    @staticmethod
    def screen(res):
        assert res.status_code == 200, res.get_data(as_text=True)
        assert res.mimetype == "text/plain"
        body = res.get_data(as_text=True)
        assert body[:4] in ("CON ", "END "), body
        assert len(body) <= USSD_SCREEN_MAX and units(body) <= USSD_SCREEN_MAX, (len(body), body)
        return body


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def rt(app):
    return app.extensions["vecina"]


@pytest.fixture
def phone(app):
    return Phone(app.test_client())


class Steps:
    """Counts pipeline calls, passing each through to the real pipeline."""

    def __init__(self, rt):
        self.calls = []
        inner = rt.pipeline.inbound

        def counted(msg):
            self.calls.append(msg)
            return inner(msg)

        rt.pipeline.inbound = counted


def known(rt, number=NUMBER, lang="en"):
    with rt.store.transaction() as tx:
        tx.upsert_contact(number, lang=lang)


# ------------------------------------------------------------------ the flows
def test_first_dial_of_a_known_number_is_the_numbered_main_menu(rt, phone):
    known(rt)
    assert phone.dial() == "CON What do you need? Reply with a number.\n1. My details\n2. Language / Idioma\n3. Talk to someone"


def test_first_dial_of_a_new_number_welcomes_and_pages_the_menu(rt, phone):
    first = phone.dial()
    assert first.startswith("CON Welcome to Vecina")
    assert first.endswith("\n1. My details\n98 More")
    assert phone.type("98") == "CON 2. Language / Idioma\n3. Talk to someone\n0 Back\n00 Home"
    assert rt.store.get_contact(NUMBER)["lang"] == "en"


def test_choosing_options_walks_the_profile_flow(rt, phone):
    known(rt)
    phone.dial()
    assert phone.type("1") == ("CON Your details: name not set, area not set. What would you like to change?\n"
                               "1. Name\n2. Area\n3. Main menu")
    assert phone.type("1") == "CON What first name should neighbours see? (No last name needed.)"
    assert phone.type("Ana").startswith("CON Saved.\nYour details: name Ana, area not set.")
    assert phone.type("2") == "CON Which neighbourhood or area are you in? For example: Eastside."
    assert "area Eastside" in phone.type("Eastside")
    assert phone.type("3").startswith("CON What do you need?")
    contact = rt.store.get_contact(NUMBER)
    assert (contact["name"], contact["area"]) == ("Ana", "Eastside")


def test_the_language_flow_switches_the_screens_and_the_navigation_labels(rt, phone):
    phone.dial()
    phone.type("98")
    assert phone.type("2") == "CON Which language? / ¿Qué idioma?\n1. English\n2. Español"
    assert phone.type("2") == ("CON Listo: te escribiré en español.\n¿Qué necesitas? Responde con un número.\n"
                               "1. Mis datos\n2. Idioma / Language\n3. Hablar con alguien")
    assert rt.store.get_contact(NUMBER)["lang"] == "es"
    spanish = Phone(phone.client)
    assert spanish.dial().startswith("CON ¿Qué necesitas?")
    assert spanish.type("LARGO").endswith("\n98 Más")
    assert spanish.type("98").endswith("\n98 Más\n0 Atrás\n00 Inicio")


def test_a_phone_number_is_normalised_to_e164(rt, app):
    Phone(app.test_client(), number=LOCAL).dial()
    assert rt.store.get_contact(NUMBER) is not None
    assert {m["to"] for m in rt.store.list_outbound()} == {NUMBER}


def test_end_when_the_flow_ends(rt, phone):
    known(rt)
    phone.dial()
    phone.type("LONG")
    phone.type("98")
    phone.type("98")
    assert phone.type("2") == "END Saved."


def test_end_after_too_many_wrong_answers(rt, phone):
    known(rt)
    phone.dial()
    assert phone.type("7").startswith("CON Please reply with the number of your choice")
    phone.type("7")
    assert phone.type("7") == "END I still didn't get that. Text MENU to start again or HELP for help."


def test_stop_ends_and_an_opted_out_number_can_come_back_with_start(rt, app, phone):
    known(rt)
    phone.dial()
    assert phone.type("STOP") == "END You won't get more texts from Vecina. Text START to come back."
    again = Phone(app.test_client())
    assert again.dial() == "CON You stopped messages from Vecina. Type START to come back."
    assert again.type("1") == "CON You stopped messages from Vecina. Type START to come back."
    assert again.type("START") == "END Welcome back to Vecina. Text MENU to see what we can do."
    assert rt.store.get_contact(NUMBER)["opted_out"] is False


# ------------------------------------------------------------------ paging
def test_a_long_screen_pages_with_98_0_and_00_without_pipeline_calls(rt, phone):
    known(rt)
    phone.dial()
    first = phone.type("LONG")
    assert first.startswith("CON Welcome to Vecina") and first.endswith("\n98 More")
    steps = Steps(rt)
    second = phone.type("98")
    assert second.endswith("\n98 More\n0 Back\n00 Home")
    third = phone.type("98")
    assert third.endswith("1. Name\n2. Area\n0 Back\n00 Home")
    assert phone.type("0") == second
    assert phone.type("0") == first
    assert phone.type("98") == second
    assert steps.calls == []  # paging is the stored screen, never a step
    # Every word of the reply is on one of the pages, in order.
    shown = " ".join(p[4:].rsplit("\n98 More", 1)[0] for p in (first, second)) + " " + third[4:]
    assert "STOP to stop, HELP for help." in shown.replace("\n", " ")
    assert phone.type("00").startswith("CON What do you need?")
    assert [m.text for m in steps.calls] == ["MENU"]


def test_navigation_numbers_the_screen_does_not_offer_reach_the_flow(rt, phone):
    known(rt)
    phone.dial()
    # No "98 More" here: 98 is an answer, and not one of the menu's numbers.
    assert phone.type("98").startswith("CON Please reply with the number of your choice")
    assert phone.type("0").startswith("CON Please reply with the number of your choice")
    phone.type("1")
    phone.type("1")
    assert phone.type("98").startswith("CON Saved.\nYour details: name 98,")  # free text takes it


def test_home_in_spanish_sends_the_spanish_menu_keyword(rt, phone):
    known(rt, lang="es")
    assert phone.dial().startswith("CON ¿Qué necesitas?")
    steps = Steps(rt)
    phone.type("1")
    assert phone.type("00").startswith("CON ¿Qué necesitas?")
    assert [m.text for m in steps.calls] == ["1", "MENÚ"]


# ------------------------------------------------------------------ retries
def test_a_retried_request_gets_the_same_screen_and_no_second_step(rt, phone):
    known(rt)
    steps = Steps(rt)
    first = phone.dial()
    assert phone.screen(phone.post("")) == first
    answer = phone.type("1")
    assert phone.screen(phone.post("1")) == answer
    assert phone.screen(phone.post("1")) == answer
    assert [(m.provider_id, m.text) for m in steps.calls] == [(f"{phone.session}:0", "MENU"),
                                                               (f"{phone.session}:1", "1")]
    assert len(rt.store.list_outbound(to=NUMBER)) == 2


def test_a_retry_after_a_crash_before_the_screen_was_saved_shows_the_same_screen(rt, phone):
    known(rt)
    phone.dial()
    before = rt.store.get_record(KIND, phone.session)
    answer = phone.type("1")
    rt.store.put_record(KIND, phone.session, before)  # the step committed, its screen did not
    steps = Steps(rt)
    assert phone.screen(phone.post("1")) == answer
    assert [m.provider_id for m in steps.calls] == [f"{phone.session}:1"]  # a duplicate: no second step
    assert len(rt.store.list_outbound(to=NUMBER)) == 2


def test_a_star_typed_inside_an_answer_is_read_as_two_inputs(rt, phone):
    known(rt)
    phone.dial()
    assert phone.type("1*1") == "CON What first name should neighbours see? (No last name needed.)"


def test_an_empty_input_shows_the_same_screen_and_is_no_wrong_answer(rt, phone):
    known(rt)
    menu = phone.dial()
    steps = Steps(rt)
    for _ in range(4):  # four wrong answers would have ended the session
        assert phone.type("") == menu
    assert steps.calls == []
    assert phone.type("1").startswith("CON Your details")


def test_a_history_we_never_saw_starts_at_home(rt, phone):
    known(rt)
    assert phone.screen(phone.post("1*2*3")).startswith("CON What do you need?")
    assert phone.screen(phone.post("1*2*3*1")).startswith("CON Your details")


def test_a_session_id_belongs_to_one_number(rt, app, phone):
    phone.dial()
    other = Phone(app.test_client(), number="+14155550124", session=phone.session)
    assert other.post("1").status_code == 400


# ------------------------------------------------------------------ outbox
def test_ussd_replies_count_as_shown_and_messages_stay_on_ussd(rt, phone):
    known(rt)
    phone.dial()
    phone.type("1")
    while rt.outbox.run_once():
        pass
    rows = rt.store.list_outbound(to=NUMBER)
    assert {m["channel"] for m in rows} == {"ussd"} and {m["status"] for m in rows} == {"shown"}
    assert rt.store.get_contact(NUMBER).get("channel") in (None, "sms")  # USSD never becomes the channel


# ------------------------------------------------------------------ the request
def test_the_secret_is_required_when_configured(tmp_path):
    app = make_app(tmp_path, ussd_secret="s3cr3t")
    client = app.test_client()
    assert Phone(client).post("").status_code == 403
    assert Phone(client, query="?secret=wrong").post("").status_code == 403
    assert Phone(client, query="?secret=").post("").status_code == 403
    assert Phone(client, query="?secret=s3cr3t").dial().startswith("CON ")


@pytest.mark.parametrize("field", ["sessionId", "serviceCode", "phoneNumber", "text"])
def test_a_missing_field_is_400(phone, field):
    data = {"sessionId": "s1", "serviceCode": "*384#", "phoneNumber": NUMBER, "networkCode": "63902", "text": ""}
    del data[field]
    res = phone.client.post("/ussd", data=data)
    assert res.status_code == 400 and field in res.get_data(as_text=True)


def test_network_code_may_be_missing(phone):
    res = phone.client.post("/ussd", data={"sessionId": "s1", "serviceCode": "*384#", "phoneNumber": NUMBER,
                                           "text": ""})
    assert Phone.screen(res).startswith("CON ")


@pytest.mark.parametrize("number", ["", "hello", "+1", "12"])
def test_a_bad_phone_number_is_400(app, number):
    assert Phone(app.test_client(), number=number).post("").status_code == 400


def test_an_empty_session_id_is_400(app):
    assert Phone(app.test_client(), session=" ").post("").status_code == 400


def test_only_post(phone):
    assert phone.client.get("/ussd").status_code == 405


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_store_outage_closes_the_screen_politely(tmp_path):
    from bot.store.redis_store import RedisStore

    app = make_app(tmp_path, store=RedisStore(f"redis://127.0.0.1:{_free_port()}/0"))
    body = Phone.screen(Phone(app.test_client()).post(""))
    assert body == "END Sorry, the line is busy. Please dial again in a minute."


# ------------------------------------------------------------------ on Redis
def test_a_session_on_redis_pages_and_answers_retries(tmp_path):
    app = make_app(tmp_path, store=redis_store(tmp_path))
    rt = app.extensions["vecina"]
    phone = Phone(app.test_client())
    first = phone.dial()
    assert first.endswith("\n98 More")
    steps = Steps(rt)
    assert phone.type("98") == "CON 2. Language / Idioma\n3. Talk to someone\n0 Back\n00 Home"
    assert phone.type("1").startswith("CON Your details")
    assert phone.type("1").startswith("CON What first name")
    saved = phone.type("Ana")
    assert phone.screen(phone.post("98*1*1*Ana")) == saved
    assert len(steps.calls) == 3
    assert rt.store.get_contact(NUMBER)["name"] == "Ana"
    # Another web process (a new app on the same Redis) carries the session on.
    other = make_app(tmp_path / "b", store=rt.store)
    phone.client = other.test_client()
    assert phone.type("3").startswith("CON What do you need?")


def test_crisis_words_typed_on_a_ussd_screen_end_it_with_the_crisis_line_so_the_phone_can_call(rt, phone, app):
    known(rt)
    rt.store.upsert_contact("+14155550199", roles=["coordinator"], lang="en")
    phone.dial()
    phone.type("1")
    phone.type("1")  # "What first name should neighbours see?"
    screen = phone.type("i want to kill myself")
    assert screen.startswith("END Please reach someone now: call or text 988")
    alerts = [m for m in rt.store.list_outbound() if m["to"] == "+14155550199"]
    assert len(alerts) == 1 and alerts[0]["text"].startswith("CRISIS:")
    assert Phone(app.test_client()).dial().startswith("CON What do you need?")
