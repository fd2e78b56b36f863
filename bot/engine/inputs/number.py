"""``number``: a whole number, optionally bounded by spec ``min`` / ``max``.

Accepts digits ("3", " 3 ", "-2", "1,000"), a number word from ``input.numbers``
("three", "tres"), and one number among other words ("3 kids", "tengo 2").
Two numbers ("3 or 4"), decimals ("2.5") or none → ``input.number.hint``.
Out of bounds → ``input.number.too_small`` / ``input.number.too_large`` with
params ``{"min": …, "max": …}``.
Example: spec ``{min: 1, max: 6}``, text ``"tres"`` → ``Parsed(ok=True, value=3)``.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from . import Parsed, ParseContext
from .normalize import MAX_WORDS_INPUT, lexicon, normalize, normalize_keep_punct, split_alternatives

HINT = "input.number.hint"
_FAIL = Parsed(ok=False, error=HINT)
_TOKEN = re.compile(r"(?<![0-9])[-\u2212\u2013]?[0-9](?:[0-9.,]*[0-9])?|[^\W\d_]+")
_PLAIN = re.compile(r"-?[0-9]+")
_NUMERIC_START = frozenset("0123456789-\u2212\u2013")
_GROUPED = re.compile(r"-?[0-9]{1,3}([.,])[0-9]{3}(?:\1[0-9]{3})*")


def _build(raw: tuple) -> dict[str, int]:
    table: dict[str, int] = {}
    for _lang, (numbers,) in raw:
        for index, entry in enumerate(numbers):
            for w in split_alternatives(entry):
                table.setdefault(normalize(w), index)
    table.pop("", None)
    return table


def _int_or_none(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError, OverflowError):
        return None


def _digits(tok: str) -> int | None:
    tok = tok.replace("\u2212", "-").replace("\u2013", "-")
    if _PLAIN.fullmatch(tok):
        return int(tok)
    if _GROUPED.fullmatch(tok):
        return int(tok.replace(",", "").replace(".", ""))
    return None


def read_number(text: str, ctx: ParseContext) -> int | None:
    """The one whole number in ``text``, or None. Shared with kinds that count."""
    if not isinstance(text, str) or len(text) > MAX_WORDS_INPUT:
        return None
    plain = text.strip()
    if plain.isascii() and plain.isdigit() and len(plain) < 10:  # the usual answer: "3"
        return int(plain)
    words = lexicon(ctx, "number", ("numbers",), _build)
    whole = normalize(text)
    if whole in words:
        return words[whole]
    found: int | None = None
    count = 0
    for m in _TOKEN.finditer(normalize_keep_punct(text)):
        tok = m.group()
        if tok[0] in _NUMERIC_START:
            value = _digits(tok)
            if value is None:
                return None
        else:
            value = words.get(tok)
            if value is None:
                continue
        count += 1
        if count > 1:
            return None
        found = value
    return found


class NumberKind:
    name = "number"
    options = frozenset({"min", "max"})

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            value = read_number(text, ctx)
            if value is None:
                return _FAIL
            lo = _int_or_none(spec.get("min"))
            hi = _int_or_none(spec.get("max"))
            params = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
            if lo is not None and value < lo:
                return Parsed(ok=False, error="input.number.too_small", params=params)
            if hi is not None and value > hi:
                return Parsed(ok=False, error="input.number.too_large", params=params)
            return Parsed(ok=True, value=value)
        except Exception:
            return _FAIL


KIND = NumberKind()
