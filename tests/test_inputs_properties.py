"""Property tests for the input kinds: any text is safe, and values round-trip."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from bot.engine.inputs import Parsed
from bot.engine.inputs.normalize import clean_text, normalize
from bot.engine.inputs.registry import KINDS
from inputs_support import make_ctx, vocab

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies

ZONES = [timezone.utc, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30)),
         ZoneInfo("America/Los_Angeles"), ZoneInfo("America/Mexico_City"), ZoneInfo("Europe/Madrid")]


@st.composite
def nows(draw) -> datetime:
    naive = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)))
    return naive.replace(tzinfo=draw(st.sampled_from(ZONES)))


WORDY = sorted({w for lang in ("en", "es") for key in (
    "yes", "no", "numbers", "time_pm", "time_am", "time_at", "time_in", "minutes", "hours", "time_half",
    "time_now", "time_tomorrow", "time_plus_half", "time_quarter_to", "currency", "thousand", "cents")
    for w in vocab(lang, key)} | {"3:30", "15:30", "3.30", "80,50", "1.200", "$", "-", "+1", "415", "555",
                                  "2671", "25:00", "0", "12", "y", "a", ":", ".", ",", "¿", "!", "\x00", "\u200f"})

any_text = st.one_of(
    st.text(),  # every code point but surrogates, NUL and controls included
    st.text(alphabet=st.characters(max_codepoint=0x7F)),
    st.lists(st.sampled_from(WORDY), max_size=8).map(" ".join),
    st.lists(st.one_of(st.sampled_from(WORDY), st.text(max_size=3)), max_size=8).map("".join),
    st.text(max_size=20).map(lambda s: s * 600),  # up to ~12,000 characters
)

specs = st.fixed_dictionaries({}, optional={
    "min": st.one_of(st.integers(-5, 50), st.none(), st.text(max_size=3)),
    "max": st.one_of(st.integers(-5, 600), st.none(), st.text(max_size=3)),
    "max_ahead_hours": st.one_of(st.integers(-1, 48), st.floats(allow_nan=True), st.text(max_size=2)),
    "region": st.sampled_from(["US", "MX", "ES", "", "ZZ", "xx"]),
    "choices": st.lists(st.fixed_dictionaries({
        "value": st.text(max_size=5),
        "labels": st.dictionaries(st.sampled_from(["en", "es", "fr"]), st.text(max_size=12), max_size=3),
        "words": st.dictionaries(st.sampled_from(["en", "es"]), st.lists(st.text(max_size=6), max_size=3), max_size=2),
    }), max_size=5),
})


def ctxs(now=None):
    return st.builds(make_ctx, lang=st.sampled_from(["en", "es"]), now=now if now is not None else nows(),
                     region=st.sampled_from(["US", "MX", "ES", "GB"]))


# --------------------------------------------------------------------------- never raises

@SETTINGS
@given(kind=st.sampled_from(sorted(KINDS)), text=any_text, spec=specs, ctx=ctxs())
@example(kind="time", text="\x00" * 10_000, spec={}, ctx=make_ctx())
@example(kind="phone", text="+" + "9" * 300, spec={}, ctx=make_ctx())
@example(kind="money", text="9" * 10_000, spec={}, ctx=make_ctx())
@example(kind="choice", text="مرحبا 🙂 שלום", spec={"choices": [{"value": 1, "labels": {"en": "مرحبا"}}]}, ctx=make_ctx())
def test_any_text_gives_a_parsed(kind, text, spec, ctx):
    got = KINDS[kind].parse(text, spec, ctx)
    assert isinstance(got, Parsed)
    if got.ok:
        assert got.error is None
    else:
        assert got.value is None
        assert isinstance(got.error, str) and got.error.startswith(f"input.{'time' if kind == 'time' else kind}.")


@SETTINGS
@given(text=st.text())
def test_normalize_is_idempotent_and_clean(text):
    n = normalize(text)
    assert normalize(n) == n
    assert n == n.strip()
    assert "  " not in n
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Mn") for c in n)


@SETTINGS
@given(text=st.text())
def test_clean_text_keeps_everything_printable(text):
    c = clean_text(text)
    assert "\x00" not in c and "\r" not in c
    assert all(unicodedata.category(ch) != "Cc" or ch == "\n" for ch in c)
    kept = [ch for ch in text if unicodedata.category(ch) not in ("Cc", "Zl", "Zp") and not ch.isspace()]
    assert [ch for ch in c if not ch.isspace()] == kept


@SETTINGS
@given(text=st.text(max_size=700), lo=st.integers(0, 20), hi=st.integers(20, 600))
def test_text_respects_bounds(text, lo, hi):
    got = KINDS["text"].parse(text, {"min": lo, "max": hi}, make_ctx())
    if got.ok:
        assert lo <= len(got.value) <= hi
        assert got.value == clean_text(text)
    else:
        assert got.error in ("input.text.too_short", "input.text.too_long")


# --------------------------------------------------------------------------- money

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)


@SETTINGS
@given(amount=amounts, style=st.integers(0, 7), ctx=ctxs())
def test_money_round_trip(amount, style, ctx):
    plain = f"{amount:.2f}"
    grouped = f"{amount:,.2f}"
    text = [
        plain,
        plain.replace(".", ","),
        "$" + plain,
        "$ " + plain.replace(".", ","),
        grouped,
        grouped.replace(",", "_").replace(".", ",").replace("_", "."),
        plain + " dollars",
        plain.replace(".", ",") + " pesos",
    ][style]
    got = KINDS["money"].parse(text, {}, ctx)
    assert got.ok, (text, got)
    assert got.value == amount


@SETTINGS
@given(n=st.integers(1, 9_999_999), sep=st.sampled_from([",", "."]), ctx=ctxs())
def test_money_whole_amounts_with_thousands(n, sep, ctx):
    text = f"{n:,}".replace(",", sep)
    assert KINDS["money"].parse(text, {}, ctx).value == Decimal(n)


# --------------------------------------------------------------------------- number

@SETTINGS
@given(n=st.integers(-10**9, 10**9), pad=st.sampled_from(["", " ", "  ", "\t"]), ctx=ctxs())
def test_number_round_trip(n, pad, ctx):
    assert KINDS["number"].parse(f"{pad}{n}{pad}", {}, ctx).value == n


@SETTINGS
@given(n=st.integers(0, 20), lang=st.sampled_from(["en", "es"]), ctx=ctxs())
def test_number_words_round_trip(n, lang, ctx):
    word = vocab(lang, "numbers")[n].split("|")[0]
    assert KINDS["number"].parse(word.upper(), {}, ctx).value == n


# --------------------------------------------------------------------------- time

@SETTINGS
@given(now=nows(), ahead=st.integers(0, 16 * 60), lang=st.sampled_from(["en", "es"]))
def test_time_future_24h_round_trip(now, ahead, lang):
    floor = now.replace(second=0, microsecond=0)
    want = floor + timedelta(minutes=ahead)  # wall-clock minutes in the same zone
    assume(want.date() == now.date() or ahead <= 12 * 60)
    assume(_exists(want))
    # "10:15".."12:59" read the same on a 12-hour clock: the bare-hour rule (next test) owns them
    assume(not 10 <= want.hour <= 12)
    got = KINDS["time"].parse(f"{want:%H:%M}", {}, make_ctx(lang, now))
    assert got.ok, (now, want, got)
    assert got.value == want and (got.value.hour, got.value.minute) == (want.hour, want.minute)
    assert got.value.tzinfo is now.tzinfo and got.value.second == 0 and got.value.microsecond == 0


def _exists(d: datetime) -> bool:
    """False for wall times skipped by a DST change."""
    back = d.astimezone(timezone.utc).astimezone(d.tzinfo)
    return (back.hour, back.minute) == (d.hour, d.minute)


@SETTINGS
@given(now=nows(), hour=st.integers(1, 12), minute=st.integers(0, 59), sep=st.sampled_from([":", "."]),
       lang=st.sampled_from(["en", "es"]))
def test_time_bare_hour_is_the_next_occurrence(now, hour, minute, sep, lang):
    got = KINDS["time"].parse(f"{hour}{sep}{minute:02d}", {"max_ahead_hours": 24}, make_ctx(lang, now))
    if got.ok:
        ahead = got.value.timestamp() - now.replace(second=0, microsecond=0).timestamp()
        assert 0 <= ahead <= 13 * 3600
        assert got.value.hour % 12 == hour % 12 and got.value.minute == minute
    else:
        assert got.error in ("input.time.past", "input.time.hint")


@SETTINGS
@given(now=nows(), minutes=st.integers(1, 16 * 60), lang=st.sampled_from(["en", "es"]), form=st.integers(0, 3))
def test_time_relative_minutes(now, minutes, lang, form):
    text = [f"in {minutes} min", f"en {minutes} minutos", f"{minutes}min", f"in {minutes} minutes"][form]
    got = KINDS["time"].parse(text, {}, make_ctx(lang, now))
    assert got.ok, got
    want = (now.astimezone(timezone.utc) + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    # The same instant: real minutes, even across a DST change. (Compared as
    # timestamps: Python's == across zones is False for an ambiguous wall time.)
    assert got.value.timestamp() == want.timestamp()
    assert got.value.second == 0 and got.value.tzinfo is now.tzinfo


@SETTINGS
@given(now=nows(), text=any_text)
def test_time_is_never_in_the_past_nor_too_far(now, text):
    got = KINDS["time"].parse(text, {}, make_ctx("en", now))
    if got.ok:
        delta = got.value.timestamp() - now.replace(second=0, microsecond=0).timestamp()
        assert 0 <= delta <= 16 * 3600
        assert got.value.tzinfo is now.tzinfo


# --------------------------------------------------------------------------- phone

EXAMPLES = []
for _region in ("US", "CA", "MX", "ES", "GB", "GT", "SV", "HN", "CO", "DE", "FR", "BR", "IN"):
    for _type in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        _n = phonenumbers.example_number_for_type(_region, _type)
        if _n is not None and phonenumbers.is_valid_number(_n):
            EXAMPLES.append((_region, _n))
FORMATS = [phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.RFC3966]


@SETTINGS
@given(pick=st.sampled_from(EXAMPLES), fmt=st.sampled_from(FORMATS), sep=st.sampled_from([" ", "-", ".", ""]),
       lang=st.sampled_from(["en", "es"]))
def test_phone_round_trip(pick, fmt, sep, lang):
    region, number = pick
    text = phonenumbers.format_number(number, fmt)
    if fmt != phonenumbers.PhoneNumberFormat.RFC3966:
        text = text.replace(" ", sep) if fmt != phonenumbers.PhoneNumberFormat.INTERNATIONAL else text
    want = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    got = KINDS["phone"].parse(text, {}, make_ctx(lang, region=region))
    assert got.ok, (region, text, got)
    assert got.value == want
    # international forms do not depend on the line's region
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert KINDS["phone"].parse(intl, {}, make_ctx(lang, region="US")).value == want


# --------------------------------------------------------------------------- yesno / choice

def _decorate(draw, word: str) -> str:
    word = "".join(c.upper() if draw(st.booleans()) else c for c in word)
    if draw(st.booleans()):
        word = unicodedata.normalize("NFD", word)
    return draw(st.sampled_from(["", " ", "¡", "¿", "  "])) + word + draw(st.sampled_from(["", "!", "?", ".", " ", "!!"]))


@SETTINGS
@given(data=st.data(), lang=st.sampled_from(["en", "es"]), answer=st.booleans(), ctx=ctxs())
def test_yesno_words_round_trip(data, lang, answer, ctx):
    word = data.draw(st.sampled_from(vocab(lang, "yes" if answer else "no")))
    text = _decorate(data.draw, word)
    assert KINDS["yesno"].parse(text, {}, ctx).value is answer, text


labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóúñü ", min_size=3, max_size=15).map(str.strip)


@SETTINGS
@given(data=st.data(), names=st.lists(labels, min_size=1, max_size=6, unique_by=normalize), ctx=ctxs())
def test_choice_number_and_label_round_trip(data, names, ctx):
    numbers = {normalize(w) for lang in ("en", "es") for e in vocab(lang, "numbers") for w in e.split("|")}
    assume(all(normalize(n) and normalize(n) not in numbers for n in names))
    spec = {"choices": [{"value": i, "labels": {"en": n, "es": n.upper()}} for i, n in enumerate(names)]}
    i = data.draw(st.integers(0, len(names) - 1))
    assert KINDS["choice"].parse(str(i + 1), spec, ctx).value == i
    assert KINDS["choice"].parse(_decorate(data.draw, names[i]), spec, ctx).value == i
