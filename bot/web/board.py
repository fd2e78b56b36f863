"""``/admin/board``: what the line is busy with right now.

Read straight from the services' records (``store.find_records(kind)``).
Each section names the fields it shows; a kind nobody has written yet, or a
field a record lacks, just shows nothing. Numbers never appear: helpers
show by name (else masked), peer posts by pseudonym only.

Timers: a childcare request's jobs as the store has them scheduled
(``store.get_timer``): the next ring, the pick-up check, the expiry; a job
that fired or was cancelled no longer shows. A school alert goes out at its
``due_at``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Blueprint, render_template

from ..actions.base import job_timer_id
from ..services import childcare
from .auth import guard
from .common import mask, rt, when
from .i18n import t

bp = Blueprint("board", __name__, url_prefix="/admin")
guard(bp)

CHILDCARE_OPEN = {"open", "covered", "picked_up", "escalated"}
CLEANING_DONE = {"done", "completed", "cancelled", "canceled", "closed", "paid"}  # pending and active show


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def _who(number: Any) -> str:
    if not isinstance(number, str) or not number:
        return ""
    contact = rt().store.get_contact(number) or {}
    return contact.get("name") or mask(number)


def _count(value: Any) -> Any:
    return len(value) if isinstance(value, (list, tuple, dict)) else ("" if value is None else value)


def _due(at: datetime, now: datetime) -> str:
    """A due time for a cell: the clock time and how far off it is."""
    minutes = int((at - now).total_seconds() // 60)
    off = t("board.overdue") if at < now else t("board.in_minutes", n=max(minutes, 0))
    shown = when(at)
    return f"{shown[-5:] if abs(at - now) < timedelta(hours=20) else shown} ({off})"


def _status(r: dict) -> str:
    status = r.get("status")
    return t(f"status.{status}", default=str(status)) if status else ""


# ------------------------------------------------------------------ childcare
def _answered(r: dict) -> str:
    """Who answered: the helper who said YES first, then the NOs (``childcare.answer``)."""
    out = [f"{_who(r['helper'])}: {t('board.yes')}"] if r.get("helper") else []
    if r.get("id") is not None:
        for a in rt().store.find_records(childcare.ANSWER, request=r["id"]):
            if a.get("helper") != r.get("helper"):
                out.append(f"{_who(a.get('helper'))}: {t('board.no') if a.get('answer') == 'no' else a.get('answer', '')}")
    return ", ".join(out)


# the jobs a childcare request schedules (bot/services/childcare*.py), as the board names them
JOBS = ((childcare.JOB_RING, "board.timer_ring"), (childcare.JOB_PICKUP, "board.timer_pickup"),
        (childcare.JOB_EXPIRE, "board.timer_expire"))


def timers(r: dict, now: datetime) -> list[tuple[str, datetime]]:
    """The jobs still scheduled for a childcare request, soonest first: (what, when)."""
    if r.get("status") not in CHILDCARE_OPEN:
        return []
    store, out = rt().store, []
    for key, label in JOBS:
        timer = store.get_timer(job_timer_id(key.format(r.get("id"))))
        at = _aware(timer["at"]) if timer else None
        if at is not None:
            out.append((t(label), at))
    return sorted(out, key=lambda pair: pair[1])


def _childcare(r: dict, now: datetime) -> list:
    asked = r.get("asked") if isinstance(r.get("asked"), list) else []
    ahead = timers(r, now)
    return [r.get("code"), _status(r), r.get("child_name"),
            r.get("place"), when(r.get("pickup_at")), r.get("area"), ", ".join(_who(n) for n in asked),
            _answered(r), " · ".join(f"{what} {_due(at, now)}" for what, at in ahead), when(r.get("created_at"))]


# ------------------------------------------------------------------ the others
def _school(r: dict, now: datetime) -> list:
    due = _aware(r.get("due_at"))
    kind = r.get("kind")
    return [r.get("code"), r.get("school"), t(f"school_kind.{kind}", default=str(kind)) if kind else "", _status(r),
            _due(due, now) if due else ""]


def _peer(r: dict, now: datetime) -> list:
    return [r.get("code"), r.get("pseudonym"), r.get("lang"), _status(r), _count(r.get("replies")),
            when(r.get("created_at"))]


def _cleaning(r: dict, now: datetime) -> list:
    return [r.get("code") or r.get("id"), _status(r), _who(r.get("client")), _who(r.get("cleaner")),
            when(r.get("created_at"))]


def _in_grace(r: dict, now: datetime) -> bool:
    due = _aware(r.get("due_at"))
    return r.get("status") == "pending" and (due is None or due >= now)


# kind, title key, header keys, which records show, their cells
SECTIONS: list[tuple[str, str, list[str], Callable[[dict, datetime], bool], Callable[[dict, datetime], list]]] = [
    ("childcare.request", "board.childcare",
     ["code", "status", "child", "place", "pickup", "area", "asked", "answered", "timers", "since"],
     lambda r, now: r.get("status") in CHILDCARE_OPEN, _childcare),
    ("school.alert", "board.school", ["code", "school", "kind", "status", "goes_out"], _in_grace, _school),
    ("peer.post", "board.peer", ["code", "pseudonym", "lang", "status", "replies", "posted"],
     lambda r, now: r.get("status") == "open", _peer),
    ("cleaning.job", "board.cleaning", ["job", "status", "client", "cleaner", "since"],
     lambda r, now: r.get("status") not in CLEANING_DONE, _cleaning),
]


def _load(record_kind: str, rec: dict) -> dict:
    # a request's open-phase decision (a YES, a call-off) lives in its claim record until saved
    return childcare.merged(rt().store, rec) if record_kind == childcare.REQUEST and "id" in rec else rec


def sections(now: datetime | None = None) -> list[dict]:
    now = now or datetime.now(timezone.utc)
    out = []
    for record_kind, title, headers, keep, cells in SECTIONS:
        rows = []
        for rec in rt().store.find_records(record_kind):
            if not isinstance(rec, dict):
                continue
            rec = _load(record_kind, rec)
            if keep(rec, now):
                rows.append(["" if c is None else c for c in cells(rec, now)])
        out.append({"kind": record_kind, "title": t(title), "headers": [t("board.h_" + h) for h in headers],
                    "rows": rows})
    return out


@bp.get("/board")
def board():
    return render_template("admin_board.html", sections=sections())
