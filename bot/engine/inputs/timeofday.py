"""``time``: a time of day or a time from now, read the way a parent at work means it.

Why not dateparser (1.5.0, evaluated with RELATIVE_BASE = 13:00, languages en+es,
PREFER_DATES_FROM="future"): "3:30" and "3.30" → 03:30 *tomorrow*; "a las 4" →
the 4th of the month at 00:00; "at 4" → 12 April; "11" → 12 November; "3 de la
tarde", "8 de la noche", "10 de la mañana", "en media hora" and "in half an hour"
→ None; "9am" at 13:00 → 09:00 today with no sign that it has passed. It also
reads its language data files at import (0.1 s) and took ~790 µs per parse.
This rule parser gets all of those right in a few µs, and its words are data.

Value: a datetime in ctx.now's timezone, seconds zeroed. Rules (now = 13:00):

- relative: "in 20 min", "20 minutes", "en 20 minutos", "en media hora",
  "in half an hour", "in an hour", "en una hora y media", "in 1h30", "in 20"
  (a lone number ≥ 5 after "in" is minutes) → now + duration.
- a clock time with am/pm or in 24-hour form ("3pm", "3 p.m.", "15:30",
  "3 de la tarde", "8 de la noche", "09:00", "noon") is that time today; if it
  has passed, it is tomorrow's when that is nearer ("00:30" at 23:00), else
  ``input.time.past`` ("9am" at 13:00, "13:00" at 13:05).
- a bare hour 1–12 ("3:30", "3.30", "a las 4", "at 4", "4 y media", "3 30",
  "330") is its next occurrence on a 12-hour clock: "3:30" → 15:30, "11" at
  09:00 → 11:00, "3" at 09:00 → 15:00; but if an occurrence passed less than
  45 minutes ago ("12:30" or "1" at 13:05) it is ``input.time.past``: a parent
  who is late should be asked again, not booked for half past midnight.
- "tomorrow"/"mañana" moves to the next day (bare hours 7–11 → morning,
  12 → noon, 1–6 → afternoon). "now"/"ahora" → now.
- more than spec ``max_ahead_hours`` (default 16) ahead → ``input.time.too_far``
  (params ``max``); nonsense ("25:00", "3:75") or two times → ``input.time.hint``.

Every word (am/pm, in, at, minutes, half, tomorrow…) comes from the locale
lists ``input.time_*``, ``input.minutes``, ``input.hours``, ``input.numbers``;
words the lists do not know are skipped ("pick him up at 3:30 please").
"""
from __future__ import annotations

import re
from datetime import datetime, time as dtime, timedelta, timezone
from typing import Any, Mapping

from . import Parsed, ParseContext
from .normalize import MAX_WORDS_INPUT, PUNCTUATION, lexicon, normalize, split_alternatives

HINT = "input.time.hint"
_FAIL = Parsed(ok=False, error=HINT)
_PAST = Parsed(ok=False, error="input.time.past")
DEFAULT_MAX_AHEAD_HOURS = 16
_RECENT_PAST = timedelta(minutes=45)
_LOOSE_IN_MIN = 5  # "in 20" is minutes; "in 2" is too unclear

# --- canonical text: what both the input and the locale words go through ---
_LONE_DOT = re.compile(r"(?<![0-9])\.|\.(?![0-9])")  # "p.m." → "pm", "3.30" kept
_LONE_SEP = re.compile(r"(?<![0-9])[,:]|[,:](?![0-9])")
_SPLIT = re.compile(r"(?<=[0-9])(?=[^\W\d_])|(?<=[^\W\d_])(?=[0-9])")  # "3pm" → "3 pm"
_COMPOUND = re.compile(r"([0-9]{1,2})([:.,])([0-9]+)")


def _punct_table() -> dict[int, str]:
    table = {ord(c): " " for c in PUNCTUATION if c not in ".,:"}
    table[ord("_")] = " "
    return table


_PUNCT_TO_SPACE = _punct_table()


def canon(text: str) -> str:
    s = normalize(text)
    if not s:
        return s
    if "." in s:
        s = _LONE_DOT.sub("", s)
    if "," in s or ":" in s:
        s = _LONE_SEP.sub(" ", s)
    s = s.translate(_PUNCT_TO_SPACE)
    return _SPLIT.sub(" ", s)


# --- token categories ---
(NUM, NUMC, IN, AT, PM, AM, NIGHT, NOON, MIDNIGHT, NOW, TOMORROW, TODAY, MIN, HOUR, HALF, ART,
 PLUS_HALF, PLUS_QUARTER, MINUS_QUARTER, HALF_PAST, QUARTER_PAST, QUARTER_TO, AND) = range(23)

_KEYS: tuple[tuple[str, int], ...] = (
    ("time_now", NOW),
    ("time_in", IN),
    ("time_at", AT),
    ("time_pm", PM),
    ("time_am", AM),
    ("time_night", NIGHT),
    ("time_noon", NOON),
    ("time_midnight", MIDNIGHT),
    ("time_tomorrow", TOMORROW),
    ("time_today", TODAY),
    ("minutes", MIN),
    ("hours", HOUR),
    ("time_plus_half", PLUS_HALF),
    ("time_plus_quarter", PLUS_QUARTER),
    ("time_minus_quarter", MINUS_QUARTER),
    ("time_half_past", HALF_PAST),
    ("time_quarter_past", QUARTER_PAST),
    ("time_quarter_to", QUARTER_TO),
    ("time_half", HALF),
    ("time_article", ART),
    ("time_and", AND),
)
LOCALE_KEYS: tuple[str, ...] = ("numbers", *(k for k, _ in _KEYS))


class _Lexicon:
    __slots__ = ("phrases", "multi_first", "longest")

    def __init__(self, raw: tuple) -> None:
        phrases: dict[str, tuple[int, int]] = {}
        for _lang, lists in raw:
            numbers, rest = lists[0], lists[1:]
            for (_key, cat), words in zip(_KEYS, rest):
                for w in words:
                    c = canon(w)
                    if c:
                        phrases.setdefault(c, (cat, 0))
            for index, entry in enumerate(numbers):
                for w in split_alternatives(entry):
                    c = canon(w)
                    if c:
                        phrases.setdefault(c, (NUM, index))
        self.phrases = phrases
        self.multi_first = frozenset(p.split(" ", 1)[0] for p in phrases if " " in p)
        self.longest = max((p.count(" ") + 1 for p in phrases), default=1)


def _tokens(text: str, lex: _Lexicon) -> list[tuple[int, Any, str]] | None:
    """[(category, value, raw)] or None when something cannot be a time ("3:3:3")."""
    toks = canon(text).split()
    out: list[tuple[int, Any, str]] = []
    phrases = lex.phrases
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        c0 = tok[0]
        if "0" <= c0 <= "9":
            if tok.isdigit() and tok.isascii():
                out.append((NUM, int(tok), tok))
            else:
                m = _COMPOUND.fullmatch(tok)
                if not m or not m.group(3).isascii() or not m.group(3).isdigit():
                    return None
                out.append((NUMC, (int(m.group(1)), m.group(3), m.group(2)), tok))
            i += 1
            continue
        if tok in lex.multi_first:
            hit = None
            for size in range(min(lex.longest, n - i), 1, -1):
                key = " ".join(toks[i:i + size])
                hit = phrases.get(key)
                if hit is not None:
                    out.append((hit[0], hit[1], key))
                    i += size
                    break
            if hit is not None:
                continue
        hit = phrases.get(tok)
        if hit is not None:
            out.append((hit[0], hit[1], tok))
        i += 1  # a word we do not know: skip it
    return out


# --- time arithmetic (timestamps, so DST changes count real minutes) ---

_MIDNIGHT = dtime(0, 0)
_DAY = timedelta(days=1)
_HALF_DAY = timedelta(hours=12)


def _seconds(a: datetime, b: datetime) -> float:
    """Real seconds from b to a (both in ctx.now's zone)."""
    tz = a.tzinfo
    if tz is None or b.tzinfo is None or type(tz) is timezone:  # fixed offset: wall = real
        return (a.replace(tzinfo=None) - b.replace(tzinfo=None)).total_seconds()
    return a.timestamp() - b.timestamp()


def _plus_minutes(now: datetime, minutes: int) -> datetime:
    if now.tzinfo is None:
        out = now + timedelta(minutes=minutes)
    else:
        out = (now.astimezone(timezone.utc) + timedelta(minutes=minutes)).astimezone(now.tzinfo)
    return out.replace(second=0, microsecond=0)


# --- reading the tokens ---

def _duration(core: list[tuple[int, Any, str]]) -> int | None:
    """Minutes in "1 hour and a half", "media hora", "1h30", "20 min"; None if not one."""
    total = 0.0
    pending: float | None = None
    last_unit: int | None = None
    for cat, val, _raw in core:
        if cat == NUM:
            if pending is not None:
                return None
            pending = val
        elif cat == NUMC:
            if pending is not None:
                return None
            whole, frac, sep = val
            if sep == ":":
                if len(frac) != 2 or int(frac) > 59:
                    return None
                pending = whole + int(frac) / 60
            else:
                pending = float(f"{whole}.{frac}")
        elif cat == ART:
            if pending is None:
                pending = 1
        elif cat == HALF:
            if pending is not None:
                return None
            pending = 0.5
        elif cat == MIN or cat == HOUR:
            unit = 1 if cat == MIN else 60
            total += (1 if pending is None else pending) * unit
            pending = None
            last_unit = unit
        elif cat == PLUS_HALF or cat == PLUS_QUARTER:
            if last_unit is None or pending is not None:
                return None
            total += (0.5 if cat == PLUS_HALF else 0.25) * last_unit
        elif cat == AND:
            continue
        else:
            return None
    if pending is not None:
        if last_unit == 60 and isinstance(pending, int) and 0 < pending < 60:
            total += pending  # "1h30", "1 hora 15"
        else:
            return None
    if last_unit is None:
        return None
    minutes = round(total)
    return minutes if minutes >= 1 else None


def _minute_of(item: tuple[int, Any, str]) -> int | None:
    """Minutes after an hour: "30" or "05" as digits, or a number word from 10 ("tres y veinte")."""
    cat, val, raw = item
    if cat != NUM:
        return None
    if raw[0].isdigit():
        return val if len(raw) == 2 else None
    return val if 10 <= val <= 59 else None


def _clock(core: list[tuple[int, Any, str]]) -> tuple[int, int, bool] | None:
    """(hour, minute, explicit_24h) from the clock part, before am/pm."""
    core = [x for x in core if x[0] != ART]
    cats = [x[0] for x in core]
    n = len(core)
    if n == 0:
        return None
    first = core[0]
    if n == 1 and first[0] == NUM:
        raw, h = first[2], first[1]
        if raw.isdigit() and len(raw) in (3, 4):  # "330", "1530": typed without the colon
            h, m = int(raw[:-2]), int(raw[-2:])
            return h, m, h == 0 or h > 12 or raw[0] == "0"
        return h, 0, h == 0 or h > 12 or (len(raw) == 2 and raw[0] == "0")
    if n == 1 and first[0] == NUMC:
        h, frac, _sep = first[1]
        if len(frac) != 2:
            return None
        raw = first[2]
        return h, int(frac), h == 0 or h > 12 or (raw[0] == "0" and raw[1].isdigit())
    if n == 2 and cats[0] == NUM:
        h = first[1]
        bare = 1 <= h <= 12
        second = core[1]
        if second[0] in (PLUS_HALF, PLUS_QUARTER):
            return h, 30 if second[0] == PLUS_HALF else 15, not bare
        if second[0] == MINUS_QUARTER:
            return _quarter_to(h)
        m = _minute_of(second)
        if m is not None:
            return h, m, not bare
        return None
    if n == 3 and cats[0] == NUM and cats[1] == AND:
        m = _minute_of(core[2])
        if m is not None:
            return first[1], m, not 1 <= first[1] <= 12
        return None
    if n == 2 and cats[1] == NUM and cats[0] in (HALF_PAST, QUARTER_PAST, QUARTER_TO):
        h = core[1][1]
        if cats[0] == QUARTER_TO:
            return _quarter_to(h)
        return h, 30 if cats[0] == HALF_PAST else 15, not 1 <= h <= 12
    return None


def _quarter_to(h: int) -> tuple[int, int, bool] | None:
    if h == 1:
        return 12, 45, False
    if 2 <= h <= 12:
        return h - 1, 45, False
    if 13 <= h <= 24:
        return h - 1, 45, True
    return None


def _max_ahead(spec: Mapping[str, Any]) -> float:
    v = spec.get("max_ahead_hours", DEFAULT_MAX_AHEAD_HOURS)
    if isinstance(v, bool):
        return DEFAULT_MAX_AHEAD_HOURS
    try:
        v = float(v)
    except (TypeError, ValueError):
        return DEFAULT_MAX_AHEAD_HOURS
    return v if v > 0 and v == v else DEFAULT_MAX_AHEAD_HOURS


class TimeKind:
    name = "time"
    options = frozenset({"max_ahead_hours"})

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            return self._parse(text, spec, ctx)
        except Exception:
            return _FAIL

    def _parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        if not isinstance(text, str) or len(text) > MAX_WORDS_INPUT:
            return _FAIL
        lex = lexicon(ctx, "time", LOCALE_KEYS, _Lexicon)
        items = _tokens(text, lex)
        if not items:
            return _FAIL
        now = ctx.now
        max_ahead = _max_ahead(spec)

        mer = None
        flags = 0  # bits: 1 in, 2 at, 4 tomorrow, 8 today
        special = None  # NOW, NOON, MIDNIGHT
        core = []
        for item in items:
            cat = item[0]
            if cat == PM or cat == AM or cat == NIGHT:
                if mer is not None and mer != cat:
                    return _FAIL
                mer = cat
            elif cat == IN:
                flags |= 1
            elif cat == AT:
                flags |= 2
            elif cat == TOMORROW:
                flags |= 4
            elif cat == TODAY:
                flags |= 8
            elif cat == NOW or cat == NOON or cat == MIDNIGHT:
                if special is not None and special != cat:
                    return _FAIL
                special = cat
            else:
                core.append(item)
        if (flags & 12) == 12:
            return _FAIL

        has_unit = any(c[0] == MIN or c[0] == HOUR for c in core)
        if has_unit and not (flags & 1):
            # "a las 15 hrs", "15:30 hrs": the unit is decoration on a clock time
            if flags & 2 or (len(core) == 2 and core[0][0] == NUMC and len(core[0][1][1]) == 2 and core[1][0] == HOUR):
                core = [c for c in core if c[0] != HOUR]
                has_unit = any(c[0] == MIN for c in core)

        if special == NOW:
            if core or mer is not None or flags & 4:
                return _FAIL
            return Parsed(ok=True, value=now.replace(second=0, microsecond=0))

        if has_unit or flags & 1:
            if mer is not None or special is not None or flags & 6:  # no "at", no "tomorrow"
                return _FAIL
            if has_unit:
                minutes = _duration(core)
            elif len(core) == 1 and core[0][0] == NUM and core[0][1] >= _LOOSE_IN_MIN:
                minutes = core[0][1]
            else:
                minutes = None
            if minutes is None:
                return _FAIL
            if minutes > max_ahead * 60:
                return Parsed(ok=False, error="input.time.too_far", params={"max": _fmt_hours(max_ahead)})
            return Parsed(ok=True, value=_plus_minutes(now, minutes))

        if special is not None:  # noon / midnight, maybe with a "12"
            if mer is not None or any(not (c[0] == NUM and c[1] == 12) for c in core) or len(core) > 1:
                return _FAIL
            hour, minute, explicit = (12 if special == NOON else 0), 0, True
        else:
            got = _clock(core)
            if got is None:
                return _FAIL
            hour, minute, explicit = got
            if hour > 23 or minute > 59 or hour < 0:
                return _FAIL
            if mer is not None:
                if 1 <= hour <= 12:
                    if mer == PM:
                        hour = hour % 12 + 12
                    elif mer == AM:
                        hour = hour % 12
                    else:  # night: 8 → 20:00, 2 → 02:00, 12 → 00:00
                        hour = 0 if hour == 12 else (hour if hour <= 5 else hour + 12)
                    explicit = True
                elif not (mer == PM and hour >= 13):
                    return _FAIL
        return self._place(hour, minute, explicit, flags, now, max_ahead)

    def _place(self, hour: int, minute: int, explicit: bool, flags: int, now: datetime, max_ahead: float) -> Parsed:
        # "Past" and "next occurrence" are read on the wall clock (what the parent sees);
        # "too far" counts real time, so a DST change in between is measured right.
        wall = now.replace(tzinfo=None)
        floor = wall.replace(second=0, microsecond=0)
        today = datetime.combine(wall.date(), _MIDNIGHT)
        at = today + timedelta(hours=hour, minutes=minute)
        if flags & 4:  # tomorrow
            if not explicit and 1 <= hour <= 6:  # tomorrow "3" is the afternoon, "8" the morning
                at += _HALF_DAY
            when = at + _DAY
        elif explicit:
            when = at
            if at < floor:
                if flags & 8:
                    return _PAST
                later = at + _DAY
                if later - wall < floor - at:  # "00:30" at 23:00 is tonight
                    when = later
                else:
                    return _PAST
        else:
            am = today + timedelta(hours=hour % 12, minutes=minute)
            pm = am + _HALF_DAY
            if flags & 8:
                cands = (am, pm)
            else:
                cands = (pm - _DAY, am, pm, am + _DAY)
            when = recent = None
            for c in cands:
                if c >= floor:
                    when = c
                    break
                recent = c
            if recent is not None and floor - recent <= _RECENT_PAST:
                return _PAST
            if when is None:
                return _PAST
        value = when.replace(tzinfo=now.tzinfo)
        tz = now.tzinfo
        ahead = (when - wall).total_seconds() if tz is None or type(tz) is timezone else _seconds(value, now)
        if ahead > max_ahead * 3600:
            return Parsed(ok=False, error="input.time.too_far", params={"max": _fmt_hours(max_ahead)})
        return Parsed(ok=True, value=value)


def _fmt_hours(h: float) -> int | float:
    return int(h) if h == int(h) else h


KIND = TimeKind()
