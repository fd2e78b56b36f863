"""The coordinator glossary, ``locales/glossary.yaml``: phrases per language.

Format (one entry per meaning; a language maps to one phrase or a list whose
first item is what the line writes and the rest are other ways to say it)::

    entries:
      - {en: change the sheets, es: cambiar las sábanas}
      - {en: [mop the floor, mop the floors], es: [trapear el piso, trapear los pisos]}

A third language is one more key per entry (``fr: changer les draps``): no
code changes.

How it is applied (before any provider):

* a whole text that is an entry's phrase (case, accents, extra spaces and a
  final ``.``/``!`` ignored) becomes the other language's phrase;
* a text made only of such phrases, separated by commas, semicolons or new
  lines ("Mop the floor, change the sheets") is assembled from them, with its
  separators kept;
* anything else goes to the provider whole. Swapping glossary words inside a
  sentence garbles grammar and gives machine translators half-translated
  input, so the glossary never does that.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_PATH = ROOT / "locales" / "glossary.yaml"
_SEPARATORS = re.compile(r"(\s*[,;\n]\s*)")
_TRAIL = ".!¡¿?"


def key(text: str) -> str:
    """A phrase as the glossary compares it: no case, accents, extra spaces or end marks."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.strip().strip(_TRAIL).split())


class Glossary:
    def __init__(self, entries: list[dict[str, list[str]]] | None = None):
        # (source lang, phrase key) -> entry index
        self.entries = entries or []
        self.index: dict[tuple[str, str], int] = {}
        for i, entry in enumerate(self.entries):
            for lang, phrases in entry.items():
                for phrase in phrases:
                    self.index.setdefault((lang, key(phrase)), i)

    @classmethod
    def from_data(cls, data: Any) -> "Glossary":
        entries = []
        for raw in (data or {}).get("entries") or [] if isinstance(data, dict) else []:
            if not isinstance(raw, dict):
                continue
            entry = {}
            for lang, value in raw.items():
                phrases = [value] if isinstance(value, str) else value if isinstance(value, list) else []
                phrases = [str(p).strip() for p in phrases if str(p).strip()]
                if phrases:
                    entry[str(lang)] = phrases
            if len(entry) >= 2:
                entries.append(entry)
        return cls(entries)

    def phrase(self, text: str, source: str, target: str) -> str | None:
        """The target phrase for one whole phrase, keeping a leading capital."""
        i = self.index.get((source, key(text)))
        if i is None or target not in self.entries[i]:
            return None
        out = self.entries[i][target][0]
        stripped = text.strip()
        if stripped[:1].isupper():
            out = out[:1].upper() + out[1:]
        return out

    def translate(self, text: str, source: str, target: str) -> str | None:
        """``text`` in ``target`` when the glossary covers all of it, else None."""
        if not text.strip():
            return None
        whole = self.phrase(text, source, target)
        if whole is not None:
            return whole
        parts = _SEPARATORS.split(text.strip())
        if len(parts) < 3:
            return None
        out = []
        for i, part in enumerate(parts):
            if i % 2:  # a separator: kept as written
                out.append(part)
                continue
            if not part.strip():
                return None
            phrase = self.phrase(part, source, target)
            if phrase is None:
                return None
            out.append(phrase)
        return "".join(out)


_CACHE: dict[str, tuple[tuple, Glossary]] = {}


def load_glossary(path: str | Path | None = None) -> Glossary:
    """The glossary at ``path`` (default ``locales/glossary.yaml``), re-read
    when the file changes; an unreadable file is an empty glossary (logged)."""
    path = Path(path or DEFAULT_PATH)
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        return Glossary()
    cached = _CACHE.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        glossary = Glossary.from_data(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        log.warning("glossary %s unreadable (%s); using none", path, exc)
        glossary = Glossary()
    _CACHE[str(path)] = (stamp, glossary)
    return glossary
