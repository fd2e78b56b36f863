"""school_mark: a teacher marks children of their roster late or absent.

Example (flows/school.yaml)::

    mark:
      action:
        call: school_mark
        with: {kind: "{kind}", codes: "{codes}"}
        save: marked
        on: {empty: help}
      goto: report

``kind`` is ``late`` or ``absent``; ``codes`` the rest of the command
(``12 14``). Each known code gets a pending ``school.alert`` and a background
job (``school_alert_due``) at the end of the school's grace window; ARRIVED
inside the window cancels it. A student record has one teacher, and one
teacher's steps run one at a time (the contact lock), so reading the alert
is enough to keep it to one per child, day and kind. A child already alerted today for the same kind
is only reported back (``again``), never alerted twice. An alert the teacher
called off earlier today, or one that expired unsent (school_alert_due), can
be marked again.

Results: ``ok``; ``empty`` when no code was given (or the flow passed an unknown kind).
Data: ``kind``, ``new`` / ``again`` (children, e.g. ``Ana (12), Luis (14)``),
``unknown`` (codes not on this teacher's roster), ``has_new`` / ``has_again`` /
``has_unknown`` (bools, for ``switch``), ``minutes`` (the grace window) and
``due`` (when the parents are told, as the teacher's clock reads: ``8:35 AM``).
"""
from __future__ import annotations

from datetime import timedelta

from babel.dates import format_time

from ..engine.model import ActionResult, Audit
from ..services.school import (
    CANCELLED, EXPIRED, KINDS, PENDING, alert_id, day_of, grace_minutes, job_key, joined, label, parse_codes,
    students_by_code,
)
from .base import Action


class SchoolMark(Action):
    name = "school_mark"
    params = {"kind": True, "codes": False}
    results = ("ok", "empty")
    outputs = ("kind", "new", "again", "unknown", "has_new", "has_again", "has_unknown", "minutes", "due")

    def run(self, ctx, params):
        kind = str(params.get("kind") or "").strip().lower()
        if kind not in KINDS:  # a flow's mistake: never crash the teacher's step over it
            return ActionResult("empty", {"kind": kind}, (Audit(ctx.contact.id, "school.bad_kind", {"kind": kind}),))
        codes = parse_codes(params.get("codes"))
        if not codes:
            return ActionResult("empty", {"kind": kind})
        teacher = ctx.contact.id
        day = day_of(ctx.now)
        new, again, unknown, effects = [], [], [], []
        minutes = None
        due = None
        for code, students in students_by_code(ctx.store, teacher, codes).items():
            if not students:
                unknown.append(code)
                continue
            for student in students:
                aid = alert_id(student["id"], day, kind)
                old = ctx.store.get_record("school.alert", aid)
                if old is not None and old.get("status") not in (CANCELLED, EXPIRED):  # those may be marked again
                    again.append(label(student))
                    continue
                wait = grace_minutes(ctx.store, ctx.settings, student.get("school") or "")
                at = ctx.now + timedelta(minutes=wait)
                minutes = wait if minutes is None else max(minutes, wait)
                due = at if due is None else max(due, at)
                ctx.store.put_record("school.alert", aid, {
                    "id": aid, "code": student["code"], "student": student["id"], "name": student.get("name"),
                    "age": student.get("age"), "school": student.get("school"), "teacher": teacher,
                    "parent": student.get("parent"), "kind": kind, "status": PENDING, "due_at": at,
                    "created_at": ctx.now, "day": day,
                })
                effects.append(ctx.schedule_job("school_alert_due", at, job_key(aid), alert=aid))
                effects.append(Audit(teacher, f"school.{kind}", {"alert": aid, "due_at": at.isoformat()}))
                new.append(label(student))
        data = {"kind": kind, "new": joined(new), "again": joined(again), "unknown": joined(unknown),
                "has_new": bool(new), "has_again": bool(again), "has_unknown": bool(unknown),
                "minutes": minutes if minutes is not None else 0, "due": clock_time(due, ctx)}
        return ActionResult("ok", data, tuple(effects))


def clock_time(at, ctx) -> str:
    """``at`` as the teacher reads a time (8:35 AM / 8:35), with plain spaces:
    babel's narrow no-break space would make the whole SMS UCS-2 (two segments)."""
    if at is None:
        return ""
    lang = ctx.catalog.lang_for(ctx.contact.lang)
    return format_time(at, format="short", locale=lang).replace("\u202f", " ").replace("\u00a0", " ")


ACTION = SchoolMark()
