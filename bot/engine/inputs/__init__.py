"""Input kinds: turn what a person typed into a value, or into a re-ask hint.

Each kind is one module with a ``KIND`` object registered in ``KINDS``. A kind
never raises on user text: anything it cannot read comes back as
``Parsed(ok=False, error="input.<kind>.hint")`` (a locale key), so the engine
can re-ask in the contact's language.

Words a person may type (yes/no, number words, time words) are data in
``locales/<lang>.yaml`` under ``input:``; a kind reads them through
``ParseContext.words(key)``, which returns the words of the contact's language
first and then those of every other language, so adding a language is a
locale file, not code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Protocol


@dataclass(frozen=True)
class Parsed:
    ok: bool
    value: Any = None
    error: str | None = None  # locale key of the hint to re-ask with
    params: Mapping[str, Any] = field(default_factory=dict)  # placeholders for the hint


@dataclass(frozen=True)
class ParseContext:
    lang: str  # the contact's language, e.g. "es"
    langs: tuple[str, ...]  # every language the line has, contact's first
    now: datetime  # timezone-aware, in the line's timezone
    region: str  # default phone region, e.g. "US"
    vocab: Callable[[str, str], list[str]]  # (lang, key) -> words; [] when missing

    def words(self, key: str) -> list[str]:
        """Words for ``input.<key>`` in the contact's language, then the others."""
        out: list[str] = []
        for lang in (self.lang, *[l for l in self.langs if l != self.lang]):
            for w in self.vocab(lang, key):
                if w not in out:
                    out.append(w)
        return out

    def words_by_lang(self, key: str) -> list[tuple[str, list[str]]]:
        return [(lang, self.vocab(lang, key)) for lang in (self.lang, *[l for l in self.langs if l != self.lang])]


class InputKind(Protocol):
    name: str
    #: spec fields this kind accepts in a flow's ``ask:`` block (besides kind/save/hint)
    options: frozenset[str]

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed: ...

    # Optional, for speed: ``quick_reader(spec)`` returns ``read(text) -> Parsed | None``
    # for the usual answer (number: bare digits; choice: an option's number),
    # read without a ParseContext. ``read`` answers only where ``parse`` would
    # answer the same, and None means "call parse". The engine makes one reader
    # per ask (bot/engine/plans.py; a choice's per set of roles, on first use).
