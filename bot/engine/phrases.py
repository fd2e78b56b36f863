"""Matching coordinator-edited phrase lists against free text (pure).

The engine screens every text against the line's screen lists (crisis words:
a flow with ``triggers.screen``), and peer support uses the same matcher for
its abuse and "let's meet / call me" lists. They all ask one question: does
this text contain one of these phrases, as whole words, whatever the accents,
case, spacing tricks and small typos? People in distress type fast on small
keyboards ("kil myslef", "killmyself", "kill my self", "K I L L myself",
"quitarme la bida"), and someone dodging moderation types
"w h a t s a p p" or "f.u.c.k". So both the phrase and the text go through the
same folding, and a phrase matches

* token by token, with one slip allowed (``fuzzy=True``, see :func:`_slips`),
* or with the words run together or split differently ("killmyself",
  "kill my self", "whats app"): the joined letters of a run of text words equal
  the phrase's joined letters.

Short words (kms, kys, die) must match exactly and 4-letter ones allow only a
swap, so "want to dig" never reads as "want to die", nor "lie" as "live".
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from .inputs.normalize import normalize_keep_punct

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_NON_WORD = re.compile(r"[^0-9a-zñ]+")
_RUNS = re.compile(r"(.)\1+")
_LETTER = re.compile(r"[^\W\d_]")
# A run of single letters: "f u c k", "f.u.c.k", "w-h-a-t-s" (3 or more).
_SPACED = re.compile(r"(?<![0-9a-z])(?:[a-z][ .\-_*]){2,}[a-z](?![0-9a-z])")


def squash(word: str) -> str:
    """Repeated letters count once: "killl" = "kill" = "kil", "noooo" = "no"."""
    return _RUNS.sub(r"\1", word)


def tokens(text: str, fold_v: bool = False) -> list[str]:
    """The words of ``text``, folded: accents and case gone, letters inside
    words de-leeted (k1ll → kill, $hit → shit), single spaced-out letters
    joined (f u c k → fuck); with ``fold_v``, v reads as b (Spanish spelling
    mixes them up: "quitarme la bida"). Repeats are squashed when comparing
    (see :func:`_slips`), not here."""
    # an apostrophe joins ("don't" = "dont"), so a typo in it stays one word's typo
    s = normalize_keep_punct(text).replace("ñ", "n").replace("'", "").replace("\u2019", "")
    if fold_v:
        s = s.replace("v", "b")
    s = _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), s)
    out = []
    for raw in re.split(r"\s+", s):
        if not raw:
            continue
        # De-leet only words that mix letters and digits/symbols ("k1ll", "$hit"),
        # never plain numbers ("2026", "3").
        if any(c.isalpha() for c in raw) and not raw.isalpha():
            raw = raw.translate(_LEET)
        out.extend(w for w in _NON_WORD.split(raw) if w)
    return out


def _one_slip(a: str, b: str, substitution: bool) -> bool:
    """True when ``a`` and ``b`` differ by one inserted, deleted or swapped
    (adjacent) letter, or, when ``substitution``, one changed letter."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return substitution
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    for i in range(len(b)):
        if b[:i] + b[i + 1:] == a:
            return True
    return False


def _swapped(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _slips(pw: str, spw: str, w: str, sw: str, fuzzy: bool, long_phrase: bool) -> int:
    """How far text word ``w`` is from phrase word ``pw`` (``spw``, ``sw``:
    their :func:`squash` forms, made once per text by ``find``): 0 when they
    match, 1 for one allowed slip, 2 for no match. They match when equal, or
    equal once repeated letters count once ("killl", "fuuuck") as long as that
    leaves 3 letters or more ("as" is never "ass"). A slip is two letters
    swapped from 4 letters on, a missing or extra letter from 5, a changed
    letter from 8 (from 6 in phrases of 3 words or more: the other words vouch
    for it)."""
    if pw == w or (len(spw) >= 3 and spw == sw):
        return 0
    if not fuzzy:
        return 2
    size = len(pw)
    if size < 4:  # "dig" is not "die"
        return 2
    if size == 4:  # only two letters swapped: "dnot" is "dont", but "lie" is not "live"
        return 1 if _swapped(pw, w) else 2
    if abs(size - len(w)) > 1 and abs(len(spw) - len(sw)) > 1:
        return 2  # no single slip bridges that
    substitution = size >= 8 or (long_phrase and size >= 6)  # "take my wife" is not "take my life"
    # as typed ("vviir" for "vivir") or with repeats squashed ("kiiill myslef")
    return 1 if _one_slip(pw, w, substitution) or _one_slip(spw, sw, substitution) else 2


class PhraseList:
    """A compiled list of phrases; ``find(text)`` gives the first that matches.

    Every text a person sends goes through the crisis list, so the work that
    does not depend on the phrase (folding the text, squashing its words, the
    letters of its runs of words) is done once per text, not once per phrase."""

    def __init__(self, phrases: Iterable[str], fuzzy: bool = False):
        self.fuzzy = fuzzy
        # (phrase, words, their squashed forms, squashed joined letters or "" when too short to join)
        self.phrases: list[tuple[str, tuple[str, ...], tuple[str, ...], str]] = []
        for phrase in phrases:
            toks = tuple(tokens(str(phrase), fold_v=True))
            if toks:
                joined = "".join(toks)
                # "wasa" would find "was a": only 6 letters or more are looked for run together
                self.phrases.append((str(phrase), toks, tuple(squash(t) for t in toks),
                                     squash(joined) if len(joined) >= 6 else ""))
        self.longest_run = max((len(p[1]) for p in self.phrases), default=1) + 2
        # every beginning of a phrase's joined letters: a run of words that is not
        # one stops growing at once
        self.prefixes = {p[3][:k] for p in self.phrases for k in range(1, len(p[3]) + 1)}
        # a phrase of several words has a word typed exactly (one slip in all):
        # squashed word -> (phrase index, its place in the phrase)
        self.by_word: dict[str, list[tuple[int, int]]] = {}
        for index, (_, toks, sq_toks, _) in enumerate(self.phrases):
            if len(toks) > 1:
                for place, word in enumerate(sq_toks):
                    self.by_word.setdefault(word, []).append((index, place))
        # one-word phrases by length, as typed and squashed: a word further than
        # one letter from both can't be a slip of it
        # squashed joined letters -> (phrase index, its number of words)
        self.by_letters: dict[str, list[tuple[int, int]]] = {}
        for index, (_, toks, _, letters) in enumerate(self.phrases):
            if letters:
                self.by_letters.setdefault(letters, []).append((index, len(toks)))
        self.single_by_len: dict[int, set[int]] = {}
        for index, (_, toks, sq_toks, _) in enumerate(self.phrases):
            if len(toks) == 1:
                for size in (len(toks[0]), len(sq_toks[0])):
                    self.single_by_len.setdefault(size, set()).add(index)

    def _runs(self, squashed: list[str]) -> dict[str, int]:
        """The squashed letters of each run of 2 or more words that begins some
        phrase's letters (-> the fewest extra words it took): "kill my self"
        gives "kilmyself". squash(a + b) is squash(a) + squash(b) less one
        letter when a ends with the letter b begins with."""
        runs: dict[str, int] = {}
        prefixes = self.prefixes
        for i, first in enumerate(squashed):
            acc = first
            if acc not in prefixes:
                continue
            for j in range(i + 1, min(len(squashed), i + self.longest_run + 1)):
                nxt = squashed[j]
                acc += nxt[1:] if acc[-1] == nxt[0] else nxt
                if acc not in prefixes:
                    break
                if runs.get(acc, 99) > j - i:
                    runs[acc] = j - i
        return runs

    def _at(self, index: int, i: int, words: list[str], squashed: list[str]) -> bool:
        _, toks, sq_toks, _ = self.phrases[index]
        n = len(toks)
        if i < 0 or i + n > len(words):
            return False
        long_phrase, total = n >= 3, 0
        for j in range(n):
            total += _slips(toks[j], sq_toks[j], words[i + j], squashed[i + j], self.fuzzy, long_phrase)
            if total > 1:
                return False
        return True

    def find(self, text: str) -> str | None:
        if not _LETTER.search(text):
            return None  # "1", "3:30", "12 14": no phrase is made of digits and signs alone
        words = tokens(text, fold_v=True)
        if not words:
            return None
        squashed = [squash(w) for w in words]
        hits = set()  # phrase indexes found: the first in list order wins, as coordinators wrote it
        for i, word in enumerate(squashed):
            for index, place in self.by_word.get(word, ()):
                if index not in hits and self._at(index, i - place, words, squashed):
                    hits.add(index)
        by_len = self.single_by_len
        for i, word in enumerate(words):
            for size in {len(word), len(squashed[i])}:
                for near in (size - 1, size, size + 1):
                    for index in by_len.get(near, ()):
                        if index not in hits and self._at(index, i, words, squashed):
                            hits.add(index)
        # the same letters with the spaces elsewhere: "killmyself", "kill my self"
        by_letters = self.by_letters
        for letters, extra_words in self._runs(squashed).items():
            hits.update(index for index, n in by_letters.get(letters, ()) if extra_words <= n + 2)
        for word in set(squashed):  # "killmyself": one word for several
            hits.update(index for index, n in by_letters.get(word, ()) if n > 1)
        return self.phrases[min(hits)][0] if hits else None


@lru_cache(maxsize=64)
def compiled(phrases: tuple[str, ...], fuzzy: bool) -> PhraseList:
    return PhraseList(phrases, fuzzy)


def phrase_list(catalog, key: str, fuzzy: bool = False) -> PhraseList:
    """Every language's list at ``key`` together: people mix languages, and a
    crisis or an insult in the other language counts just the same."""
    phrases: list[str] = []
    for lang in catalog.langs:
        phrases.extend(catalog.words(lang, key))
    return compiled(tuple(phrases), fuzzy)
