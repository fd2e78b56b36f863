"""SMS segment arithmetic (GSM 03.38).

A text that fits the GSM-7 alphabet takes 160 characters in one segment and
153 per segment when split (extension characters such as ``€ [ ] { }`` count
twice). Any other character forces UCS-2: 70 in one segment, 67 when split.
In Spanish, ``é ñ ü ¿ ¡`` are GSM-7 but ``á í ó ú`` are not.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    ucs2_chars: tuple[str, ...]  # the characters that forced UCS-2


def count(text: str) -> SegmentInfo:
    forcing = []
    septets = 0
    for ch in text:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENDED:
            septets += 2
        else:
            forcing.append(ch)
    if not forcing:
        segs = 1 if septets <= 160 else -(-septets // 153)
        return SegmentInfo("GSM-7", septets, max(segs, 1), ())
    units = len(text.encode("utf-16-le")) // 2
    segs = 1 if units <= 70 else -(-units // 67)
    return SegmentInfo("UCS-2", units, max(segs, 1), tuple(dict.fromkeys(forcing)))


# Accented letters that force UCS-2 but read fine without the accent.
_FOLD = str.maketrans({"á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U",
                       "â": "a", "ê": "e", "ô": "o", "ã": "a", "õ": "o", "ç": "c", "È": "E", "À": "A",
                       "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})


def fold_for_sms(text: str) -> str:
    """Fold accents that force UCS-2, but only when that saves segments."""
    folded = text.translate(_FOLD)
    if folded == text:
        return text
    return folded if count(folded).segments < count(text).segments else text
