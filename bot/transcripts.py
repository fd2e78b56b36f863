"""Transcript tests: YAML conversations a coordinator can write without Python.

A transcript names the clock, the members, and steps: who sends what (or how
long passes), and every message the line must send to anyone in answer, in
order. ``vecina test`` and pytest run them through the same conductor as the
live line, with the clock and ids fixed. ``vecina test --update`` rewrites the
expectations from what the line now says (review the diff before committing).
Format: ``tests/transcripts/README.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from .conversation import Conductor
from .engine.durations import parse_duration
from .engine.model import CounterIds
from .engine.render import sms_text
from .engine.runner import Engine
from .store.memory import MemoryStore

TOP_FIELDS = {"description", "now", "timezone", "contacts", "records", "settings", "steps"}
STEP_FIELDS = {"from", "text", "wait", "expect", "note"}
EXPECT_FIELDS = {"to", "text", "contains", "key"}
CONTACT_FIELDS = {"roles", "lang", "name", "area", "vetted", "trained", "opted_out", "extra"}


@dataclass
class Result:
    path: str
    description: str
    failures: list = field(default_factory=list)
    actual: list = field(default_factory=list)  # per step: list of (to, text)

    @property
    def passed(self) -> bool:
        return not self.failures


class TranscriptError(Exception):
    pass


def _check_fields(where: str, data: dict, allowed: set) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise TranscriptError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))} "
                              f"(known: {', '.join(sorted(allowed))})")


def _rendered(msg: dict) -> str:
    return sms_text(msg["text"], [tuple(c) for c in msg["choices"]])


def _matches(exp: dict, msg: dict, sender: str) -> str | None:
    """None when ``msg`` meets ``exp``, else what differs."""
    to = str(exp.get("to", sender))
    text = _rendered(msg)
    if msg["to"] != to:
        return f"went to {msg['to']}, expected {to}"
    if "text" in exp and text != str(exp["text"]).rstrip("\n"):
        return f"text was:\n{_indent(text)}\n    expected:\n{_indent(str(exp['text']).rstrip())}"
    if "contains" in exp and str(exp["contains"]) not in text:
        return f"text was:\n{_indent(text)}\n    expected it to contain {exp['contains']!r}"
    if "key" in exp and msg.get("key") != exp["key"]:
        return f"came from {msg.get('key')!r}, expected {exp['key']!r}; text:\n{_indent(text)}"
    return None


def _indent(text: str) -> str:
    return "\n".join("      | " + line for line in text.splitlines() or [""])


def run(path: str | Path, engine: Engine | Any, timezone: str = "America/New_York") -> Result:
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise TranscriptError(f"{path}: a transcript is a mapping with 'steps'")
    _check_fields(str(path), data, TOP_FIELDS)
    result = Result(str(path), str(data.get("description", "")))
    tz = ZoneInfo(str(data.get("timezone", timezone)))
    now = datetime.fromisoformat(str(data.get("now", "2026-03-02T13:00:00")))
    now = now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)
    store = MemoryStore()
    for number, fields in (data.get("contacts") or {}).items():
        fields = fields or {}
        _check_fields(f"{path}: contact {number}", fields, CONTACT_FIELDS)
        fields = dict(fields)
        extra = fields.pop("extra", None) or {}  # a service's own contact fields (on_duty, trusted…)
        store.upsert_contact(str(number), created_at=now, **fields, **extra)
    for kind, rows in (data.get("records") or {}).items():  # e.g. a class roster, registered children
        for row in rows or []:
            store.add_record(str(kind), dict(row))
    settings = {str(k): v for k, v in (data.get("settings") or {}).items()}  # e.g. CHILDCARE_RING_SIZE: 2
    conductor = Conductor(engine, store, CounterIds(), settings)
    # With TRANSLATOR set, each message reads as the phone gets it: after the
    # outbox's translation step (bot/translate/outbox_hook.py), so a transcript
    # can show a translator that is down. Only a local provider belongs here
    # (libre at a test URL): transcripts never reach the internet.
    shown = _as_sent(settings, store, engine, lambda: now)
    sender = None
    for i, step in enumerate(data.get("steps") or [], start=1):
        if not isinstance(step, dict):
            raise TranscriptError(f"{path}: step {i} must be a mapping")
        _check_fields(f"{path}: step {i}", step, STEP_FIELDS)
        if "wait" in step:
            seconds = parse_duration(step["wait"])
            if seconds is None:
                raise TranscriptError(f"{path}: step {i}: wait must be a duration like 5m")
            now = now + timedelta(seconds=seconds)
            sent = shown(conductor.fire_timers(now).sent)
        elif "from" in step:
            sender = str(step["from"])
            sent = conductor.message(sender, str(step.get("text", "")), now).sent
            sent += conductor.fire_timers(now).sent  # events it addressed to others run now
            sent = shown(sent)
        else:
            raise TranscriptError(f"{path}: step {i} needs 'from' (with 'text') or 'wait'")
        result.actual.append([(m["to"], _rendered(m)) for m in sent])
        expected = step.get("expect") or []
        label = f"step {i} ({'wait ' + str(step['wait']) if 'wait' in step else repr(step.get('text', ''))})"
        for j, exp in enumerate(expected):
            if isinstance(exp, str):
                exp = {"text": exp}
            _check_fields(f"{path}: {label} expect {j + 1}", exp, EXPECT_FIELDS)
            if j >= len(sent):
                result.failures.append(f"{label}: expected message {j + 1} ({exp}) but only {len(sent)} were sent")
                break
            problem = _matches(exp, sent[j], sender)
            if problem:
                result.failures.append(f"{label}: message {j + 1} {problem}")
        if len(sent) > len(expected):
            extra = "\n".join(f"    to {m['to']}:\n{_indent(_rendered(m))}" for m in sent[len(expected):])
            result.failures.append(f"{label}: {len(sent) - len(expected)} unexpected message(s):\n{extra}")
        now = now + timedelta(seconds=1)  # each step happens a moment after the last
    return result


def _as_sent(settings: dict, store: Any, engine: Any, clock) -> Any:
    if "TRANSLATOR" not in settings:
        return lambda msgs: msgs
    from .translate.wiring import outbox_translation

    hook = outbox_translation(settings, store, lambda: engine.catalog, clock)
    return lambda msgs: [dict(hook.prepare(m)) for m in msgs]


def update(path: str | Path, result: Result) -> None:
    """Rewrite a transcript's expectations with what the line sent."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sender = None
    for step, actual in zip(data.get("steps") or [], result.actual):
        sender = str(step.get("from", sender))
        step["expect"] = [({"text": text} if to == sender else {"to": to, "text": text}) for to, text in actual]
    path.write_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000),
                    encoding="utf-8")


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def find(paths) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.yaml") if q.name != "README.yaml"))
        elif p.exists():
            out.append(p)
    return out
