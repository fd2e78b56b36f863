"""Shared helpers of the line's services (childcare, school alerts, cleaning, peer support)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..engine.model import Contact
from ..store.contacts import view

_DIGITS = re.compile(r"\d+")


def int_setting(settings: Mapping[str, Any], name: str, default: int, low: int = 1, high: int | None = None) -> int:
    """An integer service setting. Settings come from the environment as
    strings; a bad or out-of-range value falls back to the default rather
    than break a conversation."""
    try:
        value = int(str(settings.get(name, default)).strip())
    except (TypeError, ValueError):
        return default
    return value if value >= low and (high is None or value <= high) else default


def busy_elsewhere(store: Any, number: str, now: datetime, resting: Iterable[str]) -> bool:
    """True when ``number`` is in the middle of a conversation other than the
    ``resting`` ones (the menu, the service's own): the line then does not
    pull them into a new one (a start:<flow> event) to hear a reply."""
    session = store.get_session(number)
    return session is not None and session.busy_outside(resting, now)


def first_number(text: Any) -> str:
    """The first number in what someone typed after a command: a request or
    post code ("482", "#482"), a pseudonym ("Volunteer 3310"); "" when none."""
    found = _DIGITS.findall(str(text or ""))
    return found[0] if found else ""


def member(store: Any, number: str | None) -> Contact | None:
    """The member with this number as the engine sees them, or None."""
    rec = store.get_contact(number) if number else None
    return view(rec) if rec else None
