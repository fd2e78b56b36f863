"""Crisis words are screened wherever a person is on the line, not only in
peer support: at the menu, halfway through a childcare request, in a cleaning
job's notes, answering a school alert, on a first-ever text. The person gets
the crisis line, every coordinator an alert, nobody else anything; then the
conversation they were in goes on."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.store.memory import MemoryStore
from support import NOW, conductor
from support import flowset
from test_engine_phrases import mangled, text_around

CATALOG = flowset().catalog
# the line-wide list (flows/crisis.yaml); peer support's wider one screens posts
LINE_CRISIS = tuple(p for lang in CATALOG.langs for p in CATALOG.words(lang, "crisis.phrases"))
PERSON, CLIENT, HELPER, COORD = "+14155552671", "+14155550101", "+14155550301", "+14155550199"

# (what the person texts first, who they are) -> where they stand when the crisis words come
PLACES = {
    "first text ever": ([], {}),
    "the main menu": (["MENU"], {"roles": ["parent"], "lang": "en"}),
    "a childcare request": (["NANNY"], {"roles": ["parent"], "lang": "es"}),
    "their profile": (["PROFILE", "1"], {"lang": "en"}),
    "a cleaning job": (["LLEGUÉ"], {"roles": ["cleaner"], "lang": "es", "cleaning_job": "cj1"}),
}


def line(place):
    store = MemoryStore()
    store.upsert_contact(COORD, roles=["coordinator"], lang="es")
    store.upsert_contact(HELPER, roles=["helper"], vetted=True, lang="en", area="Eastside")
    store.upsert_contact(CLIENT, roles=["client"], lang="en", name="Ana", cleaning_job="cj1")
    store.put_record("cleaning.job", "cj1", {"id": "cj1", "client": CLIENT, "cleaner": PERSON, "status": "active",
                                             "client_lang": "en", "cleaner_lang": "es", "code": "100",
                                             "created_at": NOW.isoformat(), "list_sent": True})
    before, fields = PLACES[place]
    if fields:
        store.upsert_contact(PERSON, name="Rosa", area="Eastside", **fields)
    conv = conductor(store)
    for text in before:
        conv.message(PERSON, text, NOW)
    return conv, store


@given(place=st.sampled_from(sorted(PLACES)), before=text_around, phrase=mangled(LINE_CRISIS), after=text_around)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_crisis_words_anywhere_reach_the_crisis_line_and_coordinators_only(place, before, phrase, after):
    conv, store = line(place)
    session_before = store.get_session(PERSON)
    out = conv.message(PERSON, f"{before} {phrase} {after}".strip(), NOW)
    assert [(m["to"], m["key"]) for m in out.sent] == [(PERSON, "peer.crisis"), (COORD, "crisis.alert")]
    assert "988" in out.sent[0]["text"]
    if session_before is not None and session_before.live:
        # the conversation they were in is where it was
        after_s = store.get_session(PERSON)
        assert (after_s.flow, after_s.state, after_s.status) == \
            (session_before.flow, session_before.state, session_before.status)


def test_after_the_crisis_line_a_cleaning_note_still_reaches_the_client():
    conv, store = line("a cleaning job")
    conv.message(PERSON, "no aguanto mas, me voy a matar", NOW)
    out = conv.message(PERSON, "La llave está debajo del tapete", NOW)
    assert [m["to"] for m in out.sent] == [CLIENT, PERSON]
    assert "La llave" in out.sent[0]["text"] or "key" in out.sent[0]["text"]


def test_peer_support_screens_at_least_what_the_line_screens():
    """Peer flows screen their own texts (the line-wide screen skips them), so
    their list must hold every line-wide phrase: a coordinator who adds one
    to crisis.phrases adds it to peer.crisis_phrases too."""
    for lang in CATALOG.langs:
        wide = {p.lower() for p in CATALOG.words(lang, "peer.crisis_phrases")}
        assert {p.lower() for p in CATALOG.words(lang, "crisis.phrases")} <= wide, lang


def test_ordinary_texts_that_look_close_are_not_screened():
    conv, store = line("a cleaning job")
    for text in ("the plants are dying, I watered them", "I killed the spider in the bathroom",
                 "dinner is to die for", "me mato trabajando pero ya terminé",
                 # about feelings in a peer-support post, but not in a note to a client
                 "I hurt myself lifting the couch, it's fine", "don't overdose the plants with fertilizer",
                 "voy a cortarme el pelo después", "no aguanto más este calor, abro las ventanas",
                 "quiero acabar con todo el planchado hoy", "I can't go on the balcony, it's locked"):
        out = conv.message(PERSON, text, NOW)
        assert [m["to"] for m in out.sent] == [CLIENT, PERSON], text
