"""Command triggers: a word or a few words followed by arguments.

``YES 482``, ``LISTO 1 3``, ``PAY 80``, ``NO ENTRY``, ``STOP TALK``: the first
words pick a flow (its ``triggers.commands``); the rest of the text, exactly
as typed, is saved for that flow. The longest phrase wins (``NO ENTRY`` before
``NO``), and a phrase several flows use goes to the first one, in menu order,
that the member's roles allow.
"""
from __future__ import annotations

import re
from typing import Any

from .inputs.normalize import normalize

MAX_WORDS = 4  # the longest command phrase looked for
_TOKEN = re.compile(r"\S+")


def match_command(table: dict, text: str, roles) -> tuple[Any, Any, str] | None:
    """(flow, command, rest of the text) or None."""
    if not table:  # no flow has commands: skip the tokenising (it is on every message's path)
        return None
    if len(text.split(None, 1)) == 1:
        # One word ("3", "LATE"), the usual text: the only phrase to try is the
        # whole text, and nothing is left over. (str.split and the \S+ tokens
        # agree on what whitespace is; this skips the regex.)
        for flow, cmd in table.get(normalize(text.rstrip())) or ():
            if flow.allows(roles):
                return flow, cmd, ""
        return None
    tokens = list(_TOKEN.finditer(text))[:MAX_WORDS + 1]
    for n in range(min(MAX_WORDS, len(tokens)), 0, -1):
        entries = table.get(normalize(text[:tokens[n - 1].end()]))
        if not entries:
            continue
        for flow, cmd in entries:
            if flow.allows(roles):
                return flow, cmd, text[tokens[n - 1].end():].strip()
    return None
