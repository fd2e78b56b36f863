"""school_alert_due: the end of a grace window; a background job, not a flow step.

Scheduled by ``school_mark`` as::

    ctx.schedule_job("school_alert_due", due_at, "school.alert:<alert id>", alert="<alert id>")

It runs as a flow step too (say, a coordinator's "send it now")::

    send_now:
      action: {call: school_alert_due, with: {alert: "{alert.id}"}, on: {skipped: too_late}}
      goto: sent

A pending alert is sent to the parent in the parent's language (their own
choice, else the roster's) and becomes ``sent``. The parent's
``school_reply`` conversation sends it (a ``start:school_reply`` event, see
bot/conversation.py), so the parent's plain answer reaches the teacher;
when the parent is busy in another conversation (or not a parent member, or
has only the roster's language) the job sends it itself, with "text REPLY"
(flows/school_parent.yaml). An alert the teacher called off (ARRIVED) is
left alone, so a job that fires anyway (a restart between the cancel and the
timer removal) sends nothing.

A job that runs more than SCHOOL_ALERT_LATE_LIMIT_MINUTES (default 60) after
its alert was due (the line was down) sends the parent nothing: the alert
becomes ``expired`` and the teacher is told, in their language, so they can
call the parent or mark the child again.

Results: ``ok`` (sent), ``skipped`` (not pending any more, gone, or expired).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit, Contact
from ..services import busy_elsewhere, member
from ..services.school import EXPIRED, PENDING, SENT, parent_contact, too_late
from .base import Action

START_REPLY = "start:school_reply"  # bot.conversation.START_PREFIX + the flow
RESTING = ("main", "school_reply")  # conversations an alert may replace: the menu, an earlier alert


def free_for_reply(ctx, number: str) -> bool:
    """The parent can get the alert as a conversation: a parent member not
    in the middle of another one (the start event itself does not check)."""
    rec = ctx.store.get_contact(number) or {}
    if "parent" not in (rec.get("roles") or ()) or not rec.get("lang"):
        return False  # not a parent member, or the roster's language is the only one known
    return not busy_elsewhere(ctx.store, number, ctx.now, RESTING)


class SchoolAlertDue(Action):
    name = "school_alert_due"
    params = {"alert": True}
    results = ("ok", "skipped")

    def run(self, ctx, params):
        aid = str(params.get("alert") or "")
        alert = ctx.store.get_record("school.alert", aid)
        if not alert or alert.get("status") != PENDING or not alert.get("parent"):
            return ActionResult("skipped", {})
        if too_late(alert, ctx.now, ctx.settings):
            return self.expire(ctx, aid, alert)
        parent = parent_contact(ctx.store, alert)
        key = "school.parent_late" if alert.get("kind") == "late" else "school.parent_absent"
        ctx.store.put_record("school.alert", aid, {**alert, "status": SENT, "sent_at": ctx.now})
        about = {"id": aid, "child": alert.get("name"), "age": alert.get("age"), "school": alert.get("school"),
                 "kind": alert.get("kind")}  # as school_find_alert gives it; never the teacher's number
        if free_for_reply(ctx, alert["parent"]):
            # if they are busy by the time it is delivered, the plain "text REPLY" alert goes instead
            texts = ctx.emit(alert["parent"], START_REPLY, vars={"alert": about, "child": alert.get("name"),
                                                                 "school": alert.get("school")},
                             resting=list(RESTING), busy_key=key,
                             busy_values={"child": alert.get("name"), "school": alert.get("school")})
        else:
            texts = ctx.say(parent, key, child=alert.get("name"), school=alert.get("school"))
        return ActionResult("ok", {}, (
            texts,
            Audit(alert["parent"], "school.alert_sent", {"alert": aid, "kind": alert.get("kind")}),
        ))

    @staticmethod
    def expire(ctx, aid: str, alert: dict) -> ActionResult:
        ctx.store.put_record("school.alert", aid, {**alert, "status": EXPIRED, "expired_at": ctx.now})
        effects: list = [Audit(alert["parent"], "school.alert_expired", {
            "alert": aid, "kind": alert.get("kind"), "due_at": alert["due_at"].isoformat()})]
        if alert.get("teacher"):
            teacher = member(ctx.store, alert["teacher"]) or Contact(alert["teacher"])
            due = alert["due_at"].astimezone(ctx.now.tzinfo)  # a store may give it back in UTC
            effects.append(ctx.say(teacher, "school.alert_expired", child=alert.get("name"), due=due))
        return ActionResult("skipped", {}, tuple(effects))


ACTION = SchoolAlertDue()
