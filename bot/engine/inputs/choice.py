"""``choice``: one option out of a numbered menu.

Spec::

    kind: choice
    choices:
      - value: yes
        labels: {en: "Yes", es: "Sí"}
        words: {en: [sure], es: [claro]}
      - value: "no"
        labels: {en: "No", es: "No"}

Accepted, accents and case ignored: the option's number ("1"), a number word
("one", "uno"), "1. Sí" as copied from the menu, a label or extra word, or an
unambiguous prefix of one ("s" → Sí, "y" → Yes). The contact's language is
tried first; other languages are accepted when they point at one option only.
Example: options Sí/No, contact es, text "S" → ``Parsed(ok=True, value="yes")``.
With ``exact_only: true`` (a question whose ``other:`` takes any other text as
typed) only numbers, number words and whole labels or words count, no prefix.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from . import Parsed, ParseContext
from .normalize import MAX_WORDS_INPUT, lexicon, normalize, spec_cache, split_alternatives

HINT = "input.choice.hint"
_FAIL = Parsed(ok=False, error=HINT)
_NUMBERED = re.compile(r"^([0-9]{1,3})\s*[.):\-]?\s+(.+)$")
_MIN_INNER_WORD = 3  # label words shorter than this ("de", "la") are not matched alone


def _build_numbers(raw: tuple) -> list[tuple[str, dict[str, int]]]:
    out = []
    for lang, (numbers,) in raw:
        table: dict[str, int] = {}
        for index, entry in enumerate(numbers):
            for word in split_alternatives(entry):
                table.setdefault(normalize(word), index)
        table.pop("", None)
        out.append((lang, table))
    return out


class _Option:
    __slots__ = ("value", "exact", "prefixable", "parsed")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.parsed = Parsed(ok=True, value=value)  # frozen: the same answer every time it is picked
        self.exact: dict[str, set[str]] = {}  # lang -> whole labels and words
        self.prefixable: dict[str, set[str]] = {}  # lang -> those plus longer label words


def _build_options(spec: Mapping[str, Any]) -> list[_Option]:
    options = []
    for item in spec.get("choices") or ():
        if isinstance(item, str):
            item = {"value": item, "labels": {}, "words": {"*": [item]}}
        if not isinstance(item, Mapping):
            continue
        opt = _Option(item.get("value"))
        labels = item.get("labels") or {}
        words = item.get("words") or {}
        langs = set(labels) | set(words) if isinstance(labels, Mapping) and isinstance(words, Mapping) else set()
        for lang in langs:
            texts: list[str] = []
            label = labels.get(lang)
            if isinstance(label, str):
                texts.append(label)
            extra = words.get(lang) or ()
            if isinstance(extra, str):
                extra = [extra]
            texts.extend(w for w in extra if isinstance(w, str))
            exact = {n for n in (normalize(t) for t in texts) if n}
            prefixable = set(exact)
            for n in exact:
                prefixable.update(w for w in n.split() if len(w) >= _MIN_INNER_WORD)
            opt.exact[lang] = exact
            opt.prefixable[lang] = prefixable
        options.append(opt)
    return options


_spec_store: dict = {}


def _lang_order(ctx: ParseContext, options: list[_Option]) -> list[str]:
    order = [ctx.lang, *[l for l in ctx.langs if l != ctx.lang]]
    extra = sorted({l for o in options for l in o.exact} - set(order))
    return order + extra  # labels in a language the line lacks ("*") still count


def _pick(hits: set[int]) -> int | None | bool:
    """One index, None for no hit, False for ambiguous."""
    if not hits:
        return None
    if len(hits) == 1:
        return next(iter(hits))
    return False


class ChoiceKind:
    name = "choice"
    options = frozenset({"choices"})

    def quick_reader(self, spec: Mapping[str, Any]) -> Callable[[str], Parsed | None] | None:
        """Reads an option's number ("2") without a ParseContext (None: call ``parse``)."""
        try:
            options = spec_cache(_spec_store, spec, _build_options)
        except Exception:
            return None
        count = len(options)

        def read(text: str) -> Parsed | None:
            if type(text) is not str or len(text) > MAX_WORDS_INPUT:
                return None
            t = text.strip()  # for ASCII digits, the same as normalize()
            if t.isascii() and t.isdigit():
                n = int(t)
                if 1 <= n <= count:
                    return options[n - 1].parsed
            return None

        return read

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            return self._parse(text, spec, ctx)
        except Exception:  # never let user text crash a conversation
            return _FAIL

    def _parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        if not isinstance(text, str) or len(text) > MAX_WORDS_INPUT:
            return _FAIL
        t = normalize(text)
        if not t:
            return _FAIL
        options = spec_cache(_spec_store, spec, _build_options)
        if not options:
            return _FAIL
        count = len(options)
        if t.isdigit() and t.isascii():
            n = int(t)
            if 1 <= n <= count:
                return options[n - 1].parsed
        m = _NUMBERED.match(t)
        if m:  # "1. Si" copied from the menu: the number and the label must agree
            n = int(m.group(1))
            rest = m.group(2)
            if 1 <= n <= count and any(rest in ws for ws in options[n - 1].exact.values()):
                return Parsed(ok=True, value=options[n - 1].value)
        numbers = lexicon(ctx, "choice.numbers", ("numbers",), _build_numbers)
        langs = _lang_order(ctx, options)
        own, others = langs[:1], langs[1:]
        by_lang_numbers = dict(numbers)

        def exact(in_langs: list[str]) -> set[int]:
            hits = set()
            for lang in in_langs:
                n = by_lang_numbers.get(lang, {}).get(t)
                if n is not None and 1 <= n <= count:
                    hits.add(n - 1)
                for i, o in enumerate(options):
                    if t in o.exact.get(lang, ()):
                        hits.add(i)
            return hits

        def prefix(in_langs: list[str]) -> set[int]:
            hits = set()
            for lang in in_langs:
                for i, o in enumerate(options):
                    for w in o.prefixable.get(lang, ()):
                        if w.startswith(t):
                            hits.add(i)
                            break
            return hits

        stages = [lambda: exact(own), lambda: exact(others)]
        if not spec.get("exact_only"):
            stages += [lambda: prefix(own), lambda: prefix(others)]
        for stage in stages:
            got = _pick(stage())
            if got is False:
                return _FAIL
            if got is not None:
                return Parsed(ok=True, value=options[got].value)
        return _FAIL


KIND = ChoiceKind()
