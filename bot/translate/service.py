"""Glossary, then cache, then provider.

The glossary is looked up first (an in-memory dict; a coordinator's edit must
win over an older machine translation of the same phrase, so glossary answers
are never cached). Provider answers are cached in the store as records of kind
``translate.cache`` whose id is a hash of (source, target, text): each text is
sent to a provider once.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Mapping

from .glossary import Glossary, load_glossary
from .providers import NoTranslator, TranslationError, Translator

CACHE_KIND = "translate.cache"
MAX_TEXT = 2000  # characters sent to a provider at most; longer texts are not machine translated


def cache_id(source: str, target: str, text: str) -> str:
    return hashlib.sha256(f"{source}\x1f{target}\x1f{text}".encode("utf-8")).hexdigest()[:32]


def lookup(store: Any, glossary: Glossary, text: str, source: str, target: str) -> str | None:
    """The translation known without a provider (glossary, cache), or None."""
    if source == target or not text.strip():
        return text
    found = glossary.translate(text, source, target)
    if found is not None:
        return found
    cached = store.get_record(CACHE_KIND, cache_id(source, target, text))
    return cached.get("result") if cached else None


def translate_now(store: Any, settings: Mapping[str, Any], text: str, source: str | None,
                  target: str | None) -> str | None:
    """For actions (webhook path): the translation when the glossary or the
    cache has it, else None (then let the outbox worker translate it: a
    ``Send(..., extra={"translate": {...}})``). Never calls a provider."""
    if not source or not target:
        return text
    glossary = load_glossary(settings.get("TRANSLATOR_GLOSSARY") or None)
    return lookup(store, glossary, text, source, target)


class CachedTranslation:
    """``translate(text, source, target)`` with the glossary and the store's
    cache in front of ``provider``; raises :class:`TranslationError`."""

    def __init__(self, store: Any, provider: Translator | None = None, glossary_path: str | None = None,
                 clock=lambda: datetime.now(timezone.utc)):
        self.store = store
        self.provider = provider or NoTranslator()
        self.glossary_path = glossary_path
        self.clock = clock

    @property
    def name(self) -> str:
        return self.provider.name

    @property
    def glossary(self) -> Glossary:
        return load_glossary(self.glossary_path)

    def known(self, text: str, source: str, target: str) -> str | None:
        return lookup(self.store, self.glossary, text, source, target)

    def translate(self, text: str, source: str, target: str) -> str:
        found = self.known(text, source, target)
        if found is not None:
            return found
        if len(text) > MAX_TEXT:
            raise TranslationError(f"text longer than {MAX_TEXT} characters")
        result = self.provider.translate(text, source, target)
        rid = cache_id(source, target, text)
        self.store.put_record(CACHE_KIND, rid, {"id": rid, "source": source, "target": target, "text": text,
                                                "result": result, "provider": self.provider.name,
                                                "at": self.clock()})
        return result
