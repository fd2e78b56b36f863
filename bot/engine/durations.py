"""Durations in flow files: ``30s``, ``15m``, ``2h``, ``1d``, ``1h30m``."""
from __future__ import annotations

import re

_PART = re.compile(r"(\d+)\s*([smhd])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhd]\s*)+$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value) -> int | None:
    """Seconds, or None when ``value`` is not a duration (a bare int is minutes)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * 60 if value > 0 else None
    if not isinstance(value, str) or not _WHOLE.match(value):
        return None
    total = sum(int(n) * _UNIT[u] for n, u in _PART.findall(value))
    return total or None
