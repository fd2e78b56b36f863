"""JSON text for what the stores keep, written by orjson where it writes what
the standard library's encoder writes, and by the standard library elsewhere.

The text is the engine's (``bot.engine.model``: compact, non-ASCII written as
it is, datetimes as ``{"$dt": ISO}``, Decimals as ``{"$dec": "…"}``), byte for
byte, so rows written before and after read alike. orjson writes a contact
record ten times and a session twice as fast as the standard library, and a
step writes both. What it refuses (integers over 64 bits, keys that are not
strings, lone surrogates) the standard library writes. What is left: a float
is written in orjson's shortest form (``1e-7`` where the standard library
writes ``1e-07``: the same number), and a NaN or an infinity as ``null``
(JSON has no word for them); nothing the line stores is such a float.

Reading stays with the standard library's decoder and its object hook
(``decode_json``): orjson's parse plus a Python walk to bring the datetimes
back cost about as much, and orjson reads integers over 64 bits as floats.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ..engine.model import Session, encode_json, encode_json_utc, json_default, json_default_utc

# datetimes to the hook (tagged, as the engine writes them), and dataclasses
# too: the hook refuses them, as the standard library does
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """``encode_json``'s text: datetimes keep their UTC offset."""
    try:
        return orjson.dumps(value, default=json_default, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError: what it will not write; the standard library writes or refuses it
        return encode_json(value)


def dumps_utc(value: Any) -> str:
    """``encode_json_utc``'s text: datetimes in UTC."""
    try:
        return orjson.dumps(value, default=json_default_utc, option=_OPTIONS).decode()
    except TypeError:
        return encode_json_utc(value)


def session_json(session: Session) -> str:
    """``Session.to_json``'s text. Its own times are tagged here, as
    ``json_default`` tags them, rather than by three calls out of orjson."""
    values = session.field_values()
    for name in _SESSION_TIMES:
        when = values[name]
        if type(when) is datetime:
            values[name] = {"$dt": when.isoformat()}
    return dumps(values)


# (a datetime field not named here is still tagged, by the hook)
_SESSION_TIMES = ("expires_at", "updated_at", "window_start")
