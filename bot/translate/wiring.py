"""Build the outbox translation hook from the line's settings (bot/runtime.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping

from .outbox_hook import MAX_TRIES, RETRY_SECONDS, OutboxTranslation
from .providers import make_translator, positive_setting
from .service import CachedTranslation


def outbox_translation(settings: Mapping[str, Any], store: Any, catalog: Callable[[], Any],
                       clock: Callable[[], datetime]) -> OutboxTranslation:
    """TRANSLATOR, TRANSLATOR_TIMEOUT, TRANSLATOR_RETRY_SECONDS, TRANSLATOR_MAX_TRIES,
    TRANSLATOR_GLOSSARY, LIBRETRANSLATE_URL, LIBRETRANSLATE_API_KEY (all optional)."""
    translation = CachedTranslation(store, make_translator(settings), settings.get("TRANSLATOR_GLOSSARY") or None,
                                    clock=clock)
    retry = positive_setting(settings.get("TRANSLATOR_RETRY_SECONDS"), RETRY_SECONDS)
    return OutboxTranslation(store, translation, catalog, clock, retry_seconds=retry,
                             max_tries=int(positive_setting(settings.get("TRANSLATOR_MAX_TRIES"), MAX_TRIES)),
                             check_every=min(5.0, retry))
