"""Peer support's text checks, as properties: identifiers never survive
scrubbing (nor reach a volunteer), crisis phrases are found through case,
accents, typos and spacing, and moderation refuses contact and abuse in
both languages while letting kind replies through."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.peer_moderate import check_reply
from bot.services.peer_scrub import scrub
from bot.engine.phrases import PhraseList, phrase_list, tokens
from support import flowset
from test_peer_kit import PEER1, PEER2, Line, sends

CATALOG = flowset().catalog
FILLER = ["today", "work", "tired", "family", "boss", "money", "rent", "sleep", "again", "feel", "alone", "and",
          "the", "my", "hoy", "trabajo", "cansado", "familia", "dinero", "dormir", "solo", "mucho", "y", "el"]
text_around = st.lists(st.sampled_from(FILLER), min_size=0, max_size=8).map(" ".join)
digit = st.sampled_from("0123456789")
area = st.tuples(st.sampled_from("23456789"), digit, digit).map("".join)
line_no = st.tuples(st.sampled_from("23456789"), digit, digit, digit, digit, digit, digit).map("".join)


@st.composite
def phone(draw):
    a, n = draw(area), draw(line_no)
    fmt = draw(st.sampled_from(["({a}) {p}-{s}", "{a}-{p}-{s}", "{a}.{p}.{s}", "{a}{p}{s}", "+1 {a} {p} {s}",
                                "1-{a}-{p}-{s}", "{a} {p} {s}", "+52 55 {p} {s}", "+34 6{p2} {s}"]))
    return fmt.format(a=a, p=n[:3], s=n[3:], p2=n[:2])


name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)
tld = st.sampled_from(["com", "net", "org", "mx", "es", "io", "co"])
email = st.builds(lambda u, d, t, sep: f"{u}{sep}{d}@{d}mail.{t}", name, name, tld, st.sampled_from(["", ".", "_"]))
url = st.builds(lambda d, t, p, form: form.format(d=d, t=t, p=p), name, tld, name,
                st.sampled_from(["https://{d}.{t}/{p}", "http://www.{d}.{t}", "www.{d}.{t}/{p}", "{d}.{t}/{p}"]))
handle = st.builds(lambda n: f"@{n}", name)
identifier = st.one_of(phone(), email, url, handle)


def digits_left(text):
    return max((len(re.sub(r"\D", "", m)) for m in re.findall(r"[\d][\d\s().\-+]*", text)), default=0)


@given(before=text_around, ident=identifier, after=text_around)
@settings(max_examples=300, deadline=None)
def test_identifiers_never_survive_scrubbing(before, ident, after):
    text = f"{before} {ident} {after}".strip()
    clean, kinds = scrub(text, "[removed]")
    assert ident not in clean and kinds
    assert digits_left(clean) < 7
    for word in (before + " " + after).split():  # ordinary words stay
        assert word in clean


@given(before=text_around, ident=identifier, after=text_around)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_seeded_identifiers_in_posts_never_reach_a_peer(before, ident, after):
    line = Line({"PEER_POSTS_PER_DAY": "99"})
    line.volunteers(PEER1, PEER2)
    result = line.post(f"{before} {ident} {after}".strip() or ident)
    for s in sends(result):
        assert ident not in s.text and digits_left(s.text.split("\n")[1]) < 7


CRISIS = [p for lang in CATALOG.langs for p in CATALOG.words(lang, "peer.crisis_phrases")]
ACCENTS = str.maketrans("aeiou", "áéíóú")


@st.composite
def mangled(draw, phrases=tuple(CRISIS)):
    """A crisis phrase as someone in a hurry types it: random case, an accent,
    a doubled letter or two letters swapped in its longest word."""
    phrase = draw(st.sampled_from(phrases))
    words = phrase.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[longest]
    how = draw(st.sampled_from(["none", "double", "swap", "accent", "upper", "joined"]))
    if how == "double":
        i = draw(st.integers(0, len(w) - 1))
        w = w[:i + 1] + w[i] + w[i + 1:]
    elif how == "swap" and len(w) >= 5:
        i = draw(st.integers(1, len(w) - 3))
        w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    elif how == "accent":
        w = w.translate(ACCENTS)
    words[longest] = w
    out = ("" if how == "joined" and len(words) > 1 else " ").join(words)
    return out.upper() if how == "upper" else out


@given(before=text_around, phrase=mangled(), after=text_around)
@settings(max_examples=400, deadline=None)
def test_crisis_phrases_are_found_through_typos_case_accents_and_spacing(before, phrase, after):
    assert phrase_list(CATALOG, "peer.crisis_phrases", fuzzy=True).find(f"{before} {phrase}. {after}")


@pytest.mark.parametrize("text", [
    "I had a long day at work and I feel tired", "my kids drive me crazy but I love them",
    "want to dig a garden this spring", "I could kill for a coffee right now", "skill issues at my new job",
    "estoy cansado del trabajo y de mi jefe", "mi madre está enferma y no sé qué hacer",
    "the deadline is killing me", "quiero vivir mejor", "no quiero ir al trabajo mañana",
])
def test_ordinary_worries_are_not_crisis(text):
    assert phrase_list(CATALOG, "peer.crisis_phrases", fuzzy=True).find(text) is None


def test_short_words_must_match_exactly_and_as_whole_words():
    words = PhraseList(["kms", "want to die"], fuzzy=True)
    assert words.find("lol kms") and words.find("I WANT TO DIE") and words.find("wanttodie")
    assert words.find("5 kms away") == "kms"  # a whole word still counts: crisis screening errs on caution
    assert words.find("kmsr") is None and words.find("want to dine") is None and words.find("wanting to diet") is None


def test_tokens_fold_tricks():
    assert tokens("K I L L mys3lf") == ["kill", "myself"]
    assert tokens("f.u.c.k YOU") == ["fuck", "you"]
    assert tokens("Quítarme   la VIDA") == ["quitarme", "la", "vida"]


KIND = [
    "That sounds really hard. You are not stupid for feeling this way.",
    "It must suck to carry that alone. God knows work can be hell sometimes.",
    "I used to get drunk every weekend too; it got better when I talked about it.",
    "Eso suena muy duro. No estás solo, aquí estamos para leerte.",
    "Dormir mal lo hace todo más pesado. Paso a paso, de verdad.",
    "Scunthorpe was a hard place to grow up too, I understand.",
]


@pytest.mark.parametrize("text", KIND)
def test_kind_replies_pass(text):
    assert check_reply(text, CATALOG) is None


@given(before=text_around, phrase=st.sampled_from(
    [p for lang in CATALOG.langs for p in CATALOG.words(lang, "peer.contact_phrases")]), after=text_around)
@settings(max_examples=150, deadline=None)
def test_every_contact_phrase_is_refused_in_any_sentence(before, phrase, after):
    assert check_reply(f"{before} {phrase} {after} and more words to be long enough", CATALOG) == "contact"


@given(before=text_around, phrase=st.sampled_from(
    [p for lang in CATALOG.langs for p in CATALOG.words(lang, "peer.abuse_words")]), after=text_around)
@settings(max_examples=150, deadline=None)
def test_every_abuse_phrase_is_refused_in_any_sentence(before, phrase, after):
    assert check_reply(f"{before} {phrase} {after} and more words to be long enough", CATALOG) == "abuse"


@pytest.mark.parametrize("text", ["you fuckk off with that, seriously", "sh!t happens man, deal with it",
                                  "f u c k this, you are weak", "FUUUCK you and your problems", "pinche llorón, aguanta ya"])
def test_profanity_tricks_are_refused(text):
    assert check_reply(text, CATALOG) == "abuse"


def test_spelled_out_numbers_and_obfuscated_emails_count_as_contact():
    assert check_reply("my number: four one five five five five two six seven one", CATALOG) == "contact"
    assert check_reply("write to joe at gmail dot com anytime you like", CATALOG) == "contact"
