"""The locale catalog: every user-facing string, by language and dotted key.

``locales/<lang>.yaml`` files are nested mappings; the catalog flattens them to
``"main.welcome"`` keys. Values are strings (templates with ``{placeholders}``)
or lists of words (what people may type, under ``input.`` and ``keywords.``).

Lookup order at run time: the contact's language, then the line's default.
A key missing everywhere renders ``common.unavailable`` (lint makes that
impossible for shipped flows), never the raw key and never an exception.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

from babel.dates import format_time
from babel.numbers import format_currency
from babel import Locale, UnknownLocaleError

# Babel writes "3:30\u202fPM" and "80,00\xa0$": those spaces are not in the
# GSM-7 alphabet, so one of them would make a whole SMS UCS-2 (half the
# characters per segment). A plain space reads the same on every phone.
_SMS_SPACES = str.maketrans({"\u202f": " ", "\xa0": " ", "\u2009": " "})


def sms_spaces(text: str) -> str:
    return text.translate(_SMS_SPACES)

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
FALLBACK_TEXT = "Sorry, something went wrong. Text HELP. / Lo siento, algo falló. Envía AYUDA."


def flatten(tree: Mapping, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, full + "."))
        else:
            out[full] = value
    return out


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class Template:
    """A string split once into literal and placeholder parts.

    ``fmt`` is the same text as a positional ``str.format`` pattern (literal
    braces escaped, one ``{}`` per placeholder in ``names`` order), so filling
    a prompt is one C call instead of a generator over the parts. ``plain``:
    every placeholder is a bare variable name (no ``contact.``/``line.``/dots)."""

    __slots__ = ("parts", "names", "source", "fmt", "plain")

    def __init__(self, source: str):
        self.source = source
        self.parts: list[tuple[bool, str]] = []
        pos = 0
        for m in PLACEHOLDER.finditer(source):
            if m.start() > pos:
                self.parts.append((False, source[pos : m.start()]))
            self.parts.append((True, m.group(1)))
            pos = m.end()
        if pos < len(source):
            self.parts.append((False, source[pos:]))
        self.names = tuple(name for is_name, name in self.parts if is_name)
        self.fmt = "".join("{}" if is_name else _literal(text) for is_name, text in self.parts)
        self.plain = not any("." in name for name in self.names)

    def render(self, lookup: Callable[[str], str]) -> str:
        if not self.names:
            return self.source
        return self.fmt.format(*[lookup(name) for name in self.names])


class Catalog:
    def __init__(self, trees: Mapping[str, Mapping], default_lang: str, currency: str = "USD", region: str = "US"):
        if default_lang not in trees:
            raise ValueError(f"default language {default_lang!r} has no locale file")
        self.default_lang = default_lang
        self.currency = currency
        self.region = region
        self._babel: dict[str, str] = {}
        self.langs = tuple([default_lang] + sorted(l for l in trees if l != default_lang))
        self.flat: dict[str, dict[str, Any]] = {lang: flatten(tree) for lang, tree in trees.items()}
        self._templates: dict[tuple[str, str], Template] = {}

    def money_locale(self, lang: str) -> str:
        """The language as money is written where the line is: Spanish in the
        US writes "$80.00", not Spain's "80,00 US$". (Times keep the
        language's own form: "a las 15:30" reads right, "a las 1:30 p.m."
        does not.)"""
        got = self._babel.get(lang)
        if got is None:
            got = lang
            try:
                got = str(Locale.parse(f"{lang}_{self.region}"))
            except (UnknownLocaleError, ValueError):
                pass
            self._babel[lang] = got
        return got

    # -------------------------------------------------------------- lookup
    def lang_for(self, lang: str | None) -> str:
        return lang if lang in self.flat else self.default_lang

    def has(self, lang: str, key: str) -> bool:
        return key in self.flat.get(lang, {})

    def raw(self, lang: str | None, key: str) -> Any:
        lang = self.lang_for(lang)
        value = self.flat[lang].get(key)
        if value is None:
            value = self.flat[self.default_lang].get(key)
        return value

    def words(self, lang: str, key: str) -> list[str]:
        """Word list at ``key`` in exactly ``lang`` ([] when missing)."""
        value = self.flat.get(lang, {}).get(key)
        if isinstance(value, list):
            return [str(v) for v in value]
        if isinstance(value, str):
            return [value]
        return []

    def template(self, lang: str | None, key: str) -> Template:
        lang = self.lang_for(lang)
        cached = self._templates.get((lang, key))
        if cached is not None:
            return cached
        value = self.raw(lang, key)
        if not isinstance(value, str):
            value = self.raw(lang, "common.unavailable")
            if not isinstance(value, str):
                value = FALLBACK_TEXT
        tpl = Template(value)
        self._templates[(lang, key)] = tpl
        return tpl

    def text(self, lang: str | None, key: str, values: Mapping[str, Any] | Callable[[str], Any] = None) -> str:
        lang = self.lang_for(lang)
        tpl = self.template(lang, key)
        if not tpl.names:
            return tpl.source
        get = values if callable(values) else (values or {}).get
        fmt = self.format_value
        return tpl.fmt.format(*[fmt(lang, get(name)) for name in tpl.names])

    # -------------------------------------------------------------- values
    def format_value(self, lang: str, value: Any) -> str:
        kind = type(value)
        # The usual values first (exact types: bool is not int here, and a str
        # subclass takes the general path): a filled-in answer or a count.
        if kind is str and value:
            return value
        if kind is int:
            return str(value)
        if value is None or value == "":
            # A detail nobody gave yet reads "not set", never a blank.
            return self.text(lang, "common.not_set") if self.has(lang, "common.not_set") else ""
        if isinstance(value, bool):
            return self.text(lang, "common.yes" if value else "common.no")
        if isinstance(value, datetime):
            return sms_spaces(format_time(value, format="short", locale=lang))
        if isinstance(value, Decimal):
            return sms_spaces(format_currency(value, self.currency, locale=self.money_locale(lang)))
        return str(value)
