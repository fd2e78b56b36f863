"""Plain-text renderings of a Send shared by the channels, lint and tests.

SMS shows choices as numbered lines under the prompt; a USSD screen does the
same with ``1. Label`` (the USSD adapter adds paging). Telegram renders choices
as buttons and uses the bare text.
"""
from __future__ import annotations

USSD_SCREEN_MAX = 182


def sms_text(text: str, choices=()) -> str:
    lines = [text] if text else []
    lines.extend(f"{num} {label}" for num, label in choices)
    return "\n".join(lines)


def ussd_text(text: str, choices=()) -> str:
    lines = [text] if text else []
    lines.extend(f"{num}. {label}" for num, label in choices)
    return "\n".join(lines)
