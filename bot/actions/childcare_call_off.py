"""childcare_call_off: the parent calls a request off (CALL OFF / ANULAR [code], or the numbered choice).

Example::

    call_off_cmd:
      action:
        call: childcare_call_off
        with: {code: "{args}"}
        save: off
        on: {none: off_none, which: off_which, late: off_late}
      goto: off_done

Works at any time before the pickup: the helper who has it, or while no one
has it every helper whose ask is still open, is told (not those already told
it was covered, nor those who said NO), and the request's jobs stop. While no
helper has it, the call-off takes the request's open claim, so it can never
cross with a helper's YES: either the YES came first (the helper is told it
is called off) or the YES is told it was called off. Once a helper has it,
the call-off and the helper's PICKED UP race for the held claim: the loser
is told what the winner did and nothing is overwritten
(``services/childcare_claims.py``). Never the word CANCEL (carriers treat it
as opting out).
Results: ``ok`` (data code, child), ``none``, ``which`` (data codes),
``late`` (already picked up: data child).
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare import (
    ACTIVE, CALLED_OFF, PICKED_UP, code_in, codes_text, decide, load, parent_requests, pick, settle, still_looking,
)
from ..services.childcare_dispatch import call_off, save
from .base import Action


class ChildcareCallOff(Action):
    name = "childcare_call_off"
    params = {"code": False}
    results = ("ok", "none", "which", "late")
    outputs = ("code", "child", "codes")

    def run(self, ctx, params):
        reqs = parent_requests(ctx.store, ctx.contact.id, ACTIVE)
        found, req = pick(reqs, code_in(params.get("code")))
        if req is None:
            return ActionResult(found, {"codes": codes_text(reqs)})
        data = {"code": req["code"], "child": req.get("child_name")}
        if req["status"] == PICKED_UP:
            return ActionResult("late", data)
        if still_looking(req) and not decide(ctx, req, CALLED_OFF):
            req = load(ctx.store, req["id"])  # a helper's YES won an instant ago: call that off
            if req["status"] not in ACTIVE or req["status"] == PICKED_UP:
                return ActionResult("late" if req["status"] == PICKED_UP else "none", data)
        if req.get("helper") and not settle(ctx, req, CALLED_OFF):
            # The helper's PICKED UP won (maybe committing right now): never overwrite it.
            return ActionResult("late", data)
        req, effects = call_off(ctx, req)
        save(ctx, req)
        return ActionResult("ok", data, tuple(effects))


ACTION = ChildcareCallOff()
