"""The stores' JSON writer (bot/store/json_codec.py: orjson) writes what the
engine's standard-library encoders write, byte for byte, and refuses what
they refuse."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given, settings, strategies as st

from bot.engine.model import Session, decode_json, encode_json, encode_json_utc
from bot.store.json_codec import dumps, dumps_utc, session_json

zones = st.one_of(st.none(), st.just(timezone.utc),
                  st.builds(timezone, st.timedeltas(timedelta(hours=-23), timedelta(hours=23))))
texts = st.text(st.characters(codec=None), max_size=8)  # any code point: control characters, emoji, lone surrogates
scalars = st.one_of(
    st.none(), st.booleans(), texts,
    st.integers(), st.integers(-2**70, 2**70),  # over 64 bits, orjson refuses: the standard library writes them
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or abs(f) >= 1e-4),
    st.datetimes(timezones=zones), st.decimals(allow_nan=False, allow_infinity=False, places=3))
keys = st.one_of(texts, st.integers(-5, 5))  # a non-string key: orjson refuses it, the standard library writes it
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(keys, inner, max_size=4),
    st.dictionaries(texts, inner, max_size=3).map(MappingProxyType)), max_leaves=24)


def outcome(encode, value):
    """The text, or the kind of error."""
    try:
        return encode(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


@settings(max_examples=600)
@given(values)
def test_the_codec_writes_what_the_engines_encoders_write(value):
    assert outcome(dumps, value) == outcome(encode_json, value)
    assert outcome(dumps_utc, value) == outcome(encode_json_utc, value)


@settings(max_examples=200)
@given(st.floats(-1e-4, 1e-4, allow_nan=False).filter(lambda f: f != 0))
def test_a_float_under_a_ten_thousandth_is_written_otherwise_but_reads_back_the_same(number):
    assert decode_json(dumps({"x": number})) == decode_json(encode_json({"x": number})) == {"x": number}


def test_what_neither_can_write_is_refused_alike():
    for bad in (object(), {"x": {1, 2}}, [b"bytes"]):
        with pytest.raises(TypeError):
            dumps(bad)
        with pytest.raises(TypeError):
            encode_json(bad)


@settings(max_examples=200)
@given(st.builds(Session, contact=st.text(max_size=12), flow=st.one_of(st.none(), st.text(max_size=8)),
                 state=st.one_of(st.none(), st.text(max_size=8)), vars=st.dictionaries(st.text(max_size=5), values,
                                                                                      max_size=4),
                 expires_at=st.one_of(st.none(), st.datetimes(timezones=zones)),
                 updated_at=st.one_of(st.none(), st.datetimes(timezones=zones)),
                 window_sent=st.integers(0, 100)))
def test_a_session_is_written_as_to_json_writes_it(session):
    assert session_json(session) == session.to_json()
    assert Session.from_json(session_json(session)) == Session.from_json(session.to_json())


def test_a_usual_reply_row_is_written_the_same():
    now = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)
    row = {"id": "m1", "to": "+14155550100", "text": "¿Quién recoge a Ana? Responde SÍ", "choices": [["1", "Sí"]],
           "created_at": now, "amount": Decimal("12.50"), "data": MappingProxyType({"at": now})}
    assert dumps_utc(row) == encode_json_utc(row) and dumps(row) == encode_json(row)
