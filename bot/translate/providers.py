"""Machine translation providers behind one small interface.

deep-translator calls ``requests.get``/``requests.post`` with no timeout (see
``deep_translator/libre.py``: ``requests.post(self._base_url + "translate",
params=params)``) and raises its own exceptions, raw ``requests`` ones and
plain ``ValueError``/``KeyError`` on a garbled answer. So every call runs in
a daemon thread we wait on for at most ``TRANSLATOR_TIMEOUT`` seconds, and
everything it raises becomes :class:`TranslationError`. A call that times out
keeps its thread until the socket gives up; at most ``MAX_IN_FLIGHT`` such
threads exist at once (more calls fail at once as "busy"), so a hung
provider can never pile threads up nor hold the outbox worker.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Mapping, Protocol

DEFAULT_TIMEOUT = 5.0  # seconds a provider call may take (TRANSLATOR_TIMEOUT)
MAX_IN_FLIGHT = 4  # provider calls running at once, timed-out ones included
PROVIDERS = ("google", "mymemory", "libre", "none")


class TranslationError(Exception):
    """Translation did not happen; ``reason`` says why (for logs and records)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Translator(Protocol):
    name: str

    def translate(self, text: str, source: str, target: str) -> str:
        """``text`` from language ``source`` to ``target`` (ISO 639-1 codes);
        raises :class:`TranslationError`."""


class NoTranslator:
    """``TRANSLATOR=none`` (the default): nothing is machine translated."""

    name = "none"

    def translate(self, text: str, source: str, target: str) -> str:
        if source == target:
            return text
        raise TranslationError("no translator configured")


class DeepTranslator:
    """A deep-translator provider, called with a timeout and every error caught.

    ``factory(source, target)`` builds the deep-translator object (its
    constructor validates the languages, so it runs in the guarded thread too)."""

    def __init__(self, name: str, factory: Callable[[str, str], Any], timeout: float = DEFAULT_TIMEOUT,
                 max_in_flight: int = MAX_IN_FLIGHT):
        self.name = name
        self.factory = factory
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self._lock = threading.Lock()
        self._in_flight = 0

    def translate(self, text: str, source: str, target: str) -> str:
        if source == target or not text.strip():
            return text
        with self._lock:
            if self._in_flight >= self.max_in_flight:
                raise TranslationError(f"{self.name}: busy ({self._in_flight} calls still running)")
            self._in_flight += 1
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["ok"] = self.factory(source, target).translate(text)
            except BaseException as exc:  # noqa: BLE001 - anything deep-translator or requests raise
                box["error"] = exc
            finally:
                with self._lock:
                    self._in_flight -= 1

        thread = threading.Thread(target=work, name=f"vecina-translate-{self.name}", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            raise TranslationError(f"{self.name}: no answer within {self.timeout:g}s")
        if "error" in box:
            exc = box["error"]
            raise TranslationError(f"{self.name}: {type(exc).__name__}: {exc}"[:300]) from exc
        result = box.get("ok")
        if not isinstance(result, str) or not result.strip():
            raise TranslationError(f"{self.name}: empty or odd answer {type(result).__name__}")
        return result


def positive_setting(raw: Any, default: float) -> float:
    """A positive number from a setting (env values are strings); anything
    else, the default."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def _mymemory_code(lang: str) -> str:
    """MyMemory wants "en-GB", "es-ES": the region code its own table has for ``lang``."""
    from deep_translator.constants import MY_MEMORY_LANGUAGES_TO_CODES

    codes = [c for c in MY_MEMORY_LANGUAGES_TO_CODES.values() if c.split("-")[0] == lang]
    preferred = f"{lang}-{lang.upper()}"
    return preferred if preferred in codes else (codes[0] if codes else lang)


def make_translator(settings: Mapping[str, Any]) -> Translator:
    """The provider ``TRANSLATOR`` names (google, mymemory, libre, none; default none).

    libre: ``LIBRETRANSLATE_URL`` (e.g. http://127.0.0.1:5000/) and
    ``LIBRETRANSLATE_API_KEY``. deep-translator refuses an empty key, so a
    server without keys gets the placeholder "none" (such servers ignore it).
    An unknown name or libre without a URL means no translator (and a
    warning), never a crash at start."""
    name = str(settings.get("TRANSLATOR") or "none").strip().lower()
    timeout = positive_setting(settings.get("TRANSLATOR_TIMEOUT"), DEFAULT_TIMEOUT)
    if name == "google":
        def google(source: str, target: str):
            from deep_translator import GoogleTranslator

            return GoogleTranslator(source=source, target=target)

        return DeepTranslator("google", google, timeout)
    if name == "mymemory":
        def mymemory(source: str, target: str):
            from deep_translator import MyMemoryTranslator

            return MyMemoryTranslator(source=_mymemory_code(source), target=_mymemory_code(target))

        return DeepTranslator("mymemory", mymemory, timeout)
    if name == "libre":
        url = str(settings.get("LIBRETRANSLATE_URL") or "").strip()
        if not url:
            import logging

            logging.getLogger(__name__).warning("TRANSLATOR=libre needs LIBRETRANSLATE_URL; not translating")
            return NoTranslator()
        url = url if url.endswith("/") else url + "/"  # deep-translator appends "translate"
        key = str(settings.get("LIBRETRANSLATE_API_KEY") or "") or "none"

        def libre(source: str, target: str):
            from deep_translator import LibreTranslator

            return LibreTranslator(source=source, target=target, api_key=key, custom_url=url)

        return DeepTranslator("libre", libre, timeout)
    if name not in PROVIDERS:
        import logging

        logging.getLogger(__name__).warning("unknown TRANSLATOR %r (known: %s); not translating",
                                            name, ", ".join(PROVIDERS))
    return NoTranslator()
