"""Translation: one small interface over deep-translator, a coordinator glossary
and a cache in the store.

* :class:`Translator` — ``translate(text, source, target) -> str``, raising
  :class:`TranslationError` for every failure (provider down, timeout, bad
  answer, unsupported language). ``make_translator(settings)`` picks the
  provider from ``TRANSLATOR`` (google, mymemory, libre, none).
* :class:`Glossary` — ``locales/glossary.yaml``: phrases per language, applied
  before any provider.
* :class:`CachedTranslation` — glossary, then the store's ``translate.cache``,
  then the provider (whose answers are cached).
* :class:`OutboxTranslation` — the outbox worker's ``prepare`` hook: a message
  with ``"translate": {source, target, body}`` has ``body`` replaced in its
  text before sending; on failure it goes untranslated with a note and the
  translation follows later (``translate.pending``).

I/O rule: providers are only ever called from the worker (the outbox hook),
never on a webhook path. Actions may call :func:`translate_now`, which uses
only the glossary and the cache.
"""
from .glossary import Glossary, load_glossary
from .providers import NoTranslator, Translator, TranslationError, make_translator
from .service import CachedTranslation, translate_now
from .outbox_hook import OutboxTranslation



def body_at(catalog, lang: str, key: str, values: dict, field: str) -> int | None:
    """Where ``values[field]`` lands in the rendered ``key``: the template is
    rendered once more with a marker in its place (the outbox hook replaces
    exactly that span with the translation)."""
    marker = "\x00body\x00"
    probe = catalog.text(lang, key, {**values, field: marker})
    i = probe.find(marker)
    return i if i >= 0 and probe.count(marker) == 1 else None


__all__ = ["CachedTranslation", "Glossary", "NoTranslator", "OutboxTranslation", "TranslationError", "Translator",
           "body_at", "load_glossary", "make_translator", "translate_now"]
