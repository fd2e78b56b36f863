"""school_alert_due: the end of a grace window; a background job, not a flow step.

Scheduled by ``school_mark`` as::

    ctx.schedule_job("school_alert_due", due_at, "school.alert:<alert id>", alert="<alert id>")

It runs as a flow step too (say, a coordinator's "send it now")::

    send_now:
      action: {call: school_alert_due, with: {alert: "{alert.id}"}, on: {skipped: too_late}}
      goto: sent

A pending alert is sent to the parent in the parent's language (their own
choice, else the roster's) and becomes ``sent``; an alert the teacher called
off (ARRIVED) is left alone, so a job that fires anyway (a restart between the
cancel and the timer removal) sends nothing.

Results: ``ok`` (sent), ``skipped`` (not pending any more, or gone).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit
from ..services.school import PENDING, SENT, parent_contact
from .base import Action


class SchoolAlertDue(Action):
    name = "school_alert_due"
    params = {"alert": True}
    results = ("ok", "skipped")

    def run(self, ctx, params):
        aid = str(params.get("alert") or "")
        alert = ctx.store.get_record("school.alert", aid)
        if not alert or alert.get("status") != PENDING or not alert.get("parent"):
            return ActionResult("skipped", {})
        parent = parent_contact(ctx.store, alert)
        key = "school.parent_late" if alert.get("kind") == "late" else "school.parent_absent"
        ctx.store.put_record("school.alert", aid, {**alert, "status": SENT, "sent_at": ctx.now})
        return ActionResult("ok", {}, (
            ctx.say(parent, key, child=alert.get("name"), school=alert.get("school")),
            Audit(alert["parent"], "school.alert_sent", {"alert": aid, "kind": alert.get("kind")}),
        ))


ACTION = SchoolAlertDue()
