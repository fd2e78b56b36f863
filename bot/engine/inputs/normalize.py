"""Text normalisation shared by the input kinds, and a cache of compiled word lists.

``normalize`` is how every kind compares words "accents and case ignored":
NFKC, control and format characters dropped, casefold, accents stripped
(é→e, ñ→n, ü→u), whitespace collapsed, surrounding punctuation (¿¡?!.,;…)
stripped. Locale words go through the same function, so both sides agree.

``clean_text`` is the gentle version for free text that is kept as typed.

``lexicon`` memoises what a kind builds from the locale word lists (sets,
dicts) so a parse does not re-normalise the vocabulary on every call. The
cache is keyed first on the identity of ``ctx.vocab`` (fast path) and then on
the words themselves, so a new vocab callable with the same words reuses the
built table, and changed words build a new one. A vocab callable must not
change the words it returns for the same (lang, key) while it is in use;
hand the engine a new callable when locales are reloaded.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, TypeVar

__all__ = ["normalize", "normalize_keep_punct", "clean_text", "lexicon", "split_alternatives", "spec_cache", "words_of", "CURRENCY_SYMBOLS", "PUNCTUATION", "MAX_WORDS_INPUT"]

#: inputs longer than this (characters) are never a number, a time, a yes...
#: kinds that read words give up early instead of scanning a novel.
MAX_WORDS_INPUT = 300

_NFKC = "NFKC"

# Control characters: whitespace ones become a space, the others vanish.
_WS_CONTROLS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85"
_ASCII_TABLE = {c: None for c in range(0x20)}
_ASCII_TABLE.update({ord(c): " " for c in _WS_CONTROLS if ord(c) < 0x80})
_ASCII_TABLE[0x7F] = None


def _scan_bmp() -> tuple[str, str]:
    # The Basic Multilingual Plane is enough for punctuation a phone can type.
    punct, currency = [], []
    cat = unicodedata.category
    for cp in range(0x10000):
        ch = chr(cp)
        c = cat(ch)
        if c[0] == "P":
            punct.append(ch)
        elif c == "Sc":
            currency.append(ch)
    return "".join(punct), "".join(currency)


_PUNCT, CURRENCY_SYMBOLS = _scan_bmp()
PUNCTUATION = _PUNCT  # every punctuation character of the BMP (categories P*)
_PUNCT_WS = _PUNCT + " "
_ASCII_PUNCT_WS = "".join(c for c in _PUNCT if c < "\x80") + " "

# emoji skin-tone modifiers: "👍🏽" compares equal to "👍"
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def _fold_unicode(text: str) -> str:
    s = unicodedata.normalize(_NFKC, text).casefold()
    s = unicodedata.normalize("NFKD", s)
    cat = unicodedata.category
    out = []
    for ch in s:
        c = cat(ch)
        if c == "Mn":
            continue
        if c[0] == "C":  # Cc, Cf, Cs, Co, Cn
            if ch in _WS_CONTROLS:
                out.append(" ")
            continue
        if ch in _SKIN_TONES:
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _norm(text: Any, strip_punct: bool) -> str:
    if not isinstance(text, str):
        if text is None:
            return ""
        text = str(text)
    if text.isascii():
        s = " ".join(text.translate(_ASCII_TABLE).lower().split())
        return s.strip(_ASCII_PUNCT_WS) if strip_punct else s
    s = " ".join(_fold_unicode(text).split())
    return s.strip(_PUNCT_WS) if strip_punct else s


_PUNCT_TO_SPACE = {ord(c): " " for c in _PUNCT}


def words_of(normalized: str) -> list[str]:
    """Words of an already normalised text, punctuation inside it treated as space."""
    return normalized.translate(_PUNCT_TO_SPACE).split()


def normalize(text: str) -> str:
    """Comparable form of ``text``: ``"¿¡ SÍ !!"`` → ``"si"``, ``"Mañana"`` → ``"manana"``."""
    if type(text) is str and text.isdigit() and text.isascii():
        return text  # the usual answer ("3"): nothing to fold, strip or collapse
    return _norm(text, True)


def normalize_keep_punct(text: str) -> str:
    """Like ``normalize`` but keeps surrounding punctuation (``".50"`` stays ``".50"``)."""
    return _norm(text, False)


# --- free text -------------------------------------------------------------

def _clean_table() -> dict[int, Any]:
    table: dict[int, Any] = {c: None for c in range(0x20)}
    table[0x7F] = None
    for c in range(0x80, 0xA0):
        table[c] = None
    table[ord("\n")] = "\n"
    table[ord("\t")] = " "
    table[ord("\r")] = "\n"
    table[0x85] = "\n"
    table[0x2028] = "\n"
    table[0x2029] = "\n"
    for c in range(0xD800, 0xE000):  # lone surrogates cannot be stored as UTF-8
        table[c] = None
    return table


_CLEAN_TABLE = _clean_table()
_BLANK_LINES = re.compile(r"[ \t]*\n[ \t\n]*\n")


def clean_text(text: Any) -> str:
    """Free text kept as typed: control characters and NUL removed, CR/LF unified,
    surrounding whitespace stripped. Emoji, joiners, RTL marks and every script stay."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    s = text.replace("\r\n", "\n").translate(_CLEAN_TABLE)
    if "\n\n" in s:
        s = _BLANK_LINES.sub("\n\n", s)
    return s.strip()


# --- word lists ------------------------------------------------------------

def split_alternatives(entry: str) -> list[str]:
    """A locale list entry may hold alternatives separated by ``|``: ``"uno|una|un"``."""
    return [w for w in (p.strip() for p in entry.split("|")) if w]


T = TypeVar("T")

_by_identity: dict[Any, Any] = {}
_by_content: dict[Any, Any] = {}
_CACHE_LIMIT = 256


def _raw_words(ctx: Any, keys: tuple[str, ...]) -> tuple:
    langs = [ctx.lang, *[l for l in ctx.langs if l != ctx.lang]]
    raw = []
    for lang in langs:
        per = []
        for key in keys:
            try:
                got = ctx.vocab(lang, key)
            except Exception:  # a broken vocab must not turn user text into a crash
                got = None
            if isinstance(got, str):
                got = [got]
            words = tuple(w for w in (got or ()) if isinstance(w, str))
            per.append(words)
        raw.append((lang, tuple(per)))
    return tuple(raw)


def lexicon(ctx: Any, name: str, keys: tuple[str, ...], build: Callable[[tuple], T]) -> T:
    """Build (once) and return what ``build`` makes of the word lists ``keys``.

    Entries are keyed by ``name`` and ``build`` together, so two kinds reading the
    same lists into different shapes never get each other's table.

    ``build`` receives ``((lang, (words_for_keys[0], words_for_keys[1], ...)), ...)``
    with the contact's language first.
    """
    try:
        k1 = (name, build, ctx.vocab, ctx.lang, ctx.langs)
        hit = _by_identity.get(k1)
    except TypeError:  # unhashable vocab or langs
        k1 = None
        hit = None
    if hit is not None:
        return hit
    raw = _raw_words(ctx, keys)
    k2 = (name, build, raw)
    built = _by_content.get(k2)
    if built is None:
        built = build(raw)
        if len(_by_content) >= _CACHE_LIMIT:
            _by_content.clear()
        _by_content[k2] = built
    if k1 is not None:
        if len(_by_identity) >= _CACHE_LIMIT:
            _by_identity.clear()
        _by_identity[k1] = built
    return built


def spec_cache(store: dict, spec: Any, build: Callable[[Any], T]) -> T:
    """Memoise ``build(spec)`` by the identity of a flow's spec mapping.

    The cache holds a reference to ``spec`` so its id cannot be reused while the
    entry lives; specs are loaded once from YAML and not mutated.
    """
    key = id(spec)
    hit = store.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    built = build(spec)
    if len(store) >= _CACHE_LIMIT:
        store.clear()
    store[key] = (spec, built)
    return built

