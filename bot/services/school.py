"""School alerts: shared helpers of the school_* actions and the roster import.

Records (kinds and fields are read by the web board too: keep the names):

* ``school.student`` ``{id: "<school key>:<CODE>", code, name, age, parent, parent_lang, school, teacher}``
* ``school.alert`` ``{id, code, student, name, school, teacher, parent, kind: late|absent,
  status: pending|sent|cancelled|expired, due_at, created_at, day, sent_at?, cancelled_at?, arrived_at?,
  expired_at?}``
* ``school.settings`` ``{id: <school key>, school, grace_minutes}``: a school's own grace window
  (``vecina roster grace SCHOOL MINUTES``; an id spelled as the roster writes the school works too).

An alert's id is ``<student id>:<day>:<kind>``, so "at most one alert per
child per day per kind" is one ``get_record`` (and a ``claim`` when two
teachers of the same child mark it at once).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from ..engine.model import Contact
from ..store.contacts import view
from . import int_setting

KINDS = ("late", "absent")
PENDING, SENT, CANCELLED, EXPIRED = "pending", "sent", "cancelled", "expired"
DEFAULT_GRACE_MINUTES = 15
MAX_GRACE_MINUTES = 240  # a typo (150 for 15) must not hold an alert all day
# An alert whose job runs this long after it was due (the line was down) is
# not sent: "has not arrived at school yet" hours late alarms a parent whose
# child may be home by then. The teacher is told instead.
DEFAULT_LATE_LIMIT_MINUTES = 60
MAX_LATE_LIMIT_MINUTES = 24 * 60
DEFAULT_MAX_REPLIES = 5  # a parent's messages relayed per alert
DEFAULT_REPLY_HOURS = 24  # how long after an alert a parent's REPLY still reaches the teacher
DEFAULT_REPLY_WINDOW_HOURS = 12  # how long after an alert a parent's plain text (no REPLY) reaches the teacher
MAX_REPLY_WINDOW_HOURS = 24  # flows/school_reply.yaml expires after 24h: a longer window could not hold
MAX_CODES = 30  # codes read from one command; a class, not a school
MAX_CODE_LEN = 12
# Words people put between codes ("LATE 12 and 14", "AUSENTE 12 y 14").
FILLERS = frozenset({"AND", "Y", "&", "+"})
_SPLIT = re.compile(r"[\s,;/]+")
_EDGE_PUNCT = "#.:()[]\"'!?¿¡-"


def school_key(school: str) -> str:
    """One spelling per school for ids: spaces squeezed, case and accents folded."""
    text = unicodedata.normalize("NFKD", " ".join(str(school).split()).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def norm_code(code: Any) -> str:
    return str(code).strip().strip(_EDGE_PUNCT).upper()


def student_id(school: str, code: str, teacher: str) -> str:
    """A student is their school, their teacher's class list and their code:
    two teachers at one school may both have a number 12."""
    return f"{school_key(school)}:{teacher}:{norm_code(code)}"


def alert_id(student: str, day: str, kind: str) -> str:
    return f"{student}:{day}:{kind}"


def job_key(alert: str) -> str:
    return f"school.alert:{alert}"


def parse_codes(text: Any) -> list[str]:
    """The student codes in a command's rest ("12 14", "12, 14 y 15", "#12"),
    upper-cased, each once, in the order written; at most ``MAX_CODES``."""
    if not isinstance(text, str):
        return []
    out: list[str] = []
    for token in _SPLIT.split(text):
        code = norm_code(token)
        if not code or code in FILLERS or code in out:
            continue
        out.append(code[: MAX_CODE_LEN + 1])  # an over-long token stays visibly wrong
        if len(out) >= MAX_CODES:
            break
    return out


def setting_int(settings: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """An integer setting within [low, high] (see bot.services.int_setting)."""
    return int_setting(settings, name, default, low, high)


def grace_minutes(store, settings: Mapping[str, Any], school: str) -> int:
    """The school's own window (a ``school.settings`` record) or SCHOOL_GRACE_MINUTES."""
    default = setting_int(settings, "SCHOOL_GRACE_MINUTES", DEFAULT_GRACE_MINUTES, 0, MAX_GRACE_MINUTES)
    for rid in dict.fromkeys((school, school_key(school))):
        rec = store.get_record("school.settings", rid)
        if rec and rec.get("grace_minutes") is not None:
            try:
                minutes = int(rec["grace_minutes"])
            except (TypeError, ValueError):
                return default
            return minutes if 0 <= minutes <= MAX_GRACE_MINUTES else default
    return default


def too_late(alert: Mapping[str, Any], now: datetime, settings: Mapping[str, Any]) -> bool:
    """The alert's job runs more than SCHOOL_ALERT_LATE_LIMIT_MINUTES (default
    60, at most a day) after the alert was due: it must not go out any more."""
    due = alert.get("due_at")
    minutes = int_setting(settings, "SCHOOL_ALERT_LATE_LIMIT_MINUTES", DEFAULT_LATE_LIMIT_MINUTES, 1,
                          MAX_LATE_LIMIT_MINUTES)
    return isinstance(due, datetime) and now - due > timedelta(minutes=minutes)


def day_of(now: datetime) -> str:
    """The school day an alert belongs to, in the line's own time zone (``now`` is local)."""
    return now.date().isoformat()


def students_by_code(store, teacher: str, codes: Iterable[str]) -> dict[str, list[dict]]:
    """code -> this teacher's students with that code (usually one; two schools may reuse a code)."""
    return {code: store.find_records("school.student", teacher=teacher, code=code) for code in codes}


def label(student: Mapping[str, Any]) -> str:
    """How a child is named to their teacher: first name and code, e.g. ``Ana (12)``."""
    return f"{student.get('name') or '?'} ({student.get('code')})"


def joined(items: Iterable[str]) -> str:
    return ", ".join(items)


def recent_alert(store, parent: str, now: datetime, settings: Mapping[str, Any]) -> dict | None:
    """The newest alert this parent was sent within SCHOOL_REPLY_HOURS (what REPLY answers)."""
    hours = setting_int(settings, "SCHOOL_REPLY_HOURS", DEFAULT_REPLY_HOURS, 1, 24 * 14)
    since = now - timedelta(hours=hours)
    sent = [a for a in store.find_records("school.alert", parent=parent, status=SENT)
            if isinstance(a.get("sent_at"), datetime) and a["sent_at"] >= since]
    return max(sent, key=lambda a: a["sent_at"], default=None)


def parent_contact(store, alert) -> Contact:
    """The parent as a Contact: their own language, else the one on the roster."""
    rec = store.get_contact(alert["parent"])
    if rec is not None and rec.get("lang"):
        return view(rec)
    student = store.get_record("school.student", alert.get("student") or "") or {}
    return Contact(alert["parent"], lang=student.get("parent_lang"))


def within_reply_window(alert: Mapping[str, Any], now: datetime, settings: Mapping[str, Any]) -> bool:
    """A plain text (no REPLY) still answers this alert: sent within
    SCHOOL_REPLY_WINDOW_HOURS (default 12, at most 24) before ``now``."""
    sent = alert.get("sent_at")
    hours = int_setting(settings, "SCHOOL_REPLY_WINDOW_HOURS", DEFAULT_REPLY_WINDOW_HOURS, 1, MAX_REPLY_WINDOW_HOURS)
    return isinstance(sent, datetime) and now - sent < timedelta(hours=hours)
