"""Engine behaviour through the conductor with the shipped flows and locales."""
from datetime import timedelta

from bot.engine.model import ENDED, WAITING_INPUT, CounterIds, Event, Session
from support import NOW, OTHER, PARENT, conductor


def texts(outcome):
    return [m["text"] for m in outcome.sent]


def test_first_spanish_text_gets_spanish_welcome_and_menu():
    c = conductor()
    out = c.message(PARENT, "Hola, necesito ayuda", NOW)
    assert c.store.get_contact(PARENT)["lang"] == "es"
    assert [m["key"] for m in out.sent] == ["main.welcome", "main.menu"]
    assert out.sent[0]["text"].startswith("Bienvenido a Vecina")
    assert [label for _n, label in out.sent[1]["choices"]] == ["Mis datos", "Idioma / Language", "Hablar con alguien"]


def test_first_english_text_gets_english_welcome():
    c = conductor()
    out = c.message(PARENT, "hello", NOW)
    assert c.store.get_contact(PARENT)["lang"] == "en"
    assert out.sent[0]["text"].startswith("Welcome to Vecina")


def test_unclear_first_text_uses_the_line_default():
    c = conductor(default_lang="en")
    c.message(PARENT, "ok", NOW)
    assert c.store.get_contact(PARENT)["lang"] == "en"


def test_menu_choice_by_number_word_and_prefix():
    for answer in ("2", "dos", "idioma", "Idio"):
        c = conductor()
        c.message(PARENT, "hola", NOW)
        out = c.message(PARENT, answer, NOW)
        assert [m["key"] for m in out.sent] == ["language.prompt"], answer


def test_reask_with_hint_then_give_up_after_three_misses():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    first = c.message(PARENT, "banana", NOW)
    assert len(first.sent) == 1
    msg = first.sent[0]
    assert "What do you need?" in msg["text"] and msg["choices"]  # the question again, with its options
    assert msg["text"].split("\n")[0] != "What do you need? Reply with a number."  # a hint comes first
    c.message(PARENT, "banana", NOW)
    last = c.message(PARENT, "banana", NOW)
    assert [m["key"] for m in last.sent] == ["common.too_many_misses"]
    assert "MENU" in last.sent[0]["text"] and "HELP" in last.sent[0]["text"]
    assert c.store.get_session(PARENT).status == ENDED
    # The next text starts again from the menu.
    again = c.message(PARENT, "hi", NOW)
    assert [m["key"] for m in again.sent] == ["main.menu"]


def test_language_switch_keyword_repeats_the_open_question():
    c = conductor()
    c.message(PARENT, "hola", NOW)
    out = c.message(PARENT, "ENGLISH", NOW)
    assert c.store.get_contact(PARENT)["lang"] == "en"
    assert [m["key"] for m in out.sent] == ["keywords.lang_reply", "main.menu"]
    assert out.sent[1]["text"] == "What do you need? Reply with a number."
    assert ["My details", "Language / Idioma", "Talk to someone"] == [l for _n, l in out.sent[1]["choices"]]
    back = c.message(PARENT, "español", NOW)
    assert back.sent[0]["text"] == "Listo, te escribiré en español."


def test_language_flow_sets_language_and_returns_to_menu():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    c.message(PARENT, "LANG", NOW)
    out = c.message(PARENT, "2", NOW)
    assert c.store.get_contact(PARENT)["lang"] == "es"
    assert [m["key"] for m in out.sent] == ["language.done", "main.menu"]
    assert out.sent[1]["text"].startswith("¿Qué necesitas?")


def test_answering_the_language_question_with_a_language_name():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    c.message(PARENT, "LANG", NOW)
    out = c.message(PARENT, "Español", NOW)
    assert c.store.get_contact(PARENT)["lang"] == "es"
    assert [m["key"] for m in out.sent] == ["keywords.lang_reply", "main.menu"]


def test_stop_opts_out_silences_and_start_opts_back_in():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    out = c.message(PARENT, "Stop", NOW)
    assert [m["key"] for m in out.sent] == ["keywords.stop_reply"]
    assert c.store.get_contact(PARENT)["opted_out"] is True
    assert c.message(PARENT, "hello?", NOW).sent == []
    assert c.message(PARENT, "1", NOW).sent == []
    back = c.message(PARENT, "START", NOW)
    assert [m["key"] for m in back.sent] == ["keywords.start_reply"]
    assert c.store.get_contact(PARENT)["opted_out"] is False


def test_yes_opts_back_in_only_while_opted_out():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    c.message(PARENT, "UNSUBSCRIBE", NOW)
    out = c.message(PARENT, "yes", NOW)
    assert [m["key"] for m in out.sent] == ["keywords.start_reply"]


def test_spanish_opt_out_words():
    for word in ("PARAR", "baja", "Alto"):
        c = conductor()
        c.message(PARENT, "hola", NOW)
        out = c.message(PARENT, word, NOW)
        assert out.sent[0]["text"].startswith("No recibirás"), word


def test_help_answers_and_keeps_the_conversation():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    out = c.message(PARENT, "HELP", NOW)
    assert [m["key"] for m in out.sent] == ["keywords.help_reply"]
    nxt = c.message(PARENT, "1", NOW)
    assert [m["key"] for m in nxt.sent] == ["profile.current"]


def test_stale_session_starts_fresh_from_the_menu():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    c.message(PARENT, "1", NOW)  # profile: "What would you like to change?"
    later = NOW + timedelta(hours=25)
    out = c.message(PARENT, "1", later)  # would have meant "Name" a day ago
    assert [m["key"] for m in out.sent] == ["main.menu"]


def test_trigger_keyword_starts_its_flow_mid_conversation():
    c = conductor()
    c.message(PARENT, "hola", NOW)
    out = c.message(PARENT, "perfil", NOW)
    assert [m["key"] for m in out.sent] == ["profile.current"]


def test_profile_flow_saves_name_through_the_action():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    c.message(PARENT, "PROFILE", NOW)
    c.message(PARENT, "name", NOW)
    out = c.message(PARENT, "  Ana   María ", NOW)
    assert c.store.get_contact(PARENT)["name"] == "Ana María"
    assert [m["key"] for m in out.sent] == ["profile.saved", "profile.current"]
    assert "name Ana," in out.sent[1]["text"]
    assert any(a["what"] == "profile.updated" for a in c.store.audit_log)


def test_free_text_answer_is_not_taken_for_a_trigger_keyword():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    c.message(PARENT, "PROFILE", NOW)
    c.message(PARENT, "area", NOW)
    c.message(PARENT, "Profile", NOW)  # an odd area name, but an answer all the same
    assert c.store.get_contact(PARENT)["area"] == "Profile"


def test_help_limit_per_window_guards_the_phone():
    c = conductor(window_max_sends=5, window_seconds=3600)
    c.message(PARENT, "hello", NOW)  # 2 messages
    sent = sum(len(c.message(PARENT, "HELP", NOW).sent) for _ in range(10))
    assert sent == 3
    assert any(a["what"] == "loop_guard.sends" for a in c.store.audit_log)
    later = c.message(PARENT, "HELP", NOW + timedelta(hours=1, seconds=1))
    assert len(later.sent) == 1


def test_session_round_trips_through_json():
    import json
    from datetime import datetime
    from decimal import Decimal

    s = Session(contact=PARENT, flow="main", state="menu", status=WAITING_INPUT,
                vars={"at": datetime(2026, 3, 2, 15, 30, tzinfo=NOW.tzinfo), "amount": Decimal("80.50"),
                      "child": {"name": "Ana", "age": 7}}, expires_at=NOW, updated_at=NOW)
    back = Session.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s


def test_unknown_session_schema_is_refused():
    import pytest

    with pytest.raises(ValueError):
        Session.from_dict({"contact": PARENT, "schema": 99})


def test_engine_does_not_change_the_session_it_was_given():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    before = c.store.get_session(PARENT)
    snapshot = before.to_dict()
    contact = __import__("bot.store.contacts", fromlist=["view"]).view(c.store.get_contact(PARENT))
    c.engine.message(before, contact, __import__("bot.engine.model", fromlist=["Message"]).Message("2"), NOW,
                     CounterIds())
    assert before.to_dict() == snapshot


def test_events_for_a_session_not_waiting_change_nothing():
    c = conductor()
    c.message(PARENT, "hello", NOW)
    s = c.store.get_session(PARENT)
    contact = __import__("bot.store.contacts", fromlist=["view"]).view(c.store.get_contact(PARENT))
    result = c.engine.event(s, contact, Event("helper_found", {}), NOW, CounterIds())
    assert result.effects == ()
    assert result.session.state == s.state
    assert OTHER not in c.store.sessions


def test_times_and_money_use_plain_spaces_so_an_sms_stays_gsm7():
    from datetime import datetime
    from decimal import Decimal

    from bot.engine.segments import count

    from support import engine

    cat = engine().catalog
    for lang in ("en", "es"):
        for value in (datetime(2026, 3, 2, 15, 30), Decimal("80.50")):
            shown = cat.format_value(lang, value)
            assert count(shown).encoding == "GSM-7", (lang, shown)


def test_money_is_written_as_where_the_line_is_and_times_as_the_language_has_them():
    from datetime import datetime
    from decimal import Decimal

    from bot.engine.locales import Catalog

    trees = {"en": {}, "es": {}}
    us = Catalog(trees, "en", "USD", "US")
    assert us.format_value("es", Decimal("80.5")) == "$80.50" and us.format_value("en", Decimal("80.5")) == "$80.50"
    spain = Catalog(trees, "en", "EUR", "ES")
    assert spain.format_value("es", Decimal("80.5")) == "80,50 €"
    nowhere = Catalog(trees, "en", "USD", "ZZ")  # no such region: the language's own form
    assert nowhere.format_value("es", Decimal("80.5")) == "80,50 US$"
    assert us.format_value("es", datetime(2026, 3, 2, 15, 30)) == "15:30"
