"""Peer support: find what could identify someone in a text, and remove it.

A post reaches strangers, so before any peer reads it, phone numbers (in any
usual format, spelled out too: "four one five…"), e-mail addresses (also
"ana at gmail dot com"), links and bare domains, @handles, street addresses
(a number and a street word, in English or Spanish) and self-introductions
("my name is Ana", "me llamo Ana") become the locale's ``[removed]``.

The same detectors make a peer's reply fail moderation (``identifiers``): a
reply is refused, not edited, so the peer learns why.

Deliberately greedy: a false "[removed]" costs a word, a miss can cost
someone their safety.
"""
from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

_I = re.IGNORECASE

# 7+ digits with a few separators between them: 4155552671, (415) 555-2671,
# +1 415.555.2671, 415 555 26 71. Dates and amounts rarely have 7 digits.
_DIGIT_RUN = re.compile(r"\+?\(?\d(?:[\s().\-/]{0,3}\d){6,}\)?")

_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")  # 12/03/2026 is a date, not a number to hide
_TRIM = " \t\n,.;:-"

_NUMBER_WORDS = (
    "zero|oh|one|two|three|four|five|six|seven|eight|nine|"
    "cero|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve"
)
_SPELLED = re.compile(rf"\b(?:(?:{_NUMBER_WORDS}|\d+)[\s,.\-]*){{7,}}", _I)

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", _I)
_EMAIL_SPELLED = re.compile(
    r"[\w.+\-]+\s*(?:\(at\)|\[at\]|\s(?:at|arroba)\s)\s*[\w\-]+\s*"
    r"(?:\.|\(dot\)|\[dot\]|\s(?:dot|punto)\s)\s*[a-z]{2,6}\b", _I)

_TLDS = ("com|net|org|edu|gov|io|ly|me|co|mx|es|us|uk|ca|info|biz|app|gg|tv|link|xyz|site|online|"
         "live|page|chat|social|club|ar|cl|pe|ve|gt|sv|hn|ni|cr|do|pr|cu|ec|bo|py|uy")
_URL = re.compile(rf"(?:https?://|www\.)\S+|\b[\w\-]+(?:\.[\w\-]+)*\.(?:{_TLDS})\b(?:/\S*)?", _I)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{2,}")

_STREET_EN = ("street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
              "highway|hwy|circle|parkway|pkwy|square|sq")
_ADDRESS_EN = re.compile(rf"\b\d{{1,6}}[a-z]?\s+(?:[^\W\d_][\w'.\-]*\s+){{0,3}}(?:{_STREET_EN})\b\.?", _I)
_STREET_ES = ("calle|c/|avenida|avda|av|carrera|cra|camino|paseo|plaza|colonia|col|callejon|callejón|"
              "privada|bulevar|calzada|pasaje|ronda|vía|via")
_ADDRESS_ES = re.compile(
    rf"(?<!\w)(?:{_STREET_ES})\.?\s+(?:[^\W\d_][\w'.\-]*\s+){{0,4}}(?:#|n[ºo°]\.?|num\.?|número|numero)?\s*\d{{1,6}}\b",
    _I)
_UNIT = re.compile(r"\b(?:apt|apartment|unit|suite|depto|departamento|dpto|piso)\.?\s*#?\s*\d{1,5}[a-z]?\b", _I)

# "my name is Ana", "me llamo Ana María": the name (one word, and a second
# when it is capitalised), never the words before it.
_NAME = re.compile(
    r"\b(?:my name is|my name's|name's|i'm called|i am called|me llamo|mi nombre es|me dicen)\s+"
    r"([^\W\d_][\w'\-]*(?:\s+(?-i:[A-ZÁÉÍÓÚÑ])[\w'\-]*)?)", _I)

KINDS = ("phone", "email", "url", "handle", "address", "name")


def _phone_spans(text: str, region: str) -> list[tuple[int, int, str]]:
    spans = []
    try:
        for m in PhoneNumberMatcher(text, region or "US", leniency=Leniency.POSSIBLE):
            spans.append((m.start, m.end, "phone"))
    except phonenumbers.NumberParseException:  # pragma: no cover - the matcher skips bad candidates
        pass
    for m in _DIGIT_RUN.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) >= 7 and not _DATE.fullmatch(m.group(0).strip()):
            spans.append((m.start(), m.end(), "phone"))
    for m in _SPELLED.finditer(text):
        words = re.findall(rf"{_NUMBER_WORDS}|\d+", m.group(0), _I)
        if sum(len(w) if w.isdigit() else 1 for w in words) >= 7:
            spans.append((m.start(), m.end(), "phone"))
    return spans


def identifiers(text: str, region: str = "US") -> list[tuple[int, int, str]]:
    """(start, end, kind) of everything identifying in ``text``, merged and in order."""
    if not text:
        return []
    spans = _phone_spans(text, region)
    for pattern, kind in ((_EMAIL, "email"), (_EMAIL_SPELLED, "email"), (_URL, "url"), (_HANDLE, "handle"),
                          (_ADDRESS_EN, "address"), (_ADDRESS_ES, "address"), (_UNIT, "address")):
        spans.extend((m.start(), m.end(), kind) for m in pattern.finditer(text))
    spans.extend((m.start(1), m.end(1), "name") for m in _NAME.finditer(text))
    spans = sorted((start, _trimmed_end(text, start, end), kind) for start, end, kind in spans)
    merged: list[list] = []
    for start, end, kind in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, kind])
    return [(s, e, k) for s, e, k in merged]


def _trimmed_end(text: str, start: int, end: int) -> int:
    # a match may swallow the space or comma after it; keep the text's own spacing
    while end > start + 1 and text[end - 1] in _TRIM:
        end -= 1
    return end


def scrub(text: str, removed: str, region: str = "US") -> tuple[str, list[str]]:
    """``text`` with every identifier replaced by ``removed``, and the kinds found."""
    spans = identifiers(text, region)
    if not spans:
        return text, []
    out, pos = [], 0
    for start, end, _kind in spans:
        out.append(text[pos:start])
        out.append(removed)
        pos = end
    out.append(text[pos:])
    return "".join(out), sorted({k for _s, _e, k in spans})
