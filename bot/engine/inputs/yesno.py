"""``yesno``: True or False.

Words come from the locale lists ``input.yes`` and ``input.no`` (contact's
language first, then the others), plus "1" = yes and "2" = no because menus
show "1 Yes 2 No" (so do the number words "one"/"uno" and "two"/"dos").
Accents, case, surrounding punctuation and stretched letters are ignored:
"SÍ", "Si!", "siii", "yesss", "nooo". Several words that all agree are fine
("si claro", "yes please" with "please" in ``input.filler``); words that
disagree ("si no") are not. STOP/CANCEL are never answers: carriers treat
them as opt-out, so the locale lists must not contain them.
Example: ``"Sí"`` → ``Parsed(ok=True, value=True)``.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from . import Parsed, ParseContext
from .normalize import MAX_WORDS_INPUT, lexicon, normalize, split_alternatives, words_of

HINT = "input.yesno.hint"
_FAIL = Parsed(ok=False, error=HINT)
_YES = Parsed(ok=True, value=True)
_NO = Parsed(ok=True, value=False)
_STRETCH = re.compile(r"(.)\1+")
_FILLER = object()


def _collapse(s: str) -> str:
    return _STRETCH.sub(r"\1", s)


def _build(raw: tuple) -> tuple[dict[str, Any], dict[str, Any]]:
    exact: dict[str, Any] = {"1": True, "2": False}
    for _lang, (yes, no, numbers, filler) in raw:
        for words, value in ((yes, True), (no, False)):
            for w in words:
                exact.setdefault(normalize(w), value)
        if len(numbers) > 2:
            for index, value in ((1, True), (2, False)):
                for w in split_alternatives(numbers[index]):
                    exact.setdefault(normalize(w), value)
        for w in filler:
            n = normalize(w)
            exact.setdefault(n, _FILLER)
            for part in n.split():  # "thank you" → "thank", "you" as fillers too
                exact.setdefault(part, _FILLER)
    exact.pop("", None)
    stretched: dict[str, Any] = {}
    for w, v in exact.items():
        stretched.setdefault(_collapse(w), v)
    return exact, stretched


class YesNoKind:
    name = "yesno"
    options = frozenset()

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            return self._parse(text, ctx)
        except Exception:
            return _FAIL

    def _parse(self, text: str, ctx: ParseContext) -> Parsed:
        if not isinstance(text, str) or len(text) > MAX_WORDS_INPUT:
            return _FAIL
        t = normalize(text)
        if not t:
            return _FAIL
        exact, stretched = lexicon(ctx, "yesno", ("yes", "no", "numbers", "filler"), _build)
        v = exact.get(t)
        if v is None:
            v = stretched.get(_collapse(t))
        if v is True:
            return _YES
        if v is False:
            return _NO
        answer = None
        for word in words_of(t):
            v = exact.get(word)
            if v is None:
                v = stretched.get(_collapse(word))
            if v is None:
                return _FAIL
            if v is _FILLER:
                continue
            if answer is None:
                answer = v
            elif answer is not v:
                return _FAIL
        if answer is None:
            return _FAIL
        return _YES if answer else _NO


KIND = YesNoKind()
