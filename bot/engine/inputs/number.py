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
from typing import Any, Callable, Mapping

from . import Parsed, ParseContext
from .normalize import MAX_WORDS_INPUT, lexicon, normalize, normalize_keep_punct, spec_cache, split_alternatives

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


def _plain(text: Any) -> int | None:
    """The usual answer, bare digits ("3", " 12 "), read without words or a context."""
    if type(text) is not str or len(text) > MAX_WORDS_INPUT:
        return None
    plain = text.strip()
    if plain.isascii() and plain.isdigit() and len(plain) < 10:
        return int(plain)
    return None


def read_number(text: str, ctx: ParseContext) -> int | None:
    """The one whole number in ``text``, or None. Shared with kinds that count."""
    if not isinstance(text, str) or len(text) > MAX_WORDS_INPUT:
        return None
    plain = _plain(text)
    if plain is not None:
        return plain
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


class _Bounds:
    """A spec's ``min``/``max`` read once (specs are loaded once and never change)."""

    __slots__ = ("lo", "hi", "too_small", "too_large", "ok")

    def __init__(self, spec: Mapping[str, Any]):
        self.lo = _int_or_none(spec.get("min"))
        self.hi = _int_or_none(spec.get("max"))
        params = {k: v for k, v in (("min", self.lo), ("max", self.hi)) if v is not None}
        self.too_small = Parsed(ok=False, error="input.number.too_small", params=params)
        self.too_large = Parsed(ok=False, error="input.number.too_large", params=params)
        # Parsed is frozen, so one per accepted value can be handed out again.
        self.ok: dict[int, Parsed] = {}

    def check(self, value: int) -> Parsed:
        if self.lo is not None and value < self.lo:
            return self.too_small
        if self.hi is not None and value > self.hi:
            return self.too_large
        got = self.ok.get(value)
        if got is None:
            got = Parsed(ok=True, value=value)
            if len(self.ok) < _OK_CACHE:
                self.ok[value] = got
        return got


_OK_CACHE = 1000  # cached answers per spec: plenty for counts and hours, bounded for open ranges
_bounds_store: dict = {}


class NumberKind:
    name = "number"
    options = frozenset({"min", "max"})

    def quick_reader(self, spec: Mapping[str, Any]) -> Callable[[str], Parsed | None] | None:
        """Reads bare digits under ``spec`` without a ParseContext (None: call ``parse``)."""
        try:
            bounds = spec_cache(_bounds_store, spec, _Bounds)
        except Exception:
            return None

        accepted = bounds.ok

        def read(text: str) -> Parsed | None:
            value = _plain(text)
            if value is None:
                return None
            return accepted.get(value) or bounds.check(value)  # a value seen before: in bounds

        return read

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            value = read_number(text, ctx)
            if value is None:
                return _FAIL
            return spec_cache(_bounds_store, spec, _Bounds).check(value)
        except Exception:
            return _FAIL


KIND = NumberKind()
