"""school_find_alert: which school alert a parent's REPLY / RESPONDER answers.

Example (flows/school_parent.yaml)::

    find:
      action: {call: school_find_alert, with: {text: "{message}"}, save: alert, on: {none: no_alert, text: relay}}
      goto: choose

The newest alert this parent was sent within SCHOOL_REPLY_HOURS (default 24).
The parent only reaches a teacher by naming it (REPLY, then a choice, or
REPLY with the message): a later unrelated text is never relayed by surprise.

Results: ``ok`` (an alert, no message yet), ``text`` (an alert, and ``text``
holds the message to relay), ``none`` (no recent alert).
Data: ``id``, ``child``, ``age`` (may be None), ``school``, ``kind``.
The teacher's number stays out of the parent's session.
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.school import recent_alert
from .base import Action


class SchoolFindAlert(Action):
    name = "school_find_alert"
    params = {"text": False}
    results = ("ok", "text", "none")
    outputs = ("id", "child", "age", "school", "kind")

    def run(self, ctx, params):
        alert = recent_alert(ctx.store, ctx.contact.id, ctx.now, ctx.settings)
        if alert is None:
            return ActionResult("none", {})
        data = {"id": alert["id"], "child": alert.get("name"), "age": alert.get("age"),
                "school": alert.get("school"), "kind": alert.get("kind")}
        text = params.get("text")
        return ActionResult("text" if isinstance(text, str) and text.strip() else "ok", data)


ACTION = SchoolFindAlert()
