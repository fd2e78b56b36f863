"""``money``: an amount as a ``Decimal`` with 2 places.

Accepts "80", "$80", "$ 80", "80.50", "80,50", "80 dollars", "80 dólares",
"80 pesos", "1,200", "1.200", "1,200.50", "1.200,50", ".50", "veinte dólares",
"2 mil" (``input.thousand``), "50 cents" (``input.cents``). Separators: a comma
or dot followed by 1–2 digits at the end is the decimal separator; groups of
exactly 3 digits after it are thousands. Currency symbols are ignored, and so
are words the lists do not know ("80 for the week"); two amounts are a hint.

Spec: ``min`` (default: more than 0), ``max``. Errors: ``input.money.hint``,
``input.money.not_positive`` (zero when no ``min``, or negative),
``input.money.too_small`` (params ``min``), ``input.money.too_large`` (params ``max``).
Example: ``"$80,50"`` → ``Parsed(ok=True, value=Decimal("80.50"))``.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from . import Parsed, ParseContext
from .normalize import CURRENCY_SYMBOLS, MAX_WORDS_INPUT, lexicon, normalize, normalize_keep_punct, split_alternatives

HINT = "input.money.hint"
_FAIL = Parsed(ok=False, error=HINT)
_NOT_POSITIVE = Parsed(ok=False, error="input.money.not_positive")
_CENT = Decimal("0.01")
_SYMBOLS_TO_SPACE = {ord(c): " " for c in CURRENCY_SYMBOLS}
_SYMBOLS_TO_SPACE.update({0x2212: "-", 0x2013: "-"})
_TOKEN = re.compile(r"(?<![0-9.,])(-\s?)?([.,]?[0-9](?:[0-9.,]*[0-9])?)|([^\W\d_]+)")
_SPLIT = re.compile(r"(?<=[0-9])(?=[^\W\d_])|(?<=[^\W\d_])(?=[0-9])")
_INT = re.compile(r"[0-9]+")
_DEC = re.compile(r"([0-9]*)[.,]([0-9]{1,2})")
_THOU = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})+")
_THOU_DEC = re.compile(r"([0-9]{1,3}(?:([.,])[0-9]{3})+)([.,])([0-9]{1,2})")
_MAX_DIGITS = 15

_NUMBER, _CURRENCY, _CENTS, _THOUSAND = range(4)


def _build(raw: tuple) -> dict[str, tuple[int, int]]:
    table: dict[str, tuple[int, int]] = {}
    for _lang, (numbers, currency, cents, thousand) in raw:
        for index, entry in enumerate(numbers):
            for w in split_alternatives(entry):
                table.setdefault(normalize(w), (_NUMBER, index))
        for words, tag in ((currency, _CURRENCY), (cents, _CENTS), (thousand, _THOUSAND)):
            for w in words:
                n = normalize(w)
                table.setdefault(n, (tag, 0))
                for part in n.split():
                    table.setdefault(part, (tag, 0))
    table.pop("", None)
    return table


def read_amount(s: str) -> Decimal | None:
    """``"1.200,50"`` → ``Decimal("1200.50")``; None when the separators make no sense."""
    if len(s) > _MAX_DIGITS + 6:
        return None
    if _INT.fullmatch(s):
        return Decimal(s)
    m = _DEC.fullmatch(s)
    if m:
        return Decimal(f"{m.group(1) or '0'}.{m.group(2)}")
    m = _THOU.fullmatch(s)
    if m:
        return Decimal(s.replace(m.group(1), ""))
    m = _THOU_DEC.fullmatch(s)
    if m and m.group(2) != m.group(3):
        return Decimal(f"{m.group(1).replace(m.group(2), '')}.{m.group(4)}")
    return None


def _decimal_or_none(v: Any) -> Decimal | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return d if d.is_finite() else None


def format_amount(d: Decimal) -> str:
    """``Decimal("500.00")`` → ``"500"``, ``Decimal("12.5")`` → ``"12.50"`` (for hint params)."""
    d = d.quantize(_CENT)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d)


class MoneyKind:
    name = "money"
    options = frozenset({"min", "max"})

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            return self._parse(text, spec, ctx)
        except Exception:
            return _FAIL

    def _parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        if not isinstance(text, str) or len(text) > MAX_WORDS_INPUT:
            return _FAIL
        t = normalize_keep_punct(text).translate(_SYMBOLS_TO_SPACE)
        if not t:
            return _FAIL
        t = _SPLIT.sub(" ", t)
        words = lexicon(ctx, "money", ("numbers", "currency", "cents", "thousand"), _build)
        amount: Decimal | None = None
        negative = False
        word_amount: int | None = None
        found = 0
        cents = thousand = False
        for m in _TOKEN.finditer(t):
            word = m.group(3)
            if word is None:
                found += 1
                if found > 1:
                    return _FAIL
                amount = read_amount(m.group(2))
                if amount is None:
                    return _FAIL
                negative = m.group(1) is not None
                continue
            tag = words.get(word)
            if tag is None:
                continue  # words we do not know ("for the week") do not matter
            kind, value = tag
            if kind == _NUMBER:
                if word_amount is not None:
                    return _FAIL
                word_amount = value
            elif kind == _CENTS:
                cents = True
            elif kind == _THOUSAND:
                thousand = True
        if amount is None:
            if word_amount is None:
                return _FAIL
            amount = Decimal(word_amount)
        elif word_amount is not None:
            return _FAIL  # "2 tres" — two amounts
        if cents and thousand:
            return _FAIL
        if cents:
            if amount != amount.to_integral_value():
                return _FAIL
            amount = amount / 100
        if thousand:
            amount = amount * 1000
        amount = amount.quantize(_CENT)
        if negative:
            amount = -amount
        lo = _decimal_or_none(spec.get("min"))
        hi = _decimal_or_none(spec.get("max"))
        if amount < 0 or (lo is None and amount == 0):
            return _NOT_POSITIVE
        if lo is not None and amount < lo:
            return Parsed(ok=False, error="input.money.too_small", params={"min": format_amount(lo)})
        if hi is not None and amount > hi:
            return Parsed(ok=False, error="input.money.too_large", params={"max": format_amount(hi)})
        return Parsed(ok=True, value=amount)


KIND = MoneyKind()
