"""Splitting a long text into provider-sized messages at word boundaries.

Twilio refuses a Body over 1600 characters, so a longer text goes out as
several messages, in order. Length is measured in UTF-16 code units (an emoji
counts two), the conservative reading of the provider's limit. A cut falls on
the last whitespace that fits, preferring a line break in the second half of
the part; the whitespace at the cut is dropped. Only a single "word" longer
than the limit (a URL, say) is cut inside.
"""
from __future__ import annotations

TWILIO_BODY_MAX = 1600


def units(text: str) -> int:
    """UTF-16 code units, as the provider counts characters."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str, limit: int) -> int:
    """The largest prefix length (in characters) of ``text`` within ``limit`` units."""
    if units(text) <= limit:
        return len(text)
    n, used = 0, 0
    for ch in text:
        w = 2 if ord(ch) > 0xFFFF else 1
        if used + w > limit:
            break
        used += w
        n += 1
    return n


def _last_space(text: str) -> int:
    for i in range(len(text) - 1, 0, -1):
        if text[i].isspace():
            return i
    return -1


def split_text(text: str, limit: int = TWILIO_BODY_MAX) -> list[str]:
    """Parts of ``text``, each non-empty and at most ``limit`` units, in order.

    Joining the parts with the dropped whitespace gives ``text`` back (apart
    from whitespace at the cuts), and no word is cut unless it alone is
    longer than ``limit``."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if units(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text.strip()  # whitespace around a long text carries nothing
    while units(rest) > limit:
        n = _fit(rest, limit)
        if rest[n].isspace():
            cut = n  # the part ends exactly at a word's end
        else:
            head = rest[:n]
            newline = head.rfind("\n")
            space = newline if newline > n // 2 else _last_space(head)
            cut = space if space > 0 else n  # one word longer than the limit: cut inside it
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts
