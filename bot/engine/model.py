"""Plain values that go in and out of the engine.

Everything here is data: a session serialises to a JSON-safe dict, effects are
frozen dataclasses the shell carries out. Nothing here does I/O.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from collections.abc import Mapping
from typing import Any, Iterable, Protocol

SESSION_SCHEMA = 1

# Session statuses: the engine's only notion of "where a conversation is".
ACTIVE = "active"  # mid-step (never stored)
WAITING_INPUT = "waiting_input"  # an ask: the person's next text answers it
WAITING_EVENT = "waiting_event"  # a wait: an event or its timeout moves it on
WAITING_ACTION = "waiting_action"  # the shell must run an action and resume
ENDED = "ended"
STATUSES = (ACTIVE, WAITING_INPUT, WAITING_EVENT, WAITING_ACTION, ENDED)


@dataclass(frozen=True)
class Contact:
    """What the engine may know about the person it talks to (read-only)."""

    id: str  # stable id, e.g. the E.164 number or "tg:12345"
    lang: str | None = None  # None: never chosen nor detected
    roles: tuple[str, ...] = ()
    name: str | None = None
    area: str | None = None
    opted_out: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)  # anything else, for placeholders

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]


@dataclass(frozen=True)
class Message:
    """A text from the contact (channel-independent)."""

    text: str
    lang_hint: str | None = None  # language the shell detected in this text, if any


@dataclass(frozen=True)
class Event:
    """Something that happened elsewhere: a timer, another person's action."""

    name: str
    data: Mapping[str, Any] = field(default_factory=dict)


TIMEOUT_EVENT = "timeout"


@dataclass(frozen=True)
class ActionResult:
    result: str = "ok"  # routes through the state's ``on:``
    data: Mapping[str, Any] = field(default_factory=dict)
    effects: tuple = ()  # effects the action produced (sends to others, records)


class Ids(Protocol):
    def next(self, prefix: str) -> str: ...


class CounterIds:
    """Deterministic ids for tests and transcripts: t1, t2, ..."""

    def __init__(self, start: int = 1):
        self.n = start - 1

    def next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


# ---------------------------------------------------------------- effects
_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})  # shared, so read-only


@dataclass(frozen=True)
class Send:
    """Send a text. ``choices`` are (number, label) pairs the channel renders
    (SMS: numbered lines, USSD: a menu, Telegram: buttons)."""

    to: str
    text: str
    key: str | None = None  # locale key it came from, for tests and logs
    choices: tuple[tuple[str, str], ...] = ()
    lang: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # more outbox fields (e.g. "translate"), from actions

    def __init__(self, to: str, text: str, key: str | None = None, choices: tuple = (), lang: str | None = None,
                 extra: Mapping[str, Any] | None = None):
        # Written out (same fields and defaults): a step makes one Send per text,
        # and the frozen dataclass __init__ (object.__setattr__ per field) is
        # twice as slow. Frozen only guards setattr, so the instance dict is free.
        self.__dict__.update(to=to, text=text, key=key, choices=choices, lang=lang, extra=extra or _NO_EXTRA)


@dataclass(frozen=True)
class Schedule:
    """Deliver ``event`` to ``contact``'s session at ``at`` (a timer)."""

    timer_id: str
    contact: str
    at: datetime
    event: str = TIMEOUT_EVENT
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CancelTimer:
    timer_id: str


@dataclass(frozen=True)
class Emit:
    """Deliver an event to another contact's session now."""

    to: str
    event: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallAction:
    """Run an action in the shell, then resume the session with its result."""

    name: str
    params: Mapping[str, Any]
    contact: str


@dataclass(frozen=True)
class UpdateContact:
    contact: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class WriteRecord:
    kind: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Audit:
    contact: str
    what: str
    data: Mapping[str, Any] = field(default_factory=dict)


EFFECT_TYPES = (Send, Schedule, CancelTimer, Emit, CallAction, UpdateContact, WriteRecord, Audit)


# ---------------------------------------------------------------- session
def encode_value(value: Any, utc: bool = False) -> Any:
    """A JSON-safe form of ``value``: datetimes and Decimals become tagged
    dicts (``{"$dt": iso}``, ``{"$dec": "80.50"}``). With ``utc``, datetimes
    are stored in UTC (naive ones taken as UTC) so stores can compare them."""
    if isinstance(value, datetime):
        if utc:
            value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        return {"$dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, Mapping):
        return {str(k): encode_value(v, utc) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v, utc) for v in value]
    return value


def json_default(value: Any) -> Any:
    """``default=`` for ``json.dumps``: what :func:`encode_value` does, called
    by the C encoder only for the values it can't write itself (no Python walk
    over every value of a session)."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-safe")


def json_default_utc(value: Any) -> Any:
    """:func:`json_default` with datetimes in UTC (``encode_value(utc=True)``)."""
    if isinstance(value, datetime):
        zone = value.tzinfo
        if zone is not timezone.utc:  # (a zone's conversion costs more than the rest)
            value = (value if zone else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        return {"$dt": value.isoformat()}
    return json_default(value)


def json_object_hook(obj: dict) -> Any:
    """``object_hook=`` for ``json.loads``: :func:`decode_value` per object."""
    if len(obj) == 1:
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$dec" in obj:
            return Decimal(obj["$dec"])
    return obj


# Encoders and a decoder made once: json.dumps/json.loads with any option build
# a new JSONEncoder/JSONDecoder on every call, which costs several times what
# encoding a short value does (a stored step writes a dozen of them).
encode_json = json.JSONEncoder(default=json_default, separators=(",", ":"), ensure_ascii=False).encode
encode_json_utc = json.JSONEncoder(default=json_default_utc, separators=(",", ":"), ensure_ascii=False).encode
_decoder = json.JSONDecoder(object_hook=json_object_hook)


def decode_json(raw: str | bytes) -> Any:
    """JSON text (str, or UTF-8 bytes) to values, datetimes and Decimals back."""
    return _decoder.decode(raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw)


def copy_containers(value: Any) -> Any:
    """A copy of every dict and list in ``value``; other values are shared
    (scalars, datetimes and Decimals are immutable). A contact record is
    copied several times a step and its values are mostly scalars, so a dict
    is copied in C first and only its containers are walked."""
    kind = type(value)
    if kind is dict:
        out = value.copy()
        for key, item in out.items():  # rebinding a key while iterating is allowed: the size stays
            if type(item) is dict or type(item) is list:
                out[key] = copy_containers(item)
        return out
    if kind is list:
        return [copy_containers(item) if type(item) is dict or type(item) is list else item for item in value]
    return value


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(value, dict):
        if len(value) == 1 and "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if len(value) == 1 and "$dec" in value:
            return Decimal(value["$dec"])
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


@dataclass
class Session:
    contact: str
    flow: str | None = None
    state: str | None = None
    status: str = ENDED
    vars: dict = field(default_factory=dict)
    misses: int = 0
    timer: str | None = None  # the pending wait's timer id
    expires_at: datetime | None = None
    updated_at: datetime | None = None
    window_start: datetime | None = None  # loop guard: messages to this contact
    window_sent: int = 0
    schema: int = SESSION_SCHEMA

    @property
    def live(self) -> bool:
        return self.status != ENDED and self.flow is not None

    def busy_outside(self, flows: Iterable[str], now: datetime) -> bool:
        """In the middle of a conversation other than ``flows`` (and not past
        its expiry): the line does not pull the person into a new one."""
        return self.live and self.flow not in tuple(flows) and (self.expires_at is None or now < self.expires_at)

    def copy(self) -> "Session":
        """A copy the engine may change; datetimes and Decimals are immutable,
        so only containers are copied."""
        new = object.__new__(Session)
        # Field by field, not through __dict__: touching __dict__ makes CPython
        # (3.11+) give both instances a real dict, after which every attribute
        # read on them is ~3x slower, and the engine reads them all step long.
        # _COPY_FIELDS below fails the import if a field is added but not copied here.
        new.contact = self.contact
        new.flow = self.flow
        new.state = self.state
        new.status = self.status
        new.misses = self.misses
        new.timer = self.timer
        new.expires_at = self.expires_at
        new.updated_at = self.updated_at
        new.window_start = self.window_start
        new.window_sent = self.window_sent
        new.schema = self.schema
        vars_ = self.vars
        if type(vars_) is dict:
            vars_ = vars_.copy()
            for key, value in vars_.items():  # usually all scalars: one C-level copy, no recursion
                if type(value) is dict or type(value) is list:
                    vars_[key] = copy_containers(value)
        new.vars = vars_
        return new

    def to_dict(self) -> dict:
        # encode_value builds fresh containers, so no asdict() deep copy first
        # (it cost more than the rest of a stored step).
        return encode_value(self.field_values())

    def field_values(self) -> dict:
        """Every field by name, as they are (what :meth:`to_json` encodes)."""
        return {name: getattr(self, name) for name in _FIELDS}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text, in one pass of the C encoder."""
        return encode_json(self.field_values())

    @classmethod
    def from_json(cls, raw: str | bytes) -> "Session":
        return cls.from_values(decode_json(raw))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Session":
        return cls.from_values(decode_value(dict(data)))

    @classmethod
    def from_values(cls, data: dict) -> "Session":
        """A session from its decoded JSON (datetimes and Decimals already
        values); fields it does not know are dropped."""
        schema = data.get("schema", SESSION_SCHEMA)
        if schema != SESSION_SCHEMA:
            # Only one schema so far; a future version migrates here.
            raise ValueError(f"unknown session schema {schema}")
        if _FIELD_SET.issuperset(data):
            return cls(**data)
        return cls(**{k: v for k, v in data.items() if k in _FIELD_SET})


_COPY_FIELDS = ("contact", "flow", "state", "status", "vars", "misses", "timer", "expires_at", "updated_at",
                "window_start", "window_sent", "schema")  # what Session.copy copies
_FIELDS = tuple(Session.__dataclass_fields__)
_FIELD_SET = frozenset(_FIELDS)
if _COPY_FIELDS != _FIELDS:
    raise RuntimeError("Session.copy must copy every Session field: update it and _COPY_FIELDS")


@dataclass(frozen=True)
class StepResult:
    session: Session
    effects: tuple

    def __init__(self, session: Session, effects: tuple):
        self.__dict__.update(session=session, effects=effects)  # see Send.__init__
