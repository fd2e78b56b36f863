"""childcare_decline: a helper's NO (NO 482, or a bare NO with one open ask).

Example::

    no:
      action:
        call: childcare_decline
        with: {code: "{args}"}
        save: got
        on: {which: no_which, none: none}
      goto: declined

Saves a ``childcare.answer`` record (never rewrites the request, so a NO can
never undo someone else's YES) so the "covered" notice skips this helper.
Results: ``ok`` (data code), ``which`` (data codes), ``none``.
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit
from ..services.childcare import ANSWER, asked_with_code, code_in, codes_text, open_asks, pick
from .base import Action


class ChildcareDecline(Action):
    name = "childcare_decline"
    params = {"code": False}
    results = ("ok", "which", "none")
    outputs = ("code", "codes")

    def run(self, ctx, params):
        me = ctx.contact.id
        code = code_in(params.get("code"))
        asks = open_asks(ctx.store, me)
        found, req = pick(asks, code)
        if code and req is None:
            req = asked_with_code(ctx.store, me, code)
        if req is None:
            return ActionResult("which" if found == "which" else "none", {"codes": codes_text(asks), "code": code})
        answer = {"id": f"{req['id']}:{me}", "request": req["id"], "helper": me, "answer": "no", "at": ctx.now}
        ctx.store.put_record(ANSWER, answer["id"], answer)
        return ActionResult("ok", {"code": req.get("code")}, (
            Audit(req["parent"], "childcare.declined", {"request": req["id"], "code": req.get("code"), "helper": me}),
        ))


ACTION = ChildcareDecline()
