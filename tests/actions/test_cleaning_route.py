from hypothesis import given, settings, strategies as st

from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import Send
from bot.store.contacts import view
from support import NOW, flowset
from actions.test_cleaning_command import CLEANER, CLIENT, JOB, store, to

ACTION = load()["cleaning_route"]


def route(s, who, text, mode="chat"):
    ctx = ActionContext(view(s.get_contact(who)), s, flowset().catalog, NOW, s.ids)
    return ACTION.run(ctx, {"text": text, "mode": mode})


def test_a_note_goes_to_the_other_side_for_the_worker_to_translate():
    s = store()
    result = route(s, CLEANER, "Hay una fuga debajo del fregadero")
    msg = to(result, CLIENT)[0]
    assert msg.text == "Rosa: Hay una fuga debajo del fregadero\n(ORIGINAL: as written)"
    assert msg.extra["translate"] == {"source": "es", "target": "en", "body": "Hay una fuga debajo del fregadero",
                                      "at": len("Rosa: ")}  # where the note stands, for the worker
    assert result.data["reply"] == "Enviado ✓"


def test_a_note_the_glossary_knows_is_translated_at_once():
    result = route(store(), CLEANER, "La llave está debajo del tapete")
    msg = to(result, CLIENT)[0]
    assert msg.text == "Rosa: The key is under the mat\n(ORIGINAL: as written)" and not msg.extra


def test_original_shows_the_note_as_written():
    s = store()
    route(s, CLEANER, "La llave está debajo del tapete")
    assert route(s, CLIENT, "ORIGINAL").data["reply"] == "Rosa wrote: La llave está debajo del tapete"


def test_same_language_notes_have_no_original_hint():
    s = store()
    s.upsert_contact(CLEANER, lang="en")
    assert to(route(s, CLEANER, "Running late, sorry"), CLIENT)[0].text == "Rosa: Running late, sorry"


def test_a_note_that_starts_with_a_command_word_stays_a_note():
    s = store()
    s.upsert_contact(CLEANER, lang="en")
    result = route(s, CLEANER, "Here is the thing: the dog got out")
    assert to(result, CLIENT)[0].text.startswith("Rosa: Here is the thing")
    result = route(s, CLIENT, "Pay attention to the cat")
    assert to(result, CLEANER)[0].text.startswith("Ana: Pay attention")


def test_command_words_in_the_conversation_run_the_command():
    s = store()
    result = route(s, CLEANER, "listo 2")
    assert to(result, CLIENT)[0].text == "Rosa:\n✓ mop the floor"
    result = route(s, CLEANER, "NO PUEDO ENTRAR")
    assert to(result, CLIENT)[0].text.startswith("ALERT: Rosa can't get in!")


def test_while_listing_the_clients_texts_are_tasks():
    s = store(tasks=())
    result = route(s, CLIENT, "sweep\nclean the oven", mode="tasks")
    assert result.data["reply"].startswith("Added:\n1. sweep\n2. clean the oven")
    assert route(s, CLIENT, "SEND", mode="tasks").result == "sent"


def test_a_note_before_the_cleaner_accepts_is_held_back():
    s = store()
    s.put_record("cleaning.job", JOB, {**s.get_record("cleaning.job", JOB), "status": "pending"})
    result = route(s, CLIENT, "hello?")
    assert result.data["reply"] == "Rosa hasn't accepted the job yet." and to(result, CLEANER) == []


def test_someone_without_a_job_is_told():
    s = store()
    s.upsert_contact(CLIENT, cleaning_job=None)
    assert route(s, CLIENT, "hello").result == "no_job"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_answered_and_never_shows_a_number(text):
    s = store()
    result = route(s, CLEANER, text)
    assert result.result in ACTION.results
    for e in result.effects:
        if isinstance(e, Send) and e.to == CLIENT:
            assert CLEANER not in e.text


def test_done_with_a_typo_in_the_numbers_is_still_done_not_a_note():
    s = store()
    result = route(s, CLEANER, "LISTO 1 3 99 abc")
    assert to(result, CLIENT)[0].text == "Rosa:\n✓ change the sheets\n✓ water the garden"
    assert s.find_records("cleaning.note") == []
    s.upsert_contact(CLEANER, lang="en")
    result = route(s, CLEANER, "Done 2 hours ago I left the keys")
    assert to(result, CLIENT)[0].text == "Rosa: Done 2 hours ago I left the keys"
