"""Builds a ParseContext from locales/en.yaml and locales/es.yaml (tests only)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.engine.inputs import ParseContext

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "es")
#: a fixed UTC-7 zone (a Wednesday in Los Angeles, summer time) for the examples
TZ = timezone(timedelta(hours=-7))


@lru_cache(maxsize=None)
def locale(lang: str) -> dict[str, Any]:
    with open(ROOT / "locales" / f"{lang}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def input_section(lang: str) -> dict[str, Any]:
    return locale(lang).get("input") or {}


def vocab(lang: str, key: str) -> list[str]:
    """The list at ``input.<key>`` of ``lang``, [] when missing."""
    got = input_section(lang).get(key)
    return list(got) if isinstance(got, list) else []


def hint(lang: str, key: str) -> str | None:
    """The string at a dotted key such as ``input.time.past``."""
    node: Any = locale(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def at(hour: int, minute: int = 0, second: int = 0, day: int = 11, tz: Any = TZ) -> datetime:
    return datetime(2025, 6, day, hour, minute, second, tzinfo=tz)


def make_ctx(lang: str = "en", now: datetime | None = None, region: str = "US") -> ParseContext:
    langs = (lang, *[l for l in LANGS if l != lang])
    return ParseContext(lang=lang, langs=langs, now=now or at(13), region=region, vocab=vocab)
