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

* token by token, with one slip allowed (``fuzzy=True``, see :func:`slips`),
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
    (see :func:`slips`), not here."""
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


def same_letters(a: str, b: str) -> bool:
    """Equal, or equal once repeated letters count once ("killl", "fuuuck"),
    as long as that leaves 3 letters or more: "as" is never "ass"."""
    if a == b:
        return True
    sa = squash(a)
    return len(sa) >= 3 and sa == squash(b)


def slips(phrase_word: str, word: str, fuzzy: bool, long_phrase: bool) -> int:
    """0 when the words match, 1 for one allowed slip, 2 for no match. A slip is
    two letters swapped from 4 letters on, a missing or extra letter from 5, a changed letter
    from 8 (from 6 in phrases of 3 words or more: the other words vouch for it)."""
    if same_letters(phrase_word, word):
        return 0
    if not fuzzy:
        return 2
    size = len(phrase_word)
    if size < 4:  # "dig" is not "die"
        return 2
    if size == 4:  # only two letters swapped: "dnot" is "dont", but "lie" is not "live"
        return 1 if _swapped(phrase_word, word) else 2
    substitution = size >= 8 or (long_phrase and size >= 6)  # "take my wife" is not "take my life"
    # as typed ("vviir" for "vivir") or with repeats squashed ("kiiill myslef")
    pairs = ((phrase_word, word), (squash(phrase_word), squash(word)))
    return 1 if any(_one_slip(a, b, substitution) for a, b in pairs) else 2


class PhraseList:
    """A compiled list of phrases; ``find(text)`` gives the first that matches."""

    def __init__(self, phrases: Iterable[str], fuzzy: bool = False):
        self.fuzzy = fuzzy
        self.phrases: list[tuple[str, tuple[str, ...], str]] = []
        for phrase in phrases:
            toks = tuple(tokens(str(phrase), fold_v=True))
            if toks:
                self.phrases.append((str(phrase), toks, "".join(toks)))

    def find(self, text: str) -> str | None:
        words = tokens(text, fold_v=True)
        if not words:
            return None
        for phrase, toks, joined in self.phrases:
            n = len(toks)
            long_phrase = n >= 3
            for i in range(len(words) - n + 1):
                total = 0
                for j in range(n):
                    total += slips(toks[j], words[i + j], self.fuzzy, long_phrase)
                    if total > 1:
                        break
                else:
                    return phrase
            # the same letters with the spaces elsewhere: "killmyself", "kill my self"
            if len(joined) >= 6:  # "wasa" would find "was a"
                target = squash(joined)
                for i in range(len(words)):
                    acc = ""
                    for j in range(i, min(len(words), i + n + 3)):
                        acc += words[j]
                        if len(squash(acc)) > len(target):
                            break
                        if (j > i or n > 1) and same_letters(joined, acc):
                            return phrase
        return None


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
