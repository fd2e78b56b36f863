"""Translation: the real deep-translator LibreTranslator against a local fake
LibreTranslate (tests/fake_libretranslate.py); glossary, cache, timeout and
failure paths; the outbox worker's hook, its note and its later follow-up."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from bot.config import Config
from bot.runtime import build
from bot.translate import CachedTranslation, Glossary, TranslationError, load_glossary, make_translator
from bot.translate.outbox_hook import PENDING_KIND, replace_parts
from bot.translate.service import CACHE_KIND, cache_id
from fake_libretranslate import FakeLibreTranslate, closed_port_url
from support import CaptureSender as Capture
from stores import DURABLE

A = "+14155550101"


def libre(url, **more):
    return make_translator({"TRANSLATOR": "libre", "LIBRETRANSLATE_URL": url, **more})


@pytest.fixture
def fake():
    with FakeLibreTranslate({("es", "en", "Hay una fuga debajo del fregadero"): "There is a leak under the sink"}) as f:
        yield f


# ------------------------------------------------------------ the provider
def test_libre_translates_through_deep_translator(fake):
    tr = libre(fake.url, LIBRETRANSLATE_API_KEY="k123")
    assert tr.translate("Hay una fuga debajo del fregadero", "es", "en") == "There is a leak under the sink"
    call = fake.calls[-1]
    assert call["path"] == "/translate" and (call["source"], call["target"], call["api_key"]) == ("es", "en", "k123")


def test_libre_url_without_slash_and_without_key_still_works(fake):
    assert libre(fake.url.rstrip("/")).translate("hola", "es", "en") == "[en] hola"


def test_same_language_needs_no_call(fake):
    assert libre(fake.url).translate("hola", "es", "es") == "hola" and fake.calls == []


@pytest.mark.parametrize("mode", ["error", "garbage", "empty"])
def test_provider_failures_become_translation_errors(fake, mode):
    fake.mode = mode
    with pytest.raises(TranslationError):
        libre(fake.url).translate("hola", "es", "en")


def test_connection_refused_is_a_translation_error():
    with pytest.raises(TranslationError):
        libre(closed_port_url()).translate("hola", "es", "en")


def test_a_slow_provider_times_out(fake):
    fake.mode, fake.delay = "slow", 3.0
    tr = libre(fake.url, TRANSLATOR_TIMEOUT="0.3")
    started = time.monotonic()
    with pytest.raises(TranslationError, match="no answer within"):
        tr.translate("hola", "es", "en")
    assert time.monotonic() - started < 2.0


def test_unknown_language_is_a_translation_error(fake):
    with pytest.raises(TranslationError):
        libre(fake.url).translate("hola", "es", "xx")


@pytest.mark.parametrize("settings", [{}, {"TRANSLATOR": "none"}, {"TRANSLATOR": "klingon"},
                                      {"TRANSLATOR": "libre"}])
def test_no_or_bad_settings_mean_no_translator(settings):
    tr = make_translator(settings)
    assert tr.name == "none"
    with pytest.raises(TranslationError):
        tr.translate("hola", "es", "en")


def test_google_and_mymemory_are_offered():
    assert make_translator({"TRANSLATOR": "google"}).name == "google"
    assert make_translator({"TRANSLATOR": "MyMemory"}).name == "mymemory"


# ------------------------------------------------------------ glossary and cache
def test_glossary_whole_text_needs_no_provider(fake):
    from bot.store.memory import MemoryStore

    tr = CachedTranslation(MemoryStore(), libre(fake.url))
    assert tr.translate("Change the sheets.", "en", "es") == "Cambiar las sábanas"
    assert tr.translate("cambiar las sabanas", "es", "en") == "change the sheets"
    assert tr.translate("mop the floor, change the sheets", "en", "es") == "trapear el piso, cambiar las sábanas"
    assert fake.calls == []


def test_glossary_does_not_swap_words_inside_sentences(fake):
    from bot.store.memory import MemoryStore

    tr = CachedTranslation(MemoryStore(), libre(fake.url))
    assert tr.translate("please mop the floor twice", "en", "es") == "[es] please mop the floor twice"
    assert len(fake.calls) == 1


def test_glossary_takes_more_languages_without_code():
    g = Glossary.from_data({"entries": [{"en": "change the sheets", "es": "cambiar las sábanas",
                                         "fr": ["changer les draps"]}, {"en": "x"}, "junk"]})
    assert g.translate("Changer les draps", "fr", "es") == "Cambiar las sábanas"
    assert g.translate("change the sheets", "en", "pt") is None
    assert len(g.entries) == 1


def test_the_shipped_glossary_loads():
    g = load_glossary()
    assert g.translate("clean the oven", "en", "es") == "limpiar el horno"


@pytest.mark.parametrize("make_store", DURABLE)
def test_each_text_goes_to_the_provider_once(fake, tmp_path, make_store):
    store = make_store(tmp_path)
    tr = CachedTranslation(store, libre(fake.url))
    first = tr.translate("Hay una fuga debajo del fregadero", "es", "en")
    again = CachedTranslation(store, libre(fake.url)).translate("Hay una fuga debajo del fregadero", "es", "en")
    assert first == again == "There is a leak under the sink" and len(fake.calls) == 1
    rec = store.get_record(CACHE_KIND, cache_id("es", "en", "Hay una fuga debajo del fregadero"))
    assert rec["result"] == first and rec["provider"] == "libre"


def test_failures_are_not_cached(fake):
    from bot.store.memory import MemoryStore

    store = MemoryStore()
    tr = CachedTranslation(store, libre(fake.url))
    fake.mode = "error"
    with pytest.raises(TranslationError):
        tr.translate("hola amiga", "es", "en")
    fake.mode = "ok"
    assert tr.translate("hola amiga", "es", "en") == "[en] hola amiga"


# ------------------------------------------------------------ the outbox hook
def runtime(tmp_path, store, **extra):
    cap = Capture()
    cfg = Config(db_path=str(tmp_path / "v.db"), extra={"TRANSLATOR_RETRY_SECONDS": "0.2", **extra})
    rt = build(cfg, store=store, senders={"sms": cap}, start_jobs=False)
    return rt, cap


def queue(rt, msg_id, text, body, lang="en", source="es"):
    rt.store.add_outbound({"id": msg_id, "to": A, "text": text, "key": "cleaning.note", "choices": [], "lang": lang,
                           "channel": "sms", "status": "queued", "created_at": datetime.now(timezone.utc),
                           "translate": {"source": source, "target": lang, "body": body}})


@pytest.mark.parametrize("make_store", DURABLE)
def test_the_worker_translates_the_body_inside_the_text(fake, tmp_path, make_store):
    rt, cap = runtime(tmp_path, make_store(tmp_path), TRANSLATOR="libre", LIBRETRANSLATE_URL=fake.url)
    queue(rt, "m1", "Rosa: Hay una fuga debajo del fregadero\n(ORIGINAL: as written)",
          "Hay una fuga debajo del fregadero")
    rt.outbox.run_once()
    assert cap.sent[0]["text"] == "Rosa: There is a leak under the sink\n(ORIGINAL: as written)"
    row = rt.store.list_outbound(to=A)[0]
    assert row["status"] == "sent" and row["translation"] == "done"
    assert row["text"].startswith("Rosa: Hay una fuga")  # the row keeps what was written


@pytest.mark.parametrize("make_store", DURABLE)
@pytest.mark.parametrize("failure", ["error", "garbage", "refused", "slow"])
def test_a_failing_provider_sends_untranslated_with_a_note_then_a_follow_up(fake, tmp_path, make_store, failure):
    url = closed_port_url() if failure == "refused" else fake.url
    rt, cap = runtime(tmp_path, make_store(tmp_path), TRANSLATOR="libre", LIBRETRANSLATE_URL=url,
                      TRANSLATOR_TIMEOUT="0.3")
    fake.mode, fake.delay = failure if failure != "refused" else "ok", 2.0
    queue(rt, "m1", "Rosa: Hay una fuga debajo del fregadero", "Hay una fuga debajo del fregadero")
    rt.outbox.run_once()
    assert cap.sent[0]["text"] == "Rosa: Hay una fuga debajo del fregadero\n(Not translated yet: a translation follows.)"
    assert rt.store.get_record(PENDING_KIND, "m1")["status"] == "waiting"
    rt.outbox.run_once()  # still failing, or not yet due: nothing more goes
    assert len(cap.sent) == 1
    fake.mode = "ok"  # the provider comes back
    if failure == "refused":
        rt.outbox.prepare.translation.provider = libre(fake.url)
    deadline = time.monotonic() + 10
    while len(cap.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        rt.outbox.run_once()
    assert cap.sent[1]["text"] == "Translated: Rosa: There is a leak under the sink"
    assert rt.store.get_record(PENDING_KIND, "m1")["status"] == "sent"
    for _ in range(3):
        time.sleep(0.25)
        rt.outbox.run_once()
    assert len(cap.sent) == 2  # once only


def test_no_translator_sends_as_written_with_a_note_and_keeps_nothing(tmp_path):
    from bot.store.memory import MemoryStore

    rt, cap = runtime(tmp_path, MemoryStore())
    queue(rt, "m1", "Rosa: ¿Dónde está la escoba?", "¿Dónde está la escoba?")
    rt.outbox.run_once()
    assert cap.sent[0]["text"] == "Rosa: ¿Dónde está la escoba?\n(As written: no translation.)"
    assert rt.store.get_record(PENDING_KIND, "m1") is None


def test_a_glossary_body_is_translated_with_no_provider(tmp_path):
    from bot.store.memory import MemoryStore

    rt, cap = runtime(tmp_path, MemoryStore())
    queue(rt, "m1", "Rosa: gracias", "gracias")
    rt.outbox.run_once()
    assert cap.sent[0]["text"] == "Rosa: thank you"


def test_a_note_in_the_readers_language_spanish(fake, tmp_path):
    from bot.store.memory import MemoryStore

    rt, cap = runtime(tmp_path, MemoryStore(), TRANSLATOR="libre", LIBRETRANSLATE_URL=fake.url)
    fake.mode = "error"
    queue(rt, "m1", "Ana: the dog stays inside", "the dog stays inside", lang="es", source="en")
    rt.outbox.run_once()
    assert cap.sent[0]["text"].endswith("(Aún sin traducir: la traducción llegará después.)")


def test_messages_without_translate_are_untouched(tmp_path):
    from bot.store.memory import MemoryStore

    rt, cap = runtime(tmp_path, MemoryStore())
    rt.store.add_outbound({"id": "m1", "to": A, "text": "hi", "key": None, "choices": [], "lang": "en",
                           "channel": "sms", "status": "queued", "created_at": datetime.now(timezone.utc)})
    rt.outbox.run_once()
    assert cap.sent[0]["text"] == "hi" and "translation" not in rt.store.list_outbound(to=A)[0]


def test_several_bodies_are_each_translated(fake, tmp_path):
    from bot.store.memory import MemoryStore

    rt, cap = runtime(tmp_path, MemoryStore(), TRANSLATOR="libre", LIBRETRANSLATE_URL=fake.url)
    rt.store.add_outbound({"id": "m1", "to": A, "text": "1. barrer\n2. lavar el perro", "key": None, "choices": [],
                           "lang": "en", "channel": "sms", "status": "queued",
                           "created_at": datetime.now(timezone.utc),
                           "translate": {"source": "es", "target": "en", "bodies": ["barrer", "lavar el perro"]}})
    rt.outbox.run_once()
    assert cap.sent[0]["text"] == "1. sweep the floor\n2. [en] lavar el perro" and len(fake.calls) == 1


# ------------------------------------------------------------ properties
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["en", "es", "fr", ""]), st.sampled_from(["en", "es", "fr", ""]))
def test_glossary_never_raises(text, source, target):
    out = load_glossary().translate(text, source, target)
    assert out is None or isinstance(out, str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=8), max_size=4), st.text(max_size=40))
def test_replace_parts_keeps_text_without_the_parts(parts, text):
    pairs = [(p, p) for p in parts]
    assert replace_parts(text, pairs) == text


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=15), inner, max_size=3),
                     max_leaves=6)


@settings(max_examples=40, deadline=None)
@given(st.one_of(_JSON.map(lambda v: __import__("json").dumps(v).encode()),
                 st.fixed_dictionaries({"translatedText": _JSON}).map(lambda v: __import__("json").dumps(v).encode()),
                 st.binary(max_size=40)))
def test_any_provider_answer_is_a_string_or_a_translation_error(raw):
    with FakeLibreTranslate() as fake:
        fake.mode, fake.raw = "raw", raw
        try:
            out = libre(fake.url).translate("hola", "es", "en")
        except TranslationError:
            return
        assert isinstance(out, str) and out.strip()


def test_a_short_note_is_replaced_where_it_stands_not_inside_the_words_around_it():
    from support import engine

    from bot.translate import body_at

    catalog = engine().catalog
    values = {"name": "Rosa", "note": "a"}
    text = catalog.text("en", "cleaning.note", values)
    at = body_at(catalog, "en", "cleaning.note", values, "note")
    assert replace_parts(text, [("a", "[en] a")], at) == text[:at] + "[en] a"
    values = {"name": "Rosa", "note": "Rosa"}  # a note that is the sender's own name
    text = catalog.text("en", "cleaning.note", values)
    at = body_at(catalog, "en", "cleaning.note", values, "note")
    assert replace_parts(text, [("Rosa", "ROSA")], at) == text[:at] + "ROSA"
    assert text.startswith("Rosa")
