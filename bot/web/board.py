"""``/admin/board``: what the line is busy with right now.

Read straight from the services' records (``store.find_records(kind)``).
Each section names the fields it shows; a kind nobody has written yet, or a
field a record lacks, just shows nothing. Numbers never appear: helpers
show by name (else masked), peer posts by pseudonym only.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from flask import Blueprint, render_template

from .auth import guard
from .common import mask, rt, when

bp = Blueprint("board", __name__, url_prefix="/admin")
guard(bp)

CHILDCARE_OPEN = {"open", "covered", "picked_up"}
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


def _answers(request_id: Any) -> str:
    """Helpers' NOs (``childcare.answer`` records), by name."""
    if request_id is None:
        return ""
    rows = rt().store.find_records("childcare.answer", request=request_id)
    return ", ".join(f"{_who(a.get('helper'))}: {a.get('answer', '')}".rstrip(": ") for a in rows)


def _childcare(r: dict) -> list:
    asked = r.get("asked") if isinstance(r.get("asked"), list) else []
    return [r.get("code"), r.get("status"), r.get("child_name"), r.get("place"), when(r.get("pickup_at")),
            r.get("area"), ", ".join(_who(n) for n in asked), _answers(r.get("id")), _who(r.get("helper")),
            when(r.get("created_at"))]


def _school(r: dict) -> list:
    return [r.get("code"), r.get("school"), r.get("kind"), r.get("status"), when(r.get("due_at"))]


def _peer(r: dict) -> list:
    return [r.get("code"), r.get("pseudonym"), r.get("lang"), r.get("status"), _count(r.get("replies")),
            when(r.get("created_at"))]


def _cleaning(r: dict) -> list:
    return [r.get("code") or r.get("id"), r.get("status"), _who(r.get("client")), _who(r.get("cleaner")),
            when(r.get("created_at"))]


def _in_grace(r: dict, now: datetime) -> bool:
    due = _aware(r.get("due_at"))
    return r.get("status") == "pending" and (due is None or due >= now)


SECTIONS: list[tuple[str, str, list[str], Callable[[dict, datetime], bool], Callable[[dict], list]]] = [
    ("childcare.request", "Childcare requests",
     ["Code", "Status", "Child", "Place", "Pick-up", "Area", "Asked", "Said no", "Helper", "Since"],
     lambda r, now: r.get("status") in CHILDCARE_OPEN, _childcare),
    ("school.alert", "School alerts in their grace window", ["Code", "School", "Kind", "Status", "Due"],
     _in_grace, _school),
    ("peer.post", "Open peer posts", ["Code", "Pseudonym", "Lang", "Status", "Replies", "Posted"],
     lambda r, now: r.get("status") == "open", _peer),
    ("cleaning.job", "Cleaning jobs", ["Job", "Status", "Client", "Cleaner", "Since"],
     lambda r, now: r.get("status") not in CLEANING_DONE, _cleaning),
]


def sections(now: datetime | None = None) -> list[dict]:
    now = now or datetime.now(timezone.utc)
    out = []
    for record_kind, title, headers, keep, cells in SECTIONS:
        rows = []
        for rec in rt().store.find_records(record_kind):
            if isinstance(rec, dict) and keep(rec, now):
                rows.append(["" if c is None else c for c in cells(rec)])
        out.append({"kind": record_kind, "title": title, "headers": headers, "rows": rows})
    return out


@bp.get("/board")
def board():
    return render_template("admin_board.html", sections=sections())
