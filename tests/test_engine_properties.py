"""Any text, at any point of any flow, never raises (hypothesis)."""
import json
from datetime import timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.model import STATUSES, WAITING_INPUT, Session
from support import NOW, PARENT, conductor

NASTY = st.sampled_from([
    "", " ", "\x00", "\x00STOP", "\u202eolleh", "مرحبا", "🙂🙂🙂", "1" * 10_000, "a" * 10_000, "\r\n\t",
    "STOP\x00", "1\u200b", "ＳＴＯＰ", "ß", "İ", "\ud7ff", "ES\u0301PAN\u0303OL", "¿¡", "{name}", "{contact.name}",
    "%s%s", "\\", "1 2 3", "-1", "0", "99999999999999999999", "3:30", "+1 (415) 555-2671",
])
TEXT = st.one_of(st.text(max_size=300), NASTY, st.text(alphabet=st.characters(codec="utf-8"), max_size=50))
LANG = st.sampled_from([None, "en", "es"])
ROLES = st.lists(st.sampled_from(["parent", "helper", "teacher", "cleaner", "client", "peer", "coordinator"]),
                 max_size=3, unique=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lang=LANG, roles=ROLES, messages=st.lists(st.tuples(TEXT, st.integers(0, 30 * 60 * 60)), max_size=8))
def test_any_texts_never_raise(lang, roles, messages):
    c = conductor()
    c.store.upsert_contact(PARENT, lang=lang, roles=roles)
    now = NOW
    typed = ""  # what was typed so far: a child named "{" is asked about later
    for text, gap in messages:
        typed += text
        now = now + timedelta(seconds=gap)
        out = c.message(PARENT, text, now)
        c.fire_timers(now)
        session = c.store.get_session(PARENT)
        assert session.status in STATUSES
        for msg in out.sent:
            assert isinstance(msg["text"], str)
            assert "{" not in msg["text"] or "{" in typed  # never an unfilled placeholder of ours
            assert not msg["text"].startswith(("main.", "common.", "input.", "keywords."))  # never a raw key


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_any_first_text_gets_an_answer(text):
    c = conductor()
    out = c.message(PARENT, text, NOW)
    contact = c.store.get_contact(PARENT)
    assert contact["lang"] in ("en", "es")
    if contact["opted_out"]:
        assert [m["key"] for m in out.sent] == ["keywords.stop_reply"]
    else:
        assert out.sent, "a first text always gets a reply"


VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.decimals(allow_nan=False, allow_infinity=False, places=2),
              st.datetimes(timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-5))]))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(vars_=st.dictionaries(st.text(max_size=10), VALUE, max_size=6), when=st.datetimes(timezones=st.just(timezone.utc)))
def test_a_session_as_json_is_the_same_session_as_its_dict(vars_, when):
    s = Session(PARENT, "main", "menu", WAITING_INPUT, vars_, 1, "t1", when, when, None, 2)
    assert Session.from_json(s.to_json()) == Session.from_dict(json.loads(json.dumps(s.to_dict()))) == s
