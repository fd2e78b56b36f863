"""Guess whether a first text is English or Spanish (lingua, two languages only).

Short greetings ("hi", "ok") are too short to tell; then we say nothing and
the line's default language is used. Models load on first use, once.
"""
from __future__ import annotations

import threading

_detector = None
_lock = threading.Lock()
_CODES = {}
MIN_CONFIDENCE = 0.6


def _build():
    global _detector
    from lingua import Language, LanguageDetectorBuilder

    _CODES.update({Language.ENGLISH: "en", Language.SPANISH: "es"})
    _detector = LanguageDetectorBuilder.from_languages(*_CODES).build()


def detect(text: str, langs: tuple[str, ...] = ("en", "es"), greetings: dict | None = None) -> str | None:
    """``greetings``: lang -> normalised words (``keywords.greetings`` in the
    locales) that settle a short first text before any model is asked: lingua
    alone reads "hello" as Spanish."""
    if not text or not text.strip():
        return None
    if greetings:
        from .engine.inputs.normalize import normalize

        padded = f" {normalize(text)} "
        hits = [lang for lang, vocab in greetings.items()
                if lang in langs and any(f" {w} " in padded for w in vocab)]
        if len(hits) == 1:
            return hits[0]
    with _lock:
        if _detector is None:
            _build()
    values = _detector.compute_language_confidence_values(text[:500])
    if not values:
        return None
    best = values[0]
    code = _CODES.get(best.language)
    if code in langs and best.value >= MIN_CONFIDENCE:
        return code
    return None


def detector_for(catalog):
    """A ``detect(text)`` bound to a catalog's languages and greeting words."""
    from .engine.inputs.normalize import normalize

    greetings = {lang: {normalize(w) for w in catalog.words(lang, "keywords.greetings")} for lang in catalog.langs}
    langs = tuple(catalog.langs)
    return lambda text: detect(text, langs, greetings)
