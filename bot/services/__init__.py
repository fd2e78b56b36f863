"""Shared helpers of the line's services (childcare, school alerts, cleaning, peer support)."""
from __future__ import annotations

from typing import Any, Mapping


def int_setting(settings: Mapping[str, Any], name: str, default: int, low: int = 1, high: int | None = None) -> int:
    """An integer service setting. Settings come from the environment as
    strings; a bad or out-of-range value falls back to the default rather
    than break a conversation."""
    try:
        value = int(str(settings.get(name, default)).strip())
    except (TypeError, ValueError):
        return default
    return value if value >= low and (high is None or value <= high) else default
