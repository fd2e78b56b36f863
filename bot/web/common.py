"""Small helpers the coordinator's pages share: masking, member references, JSON."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app


def rt() -> Any:
    return current_app.extensions["vecina"]


def mask(number: Any) -> str:
    """A phone number (or chat id) as lists show it: only its last digits,
    never its country code or area, so no list page gives a number away:
    ``+14155550123`` -> ``•••0123``, ``tg:123456789`` -> ``tg:•••6789``.
    Four digits show when at least five stay hidden, two when at least
    three do, none otherwise."""
    text = str(number or "")
    prefix = "tg:" if text.startswith("tg:") else ""
    digits = [ch for ch in text if ch.isdigit()]
    shown = 4 if len(digits) >= 9 else 2 if len(digits) >= 5 else 0
    return prefix + "•••" + ("".join(digits[-shown:]) if shown else "")


def member_ref(contact_id: str) -> str:
    """An opaque, stable reference to a member for forms and links (never the number)."""
    key = current_app.secret_key or "vecina"
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, contact_id.encode(), hashlib.sha256).hexdigest()[:20]


def find_member(ref: str) -> dict | None:
    for contact in rt().store.list_contacts():
        if hmac.compare_digest(member_ref(contact["id"]), ref or ""):
            return contact
    return None


def jsonable(value: Any) -> Any:
    """Store values (datetimes, Decimals, tuples) as JSON-safe values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def when(value: Any) -> str:
    """A timestamp for a table cell, in the line's time zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(rt().cfg.tz)
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def mentions(value: Any, contact_id: str) -> bool:
    """True when ``contact_id`` is a string anywhere inside ``value``."""
    if isinstance(value, str):
        return value == contact_id
    if isinstance(value, dict):
        return any(mentions(v, contact_id) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(mentions(v, contact_id) for v in value)
    return False
