"""``text``: free text, kept as typed.

Control characters and NUL are removed, CR/LF become one newline, surrounding
whitespace is stripped; emoji and every script stay, and nothing is casefolded.
Spec ``min`` (default 1) and ``max`` (default 500) count characters after that
→ ``input.text.too_short`` / ``input.text.too_long`` with params ``{"min", "max"}``.
Example: ``"  Hola 👋\\x00 "`` → ``Parsed(ok=True, value="Hola 👋")``.
"""
from __future__ import annotations

from typing import Any, Mapping

from . import Parsed, ParseContext
from .normalize import clean_text

DEFAULT_MIN = 1
DEFAULT_MAX = 500


def _bound(spec: Mapping[str, Any], key: str, default: int) -> int:
    v = spec.get(key, default)
    if isinstance(v, bool):
        return default
    try:
        return int(v)
    except (TypeError, ValueError, OverflowError):
        return default


class TextKind:
    name = "text"
    options = frozenset({"min", "max"})

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        lo = _bound(spec, "min", DEFAULT_MIN)
        hi = _bound(spec, "max", DEFAULT_MAX)
        try:
            value = clean_text(text)
        except Exception:
            value = ""
        if len(value) < lo:
            return Parsed(ok=False, error="input.text.too_short", params={"min": lo, "max": hi})
        if len(value) > hi:
            return Parsed(ok=False, error="input.text.too_long", params={"min": lo, "max": hi})
        return Parsed(ok=True, value=value)


KIND = TextKind()
