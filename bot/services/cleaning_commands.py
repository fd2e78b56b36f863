"""One entry for every cleaning command, from a command trigger (the flow's
``cleaning_command`` action) or from a text in the job's conversation
(``cleaning_route``), so both ways do exactly the same."""
from __future__ import annotations

from functools import partial
from typing import Any

from ..engine.model import ActionResult, Send
from . import cleaning as c
from . import cleaning_jobs as jobs
from . import cleaning_money as money
from .cleaning_words import code_of, command_table, match, plausible, split_tasks

HANDLERS = {
    "list": jobs.show_list, "add": jobs.add, "remove": jobs.remove, "send": jobs.send_tasks, "done": jobs.done,
    "here": jobs.here, "no_entry": jobs.no_entry, "original": jobs.original, "visit": jobs.visit,
    "close": jobs.close, "pay": partial(money.request, kind="payment_request"),
    "loan": partial(money.request, kind="loan_request"), "repay": partial(money.request, kind="repayment"),
    "reverse": money.reverse, "accept": partial(money.answer, accept=True),
    "decline": partial(money.answer, accept=False), "cash": money.cash, "balance": money.balance,
}

_TABLES: dict[int, tuple[Any, dict]] = {}


def table_for(catalog: Any) -> dict[str, str]:
    got = _TABLES.get(id(catalog))
    if got is None or got[0] is not catalog:
        _TABLES.clear()  # one live catalog at a time; a reload builds the next
        got = _TABLES[id(catalog)] = (catalog, command_table(catalog))
    return got[1]


def run(ctx: Any, command: str, args: str) -> ActionResult:
    args = args if isinstance(args, str) else ""
    me = ctx.contact
    if command in ("accept", "decline"):
        # An invited cleaner answers before any job is theirs.
        code = code_of(args)
        answered = jobs.answer_invite(ctx, code, command == "accept") if code else None
        if answered is not None:
            return finish(ctx, *answered)
    job = c.current_job(ctx.store, me.id)
    side = c.side_of(job, me.id) if job else None
    if side is None:
        invited = command in ("accept", "decline") and any(
            j["cleaner"] == me.id for j in ctx.store.find_records(c.JOB, status="pending"))
        return ActionResult("no_job", {}, (ctx.say(me, "cleaning.which_code" if invited else "cleaning.no_job"),))
    handler = HANDLERS.get(command)
    if handler is None:
        return finish(ctx, "ok", [ctx.say(me, "cleaning.no_job")])
    return finish(ctx, *handler(ctx, job, side, args))


def route(ctx: Any, text: str, mode: str) -> ActionResult:
    """A text in the job's conversation: a command, a task (while the client
    is listing them), or a note for the other side."""
    text = text if isinstance(text, str) else ""
    me = ctx.contact
    job = c.current_job(ctx.store, me.id)
    side = c.side_of(job, me.id) if job else None
    hit = match(table_for(ctx.catalog), text)
    if hit is not None and (side is None or plausible(hit[0], hit[1], side)):
        return run(ctx, *hit)
    if side is None:
        return ActionResult("no_job", {}, (ctx.say(me, "cleaning.no_job"),))
    if mode == "tasks" and side == "client":
        if not split_tasks(text):
            return ActionResult("collect", {}, ())
        return finish(ctx, *jobs.add(ctx, job, side, text))
    return finish(ctx, *jobs.note(ctx, job, side, text))


# Results after which the flow asks again with ``cleaning.reply`` ("{out.reply}").
REPLY_RESULTS = frozenset({"ok", "sent", "accepted", "invited"})


def finish(ctx: Any, result: str, effects: list) -> ActionResult:
    """The member's last plain reply becomes ``data["reply"]``, which the
    conversation's next question says (a flow must say something each time
    it asks); with none, a short "sent" / "text here" line. Messages that the
    worker still has to translate stay sends of their own."""
    effects = list(effects)
    reply = None
    if result in REPLY_RESULTS:
        own = [i for i, e in enumerate(effects) if isinstance(e, Send) and e.to == ctx.contact.id]
        if own and not effects[own[-1]].extra:
            reply = effects.pop(own[-1]).text
        else:
            reply = ctx.catalog.text(ctx.contact.lang, "cleaning.chat_hint" if own else "cleaning.sent")
    return ActionResult(result, {"reply": reply} if reply else {}, tuple(effects))
