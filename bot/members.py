"""Member rosters for coordinators: validation shared by the CLI and the web."""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import phonenumbers

from .flowfiles import is_locale_file
from .store.contacts import ROLES

_LOCALES = Path(__file__).resolve().parent.parent / "locales"


def locale_langs(locales_dir: str | Path | None = None) -> tuple[str, ...]:
    """The languages the line speaks: one per ``locales/<lang>.yaml`` (the
    same files the catalog reads: a short alphabetic name, so glossary.yaml is
    not one). Adding locales/fr.yaml adds French with no code change."""
    folder = Path(locales_dir or os.environ.get("LOCALES_DIR") or _LOCALES)
    langs = sorted(p.stem for p in folder.glob("*.yaml") if is_locale_file(p))
    return tuple(langs) or ("en",)


LANGS = locale_langs()
TRUE = {"1", "true", "yes", "y", "si", "sí", "x"}


class MemberError(ValueError):
    pass


def normalise_number(raw: str, region: str) -> str:
    """``raw`` as E.164, or MemberError. The same few thousand numbers text the
    line again and again, and phonenumbers takes ~100 us per number: the
    answers (refusals too) are cached."""
    number, error = _normalise(str(raw).strip(), region)
    if error:
        raise MemberError(error)
    return number


@lru_cache(maxsize=8192)
def _normalise(raw: str, region: str) -> tuple[str, str]:
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        return "", f"not a phone number: {raw!r} ({exc})"
    if not phonenumbers.is_valid_number(num):
        return "", f"not a valid phone number: {raw!r}"
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), ""


def member_fields(roles: Iterable[str], name: str | None = None, lang: str | None = None, area: str | None = None,
                  vetted: bool | None = None, trained: bool | None = None, languages: str | None = None,
                  quiet: str | None = None) -> dict[str, Any]:
    roles = [r.strip().lower() for r in roles if r and r.strip()]
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise MemberError(f"unknown role {bad[0]!r} (roles: {', '.join(ROLES)})")
    if not roles:
        raise MemberError("at least one role is needed")
    if lang and lang not in LANGS:
        raise MemberError(f"unknown language {lang!r} ({' or '.join(LANGS)})")
    fields: dict[str, Any] = {"roles": sorted(set(roles))}
    for key, value in (("name", name), ("lang", lang), ("area", area)):
        if value:
            fields[key] = value.strip()
    if vetted is not None:
        fields["vetted"] = bool(vetted)
    if trained is not None:
        fields["trained"] = bool(trained)
    if languages:
        fields["languages"] = parse_languages(languages)
    if quiet:
        fields["quiet_start"], fields["quiet_end"] = parse_quiet(quiet)
    return fields


_CLOCK = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d))?$")
QUIET_OFF = {"off", "none", "no", "never"}


def parse_languages(raw: str) -> list[str]:
    """ "en,es", "es en", "EN;es" -> ["en", "es"]: the languages a peer
    volunteer gets posts in (bot/services/peer.py; without it, their own lang)."""
    langs = list(dict.fromkeys(p.lower() for p in re.split(r"[\s,;/]+", str(raw)) if p))
    bad = [p for p in langs if p not in LANGS]
    if bad:
        raise MemberError(f"unknown language {bad[0]!r} in languages ({' or '.join(LANGS)})")
    if not langs:
        raise MemberError("languages needs at least one language, like en,es")
    return langs


def parse_quiet(raw: str) -> tuple[str, str]:
    """ "22:00-07:00", "22-7" -> ("22:00", "07:00"): a peer volunteer gets no
    new posts from the first time until the second (line time). "off" ->
    ("00:00", "00:00"): no quiet hours at all (start = end)."""
    text = str(raw).strip().lower()
    if text in QUIET_OFF:
        return "00:00", "00:00"
    parts = [p.strip() for p in re.split(r"\s*(?:-|–|to|a)\s*", text) if p.strip()]
    times = [_CLOCK.match(p) for p in parts]
    if len(parts) != 2 or not all(times):
        raise MemberError(f"quiet hours look like 22:00-07:00 (or off), not {raw!r}")
    start, end = (f"{int(m.group(1)):02d}:{m.group(2) or '00'}" for m in times)
    return start, end


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)  # (line, reason)


def read_csv(lines: Iterable[str], region: str) -> Iterable[tuple[int, str | None, dict | None, str | None]]:
    """Yield (line number, number, fields, error) per data row of a roster CSV.

    Columns: number, roles (separated by ; or spaces), name, lang, area, vetted, trained,
    and for peer volunteers languages ("en es") and quiet ("22:00-07:00")."""
    reader = csv.DictReader(lines)
    if not reader.fieldnames or "number" not in [f.strip().lower() for f in reader.fieldnames]:
        yield 1, None, None, "the first line must name the columns, with at least 'number' and 'roles'"
        return
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        line = reader.line_num
        try:
            number = normalise_number(row.get("number", ""), region)
            roles = row.get("roles", "").replace(";", " ").replace(",", " ").split()
            fields = member_fields(roles, row.get("name") or None, (row.get("lang") or "").lower() or None,
                                   row.get("area") or None,
                                   (row.get("vetted", "").lower() in TRUE) if "vetted" in row else None,
                                   (row.get("trained", "").lower() in TRUE) if "trained" in row else None,
                                   row.get("languages") or None, row.get("quiet") or None)
        except MemberError as exc:
            yield line, None, None, str(exc)
            continue
        yield line, number, fields, None


def save_member(store: Any, number: str, fields: dict, now: datetime) -> bool:
    """Add or update one member (an import row, a form): True when added."""
    with store.transaction() as tx:
        if tx.get_contact(number) is None:
            tx.upsert_contact(number, created_at=now, **fields)
            return True
        tx.upsert_contact(number, **fields)
        return False
