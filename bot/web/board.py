"""``/admin/board``: what the line is busy with right now.

Read straight from the services' records (``store.find_records(kind)``).
Each section names the fields it shows; a kind nobody has written yet, or a
field a record lacks, just shows nothing. Numbers never appear: helpers
show by name (else masked), peer posts by pseudonym only.

Timers: the store has no way to list its timers, so the board works out a
childcare request's from what the jobs are scheduled from (the service's own
rules, bot/services/childcare*.py): the next ring CHILDCARE_RING_MINUTES after
the last ``childcare.ring`` audit entry while nobody said yes; the pick-up
check at the pick-up time; the expiry CHILDCARE_GRACE_MINUTES after it while
nobody said yes. A school alert goes out at its ``due_at``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Blueprint, render_template

from ..services import childcare, int_setting
from ..services.childcare_dispatch import has_helper, still_looking
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


def _minutes(name: str) -> int:
    return int_setting(rt().cfg.service_settings(), name, childcare.SETTINGS[name][0])


def _last_ring(r: dict) -> datetime | None:
    rings = [_aware(e.get("at")) for e in rt().store.audit_entries(r.get("parent"))
             if e.get("what") == "childcare.ring" and (e.get("data") or {}).get("request") == r.get("id")]
    rings = [at for at in rings if at]
    return max(rings) if rings else _aware(r.get("created_at"))


def timers(r: dict, now: datetime) -> list[tuple[str, datetime]]:
    """The jobs still ahead for a childcare request, soonest first: (what, when)."""
    pickup = _aware(r.get("pickup_at"))
    if pickup is None or r.get("status") not in CHILDCARE_OPEN:
        return []
    out = []
    looking = still_looking(r)
    if looking and r.get("status") == childcare.OPEN:
        last = _last_ring(r)
        if last is not None:
            ring_at = last + timedelta(minutes=_minutes("CHILDCARE_RING_MINUTES"))
            if ring_at < pickup:  # a ring at or after the pick-up does nothing
                out.append((t("board.timer_ring"), ring_at))
    reason = "no_helper" if looking else "no_pickup" if has_helper(r) else None
    if reason and reason not in (r.get("escalations") or ()) and pickup > now:
        out.append((t("board.timer_pickup"), pickup))
    if looking:
        out.append((t("board.timer_expire"), pickup + timedelta(minutes=_minutes("CHILDCARE_GRACE_MINUTES"))))
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
