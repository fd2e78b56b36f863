"""The engine's fast paths agree with the full ones (quick readers, the digits
shortcut in normalize, positional templates, one-word command lookups, the
container copy)."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from bot.engine.commands import MAX_WORDS, _TOKEN, match_command
from bot.engine.inputs import ParseContext
from bot.engine.inputs.normalize import normalize, _norm
from bot.engine.inputs.registry import KINDS
from bot.engine.locales import Template
from bot.engine.model import copy_containers

VOCAB = {("en", "input.numbers"): ["zero", "one", "two|a couple", "three"],
         ("es", "input.numbers"): ["cero", "uno|una", "dos", "tres"]}


def vocab(lang, key):
    return VOCAB.get((lang, f"input.{key}") if not key.startswith("input.") else (lang, key), [])


CTX = ParseContext("en", ("en", "es"), datetime(2026, 1, 1, tzinfo=timezone.utc), "US", vocab)
texts = st.one_of(st.text(max_size=12), st.from_regex(r"\s*[0-9]{1,12}\s*", fullmatch=True),
                  st.from_regex(r"[\s\u00a0\u2000\u3000\x1c]*[0-9\u0660\uff13]{1,4}[\s\u00a0.!]*", fullmatch=True))

@settings(max_examples=400)
@given(texts)
def test_normalize_fast_path(t):
    assert normalize(t) == _norm(t, True)

@settings(max_examples=400)
@given(texts, st.one_of(st.none(), st.integers(-5, 20)), st.one_of(st.none(), st.integers(-5, 20)))
def test_number_quick_agrees(t, lo, hi):
    spec = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
    kind = KINDS["number"]
    got = kind.quick_reader(spec)(t)
    if got is not None:
        assert got == kind.parse(t, spec, CTX)

@settings(max_examples=400)
@given(texts, st.integers(0, 5))
def test_choice_quick_agrees(t, n):
    spec = {"choices": [{"value": f"v{i}", "labels": {"en": f"Label {i}"}, "words": {}} for i in range(n)]}
    kind = KINDS["choice"]
    got = kind.quick_reader(spec)(t)
    if got is not None:
        assert got == kind.parse(t, spec, CTX)

def old_render(tpl, lookup):
    return "".join(lookup(text) if is_name else text for is_name, text in tpl.parts)

@settings(max_examples=400)
@given(st.text(alphabet="{}ab._ x1", max_size=30))
def test_template_fill_matches_parts(src):
    tpl = Template(src)
    def lookup(n):
        return f"<{n}>"

    assert tpl.render(lookup) == (old_render(tpl, lookup) if tpl.names else src)


# ---------------------------------------------------------------- commands
def reference(table, text, roles):
    tokens = list(_TOKEN.finditer(text))[:MAX_WORDS + 1]
    for n in range(min(MAX_WORDS, len(tokens)), 0, -1):
        entries = table.get(normalize(text[:tokens[n - 1].end()]))
        if not entries:
            continue
        for flow, cmd in entries:
            if flow.allows(roles):
                return flow, cmd, text[tokens[n - 1].end():].strip()
    return None

class F:
    """A flow as match_command sees it: a name and the roles it allows."""

    def __init__(self, name, roles):
        self.name, self.roles = name, roles

    def allows(self, roles):
        return "any" in self.roles or any(r in self.roles for r in roles)


TABLE = {"late": [(F("a", ("parent",)), "c1"), (F("b", ("any",)), "c2")], "no entry": [(F("c", ("any",)), "c3")],
         "3": [(F("d", ("helper",)), "c4")], "llego": [(F("e", ("any",)), "c5")]}
words = st.sampled_from(["LATE", "late!", "¡Late", "no", "ENTRY", "3", " ", "\u00a0", "\t", "llegó", "x", "\n", "¿"])
@settings(max_examples=500)
@given(st.lists(words, max_size=6).map("".join), st.sampled_from([(), ("parent",), ("helper",)]))
def test_command_lookup_matches_the_reference(text, roles):
    assert match_command(TABLE, text, roles) == reference(TABLE, text, roles)


# JSON-like values as sessions and contact records hold them, datetimes included
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
              st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5))]))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)),
    max_leaves=20)


def containers(value):
    """Every dict and list inside ``value`` (by identity)."""
    if isinstance(value, dict):
        return [value] + [c for v in value.values() for c in containers(v)]
    if isinstance(value, list):
        return [value] + [c for v in value for c in containers(v)]
    return []


@settings(max_examples=300)
@given(json_values)
def test_copy_containers_copies_every_container_and_nothing_else(value):
    copied = copy_containers(value)
    assert copied == value and type(copied) is type(value)
    theirs = {id(c) for c in containers(value)}
    assert not any(id(c) in theirs for c in containers(copied))  # no dict or list is shared
    if not containers(value):
        assert copied is value  # scalars are shared, not rebuilt
