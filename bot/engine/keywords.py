"""Global keywords, seen before any flow: opt-out, opt-in, help, menu, language.

The words are data (``keywords.*`` lists in every locale) and match the whole
message, accents and case ignored. The opt-out list mirrors Twilio's defaults
so our record agrees with the carrier's; the send path (channels) enforces it.
"""
from __future__ import annotations

from .inputs.normalize import normalize
from .locales import Catalog

KINDS = ("stop", "start", "help", "menu", "lang_menu")


class KeywordMatcher:
    def __init__(self, catalog: Catalog):
        self.table: dict[str, str] = {}
        # Language names switch to that language ("ESPAÑOL", "ENGLISH").
        for lang in catalog.langs:
            for word in catalog.words(lang, "keywords.switch_to"):
                self.table.setdefault(normalize(word), f"lang:{lang}")
        for kind in KINDS:
            for lang in catalog.langs:
                for word in catalog.words(lang, f"keywords.{kind}"):
                    self.table.setdefault(normalize(word), kind)
        self.opt_in_yes = {normalize(w) for lang in catalog.langs for w in catalog.words(lang, "keywords.opt_in_yes")}

    def match(self, normalized_text: str) -> str | None:
        """'stop', 'start', 'help', 'menu', 'lang_menu', 'lang:<code>' or None."""
        return self.table.get(normalized_text)
