"""school_relay: a parent's answer to a school alert, relayed to the teacher.

Example (flows/school_parent.yaml)::

    relay:
      action:
        call: school_relay
        with: {alert: "{alert.id}", text: "{message}"}
        on: {closed: no_alert, empty: ask_text, limit: too_many}
      goto: relayed

The teacher reads the child's name and code and the parent's words, never the
parent's number (and the parent never sees the teacher's). When their
languages differ the message carries ``translate`` for the outbox: the
translation service translates the parent's words when one is configured,
otherwise they go as written.

A parent's plain text right after an alert (flows/school_reply.yaml) comes
with ``window: true``: it is relayed only within SCHOOL_REPLY_WINDOW_HOURS
(default 12) of the alert, else ``closed`` (the text goes to the menu, as
any text does)::

    relay:
      action:
        call: school_relay
        with: {alert: "{alert.id}", text: "{message}", window: true}
        on: {closed: back, empty: alerted, limit: too_many}
      goto: relayed

Results: ``ok``; ``closed`` when the alert (or its teacher) is gone, or it
is not this parent's, or (``window``) the window has passed; ``empty`` when there is nothing to send; ``limit`` after
SCHOOL_MAX_REPLIES messages (default 5) about one alert: a teacher's phone is
not a chat line.
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit, Send
from ..services.school import DEFAULT_MAX_REPLIES, setting_int, within_reply_window
from ..store.contacts import view
from ..translate import body_at
from .base import Action

MAX_TEXT = 600  # about four SMS: a parent's note, not a letter


class SchoolRelay(Action):
    name = "school_relay"
    params = {"alert": True, "text": True, "window": False}
    results = ("ok", "closed", "empty", "limit")

    def run(self, ctx, params):
        body = " ".join(str(params.get("text") or "").split())[:MAX_TEXT]
        if not body:
            return ActionResult("empty", {})
        alert = ctx.store.get_record("school.alert", str(params.get("alert") or ""))
        if not alert or alert.get("parent") != ctx.contact.id:
            return ActionResult("closed", {})
        if params.get("window") is True and not within_reply_window(alert, ctx.now, ctx.settings):
            return ActionResult("closed", {})
        rec = ctx.store.get_contact(alert.get("teacher") or "")
        if rec is None:
            return ActionResult("closed", {})
        limit = setting_int(ctx.settings, "SCHOOL_MAX_REPLIES", DEFAULT_MAX_REPLIES, 1, 100)
        replies = int(alert.get("replies") or 0)
        if replies >= limit:
            return ActionResult("limit", {})
        ctx.store.put_record("school.alert", alert["id"], {**alert, "replies": replies + 1})
        teacher = view(rec)
        catalog = ctx.catalog
        target = catalog.lang_for(teacher.lang)
        source = catalog.lang_for(ctx.contact.lang)
        values = {"child": alert.get("name"), "code": alert.get("code"), "body": body}
        text = catalog.text(target, "school.relay_to_teacher", values)
        extra = None
        if source != target:
            spec = {"source": source, "target": target, "body": body}
            at = body_at(catalog, target, "school.relay_to_teacher", values, "body")
            extra = {"translate": spec if at is None else {**spec, "at": at}}
        return ActionResult("ok", {}, (
            Send(teacher.id, text, "school.relay_to_teacher", (), target, extra=extra),
            Audit(ctx.contact.id, "school.reply_relayed", {"alert": alert["id"], "chars": len(body)}),
        ))


ACTION = SchoolRelay()
