"""A cleaning job end to end on the durable stores: the pipeline takes the
texts, the outbox worker translates notes with the real deep-translator
LibreTranslator against a local fake LibreTranslate, falls back to the
untranslated text with a note, and sends the translation when it comes back."""
from __future__ import annotations

import itertools
import threading
import time
from http.server import ThreadingHTTPServer

import pytest

from bot.config import Config
from bot.pipeline import Inbound
from bot.runtime import build
from fake_libretranslate import FakeLibreTranslate
from support import CaptureSender as Capture
from stores import DURABLE

CLIENT, CLEANER = "+14155550101", "+14155550202"
_ids = itertools.count(1)




def text(rt, who, body):
    rt.pipeline.inbound(Inbound("sms", f"in{next(_ids)}", who, body))
    rt.pipeline.tick()
    while rt.outbox.run_once():
        pass


def line(tmp_path, make_store, **extra):
    cap = Capture()
    cfg = Config(db_path=str(tmp_path / "v.db"), extra={"TRANSLATOR_RETRY_SECONDS": "0.2", **extra})
    rt = build(cfg, store=make_store(tmp_path), senders={"sms": cap}, start_jobs=False)
    rt.store.upsert_contact(CLIENT, roles=["client"], lang="en", name="Ana")
    rt.store.upsert_contact(CLEANER, lang="es", name="Rosa")
    text(rt, CLIENT, "JOB")
    text(rt, CLIENT, "415 555 0202")
    text(rt, CLIENT, "change the sheets, water the garden")
    text(rt, CLIENT, "SEND")
    code = rt.store.find_records("cleaning.job", client=CLIENT)[0]["code"]
    text(rt, CLEANER, f"ACEPTO {code}")
    return rt, cap


def to(cap, who):
    return [m["text"] for m in cap.sent if m["to"] == who]


@pytest.mark.parametrize("make_store", DURABLE)
def test_notes_and_the_list_are_translated_by_the_worker(tmp_path, make_store):
    with FakeLibreTranslate({("en", "es", "water the garden"): "regar el jardín",
                             ("es", "en", "Hay una fuga debajo del fregadero"): "There is a leak under the sink"}) as fake:
        rt, cap = line(tmp_path, make_store, TRANSLATOR="libre", LIBRETRANSLATE_URL=fake.url)
        listing = [t for t in to(cap, CLEANER) if t.startswith("Tareas:")][0]
        assert "1. cambiar las sábanas" in listing and "2. regar el jardín" in listing
        text(rt, CLEANER, "Hay una fuga debajo del fregadero")
        assert to(cap, CLIENT)[-1] == "Rosa: There is a leak under the sink\n(ORIGINAL: as written)"
        assert to(cap, CLEANER)[-1] == "Enviado ✓"
        text(rt, CLIENT, "ORIGINAL")
        assert to(cap, CLIENT)[-1] == "Rosa wrote: Hay una fuga debajo del fregadero"
        calls = len(fake.calls)
        text(rt, CLEANER, "LISTA")  # "water the garden" is cached now: no call
        assert len(fake.calls) == calls and "2. regar el jardín" in to(cap, CLEANER)[-1]


@pytest.mark.parametrize("make_store", DURABLE)
def test_a_provider_that_fails_then_recovers(tmp_path, make_store):
    with FakeLibreTranslate({("es", "en", "Hay una fuga debajo del fregadero"): "There is a leak under the sink"}) as fake:
        rt, cap = line(tmp_path, make_store, TRANSLATOR="libre", LIBRETRANSLATE_URL=fake.url)
        fake.mode = "error"
        text(rt, CLEANER, "Hay una fuga debajo del fregadero")
        assert to(cap, CLIENT)[-1] == ("Rosa: Hay una fuga debajo del fregadero\n(ORIGINAL: as written)\n"
                                       "(Not translated yet: a translation follows.)")
        fake.mode = "ok"
        deadline = time.monotonic() + 10
        while not to(cap, CLIENT)[-1].startswith("Translated:") and time.monotonic() < deadline:
            time.sleep(0.25)
            rt.outbox.run_once()
        assert to(cap, CLIENT)[-1] == "Translated: Rosa: There is a leak under the sink\n(ORIGINAL: as written)"


@pytest.mark.parametrize("make_store", DURABLE)
def test_with_no_translator_notes_go_as_written(tmp_path, make_store):
    rt, cap = line(tmp_path, make_store)
    text(rt, CLEANER, "Hay una fuga debajo del fregadero")
    assert to(cap, CLIENT)[-1].endswith("Hay una fuga debajo del fregadero\n(ORIGINAL: as written)\n"
                                        "(As written: no translation.)")
    assert rt.store.find_records("translate.pending") == []


@pytest.mark.parametrize("make_store", DURABLE)
def test_a_translator_that_is_down_then_comes_back_english_to_spanish(tmp_path, make_store):
    # The "translator failing" conversation, end to end through the
    # pipeline and the outbox worker (a transcript runs without the worker's
    # translation step, so it cannot show this). Nothing listens at the
    # provider's address at first (connection refused); later a server does.
    fake = FakeLibreTranslate({("en", "es", "Please water the orchids"): "Por favor riegue las orquídeas"})
    fake.server.server_close()  # never served: the address refuses connections
    port = fake.server.server_address[1]
    rt, cap = line(tmp_path, make_store, TRANSLATOR="libre", LIBRETRANSLATE_URL=fake.url)
    text(rt, CLIENT, "Please water the orchids")
    assert to(cap, CLEANER)[-1] == ("Ana: Please water the orchids\n(ORIGINAL: como lo escribió)\n"
                                    "(Aún sin traducir: la traducción llegará después.)")
    assert to(cap, CLIENT)[-1] == "Sent ✓"
    text(rt, CLEANER, "ORIGINAL")  # nothing is stuck behind the failed translation
    assert to(cap, CLEANER)[-1] == "Ana escribió: Please water the orchids"
    server = ThreadingHTTPServer(("127.0.0.1", port), fake.server.RequestHandlerClass)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        want = "Traducción: Ana: Por favor riegue las orquídeas\n(ORIGINAL: como lo escribió)"
        deadline = time.monotonic() + 10
        while want not in to(cap, CLEANER) and time.monotonic() < deadline:
            time.sleep(0.25)
            rt.outbox.run_once()
        assert want in to(cap, CLEANER)
        assert to(cap, CLEANER).count(want) == 1
    finally:
        server.shutdown()
        server.server_close()
