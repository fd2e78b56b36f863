"""school_arrived: a teacher's undo (ARRIVED 12 / LLEGÓ 12).

Example (flows/school.yaml)::

    arrived:
      action: {call: school_arrived, with: {codes: "{codes}"}, save: arrived, on: {empty: help}}
      goto: report_arrived

Inside the grace window the child's pending alerts of today (late or absent)
are cancelled with their jobs: the parent never hears of them. After the
window the parent was told already, so the parent gets a short "has arrived"
text instead (once).

Results: ``ok``; ``empty`` when no code was given.
Data: ``cancelled`` (no message went out), ``told`` (the parent was told, and
now hears of the arrival), ``nothing`` (no alert today), ``unknown`` (codes
not on the roster), each with a ``has_…`` bool for ``switch``.
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit
from ..services.school import (
    CANCELLED, KINDS, PENDING, SENT, alert_id, day_of, job_key, joined, label, parent_contact, parse_codes,
    students_by_code,
)
from .base import Action


class SchoolArrived(Action):
    name = "school_arrived"
    params = {"codes": False}
    results = ("ok", "empty")
    outputs = ("cancelled", "told", "nothing", "unknown", "has_cancelled", "has_told", "has_nothing", "has_unknown")

    def run(self, ctx, params):
        codes = parse_codes(params.get("codes"))
        if not codes:
            return ActionResult("empty", {})
        teacher = ctx.contact.id
        day = day_of(ctx.now)
        out: dict[str, list] = {"cancelled": [], "told": [], "nothing": [], "unknown": []}
        effects: list = []
        for code, students in students_by_code(ctx.store, teacher, codes).items():
            if not students:
                out["unknown"].append(code)
                continue
            for student in students:
                alerts = [a for kind in KINDS
                          if (a := ctx.store.get_record("school.alert", alert_id(student["id"], day, kind)))]
                pending = [a for a in alerts if a.get("status") == PENDING]
                told = [a for a in alerts if a.get("status") == SENT and not a.get("arrived_at")]
                for alert in pending:
                    ctx.store.put_record("school.alert", alert["id"],
                                         {**alert, "status": CANCELLED, "cancelled_at": ctx.now})
                    effects.append(ctx.cancel_job(job_key(alert["id"])))
                    effects.append(Audit(teacher, "school.cancelled", {"alert": alert["id"]}))
                for alert in told:
                    ctx.store.put_record("school.alert", alert["id"], {**alert, "arrived_at": ctx.now})
                if told:
                    alert = told[0]
                    effects.append(ctx.say(parent_contact(ctx.store, alert), "school.parent_arrived",
                                           child=alert.get("name"), school=alert.get("school")))
                    effects.append(Audit(teacher, "school.arrived_after_alert", {"alert": alert["id"]}))
                bucket = "told" if told else "cancelled" if pending else "nothing"
                out[bucket].append(label(student))
        data = {name: joined(items) for name, items in out.items()}
        data.update({f"has_{name}": bool(items) for name, items in out.items()})
        return ActionResult("ok", data, tuple(effects))


ACTION = SchoolArrived()
