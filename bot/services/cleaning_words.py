"""Reading what a cleaner or client texts: commands, task lists, task numbers,
amounts with a note, visit dates. Pure functions (no store), so they are
property-tested on any input.

The command words are the locale lists ``cleaning.commands.<name>`` (every
language at once, accents and case ignored, longest phrase first): the same
words as the flow's ``triggers.commands`` (a test keeps the two in step).
They are read here because a member in a job's conversation is answering a
free-text question, where the engine leaves every text to the flow.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Iterable

from ..engine.inputs.normalize import normalize

COMMANDS = ("list", "add", "remove", "send", "done", "here", "no_entry", "pay", "loan", "repay", "accept",
            "decline", "cash", "reverse", "balance", "original", "visit", "close")
MAX_WORDS = 4
MAX_TASK_LEN = 200
_TOKEN = re.compile(r"\S+")
_SPLIT_TASKS = re.compile(r"[\n\r,;]+")
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d{1,2}\s*[.)])\s*")
_AMOUNT_START = re.compile(r"^\s*[-−–+]?\s?[$€£]?\s?[-−–]?[.,]?[0-9]")
_AMOUNT_HEAD = re.compile(r"^\s*((?:[-−–]\s?)?[$€£]?\s?[-−–]?[0-9][0-9.,]*)(?:\s+(.*))?$", re.S)


def command_table(catalog: Any) -> dict[str, str]:
    """Normalised phrase -> command name, over every language of ``catalog``."""
    table: dict[str, str] = {}
    for name in COMMANDS:
        for lang in catalog.langs:
            for word in catalog.words(lang, f"cleaning.commands.{name}"):
                table.setdefault(normalize(word), name)
    table.pop("", None)
    return table


def match(table: dict[str, str], text: str) -> tuple[str, str] | None:
    """(command, rest of the text as typed) or None; the longest phrase wins."""
    if not isinstance(text, str):
        return None
    tokens = list(_TOKEN.finditer(text))[:MAX_WORDS]
    for n in range(len(tokens), 0, -1):
        name = table.get(normalize(text[:tokens[n - 1].end()]))
        if name:
            return name, text[tokens[n - 1].end():].strip()
    return None


def split_tasks(text: str, limit: int = 30) -> list[str]:
    """Tasks from one text: one per line or separated by commas/semicolons;
    bullets and "1." numbering dropped, spaces tidied, empty ones skipped."""
    out = []
    for part in _SPLIT_TASKS.split(text or ""):
        part = " ".join(_BULLET.sub("", part).split())
        if part:
            out.append(part[:MAX_TASK_LEN])
        if len(out) >= limit:
            break
    return out


_AND_WORDS = ("y", "and", "e")
_NUMBER_TOKEN = re.compile(r"[0-9]{1,3}")
MAX_BAD_WORDS = 3  # words echoed back as "not a task number" at most
MAX_BAD_LEN = 20


def read_task_numbers(text: str) -> tuple[list[int], list[str]]:
    """``"1 3 99 abc"`` -> ([1, 3, 99], ["abc"]): the task numbers (sorted,
    unique) and the words that are not numbers, as typed (first few, cut
    short, each once). Whether a number is on the list is the job's business."""
    nums: list[int] = []
    bad: list[str] = []
    for token in re.split(r"[\s,;&+]+", text or ""):
        token = token.strip("#.")
        if not token or normalize(token) in _AND_WORDS:
            continue
        if _NUMBER_TOKEN.fullmatch(token):
            nums.append(int(token))
        elif len(bad) < MAX_BAD_WORDS and token[:MAX_BAD_LEN] not in bad:
            bad.append(token[:MAX_BAD_LEN])
    return sorted(set(nums)), bad


def _looks_like_numbers(rest: str) -> bool:
    """"1 3 99 abc" is a DONE with a typo; "2 hours ago I left" is a note:
    the text starts with a number and has no more other words than numbers."""
    tokens = [t.strip("#.") for t in re.split(r"[\s,;&+]+", rest) if t.strip("#.")]
    tokens = [t for t in tokens if normalize(t) not in _AND_WORDS]
    if not tokens or not _NUMBER_TOKEN.fullmatch(tokens[0]):
        return False
    numbers = sum(1 for t in tokens if _NUMBER_TOKEN.fullmatch(t))
    return numbers >= len(tokens) - numbers


def amount_and_note(text: str) -> tuple[str, str]:
    """``"80,50 for the week"`` -> ("80,50", "for the week"); text without a
    leading figure is all amount (``"veinte dólares"``), no note."""
    m = _AMOUNT_HEAD.match(text or "")
    if not m:
        return (text or "").strip(), ""
    return m.group(1).strip(), " ".join((m.group(2) or "").split())[:120]


def code_of(text: str) -> str | None:
    """The request code: the first run of digits (``"123"``, ``"#123"``)."""
    m = re.search(r"[0-9]{1,6}", text or "")
    return m.group(0) if m else None


_MONTH_FIRST = {"en"}  # languages that write 3/14 for March 14th; the others 14/3


def parse_day(text: str, lang: str, today: date, words: dict[str, Iterable[str]]) -> date | None:
    """A visit day: ``today``/``tomorrow`` words (``words["today"]``,
    ``words["tomorrow"]``), ``2026-03-14``, ``3/14`` (English) or ``14/3``
    (others), with an optional year. A day already past is None."""
    t = normalize(text or "")
    if not t:
        return None
    for name, delta in (("today", 0), ("tomorrow", 1)):
        if t in {normalize(w) for w in words.get(name, ())}:
            return today + timedelta(days=delta)
    m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", t)
    try:
        if m:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            m = re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})(?:[/.-]([0-9]{2}|[0-9]{4}))?", t)
            if not m:
                return None
            a, b = int(m.group(1)), int(m.group(2))
            month, dom = (a, b) if lang in _MONTH_FIRST else (b, a)
            year = int(m.group(3)) if m.group(3) else today.year
            year = year + 2000 if year < 100 else year
            day = date(year, month, dom)
            if not m.group(3) and day < today:
                day = date(year + 1, month, dom)  # "3/1" in December is next year's
    except ValueError:
        return None
    return day if day >= today else None


_BARE = {"list", "here", "balance", "original", "send", "close"}
_CODES = {"accept", "decline", "cash", "reverse"}
_SIDE = {"done": "cleaner", "here": "cleaner", "no_entry": "cleaner", "pay": "cleaner", "loan": "cleaner",
         "repay": "cleaner",
         "add": "client", "remove": "client", "send": "client"}


def plausible(command: str, rest: str, side: str | None) -> bool:
    """Whether a text in the middle of a conversation that starts with a
    command word is that command, not a note ("Here is the key" is a note;
    "HERE" is an arrival). Command triggers outside the conversation are
    always taken as commands."""
    if _SIDE.get(command, side) != side:
        return False
    rest = (rest or "").strip()
    if command in _BARE:
        return not rest
    if command in ("done", "remove"):
        return _looks_like_numbers(rest)
    if command in ("pay", "loan", "repay"):
        # "PAGO 1e9", "PAY -5", "PAY lots": an amount we cannot take gets a
        # re-ask, never relayed as a note; "Pay attention to the dog" is a note.
        return not rest or bool(_AMOUNT_START.match(rest)) or len(rest.split()) <= 2
    if command in _CODES:
        return not rest or bool(re.fullmatch(r"#?\s?[0-9]{1,6}", rest))
    if command == "visit":
        return not rest or rest[0].isdigit() or len(rest.split()) == 1
    return True
