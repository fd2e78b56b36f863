"""The pair's money commands: PAY/LOAN (the cleaner asks), ACCEPT/DECLINE
(the client answers with the request's code), CASH (each side confirms the
cash was handed over), BALANCE. The ledger itself: cleaning_ledger.py.
Amounts reach texts as Decimals: the catalog formats them with babel for the
reader's language where the line is (en/es in the US: $80.00; Spanish in Spain: 80,00 €).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.model import Audit
from . import cleaning as c
from . import cleaning_ledger as ledger
from .cleaning_words import amount_and_note, code_of


def _name(ctx, job, side, reader):
    return c.name_for(ctx, c.contact(ctx.store, job[side]), side, c.lang_of(reader, ctx))


def request(ctx: Any, job: dict, side: str, args: str, kind: str) -> tuple[str, list]:
    """PAY 80 [note] / LOAN 200 [note] / REPAY 50 [note] from the cleaner."""
    me = ctx.contact
    if side != "cleaner":
        return "ok", [ctx.say(me, "cleaning.cleaner_only")]
    if job["status"] != "active":
        return "ok", [ctx.say(me, "cleaning.not_active", name=_name(ctx, job, "client", me))]
    raw, note = amount_and_note(args)
    amount, error, values = ledger.parse_amount(ctx, raw)
    if amount is None:
        return "ok", [ctx.say(me, error, **values)]
    rows = ledger.entries(ctx.store, job["id"])
    if kind == "repayment":
        _, owed = ledger.balance(rows)
        if not owed:
            return "ok", [ctx.say(me, "cleaning.repay_nothing", name=_name(ctx, job, "client", me))]
        if amount > owed:
            return "ok", [ctx.say(me, "cleaning.repay_too_much", owe=owed)]
    code = c.new_code(ctx.store, f"{job['id']}:{len(rows)}:{kind}", ledger.codes_in_use(rows))
    ledger.add_entry(ctx, job["id"], kind, amount, code, me.id, note)
    client = c.contact(ctx.store, job["client"])
    source, target = c.lang_of(me, ctx), c.lang_of(client, ctx)
    texts, left = c.translated(ctx, [note], source, target) if note else ([""], [])
    what = {"payment_request": "pay", "loan_request": "loan"}.get(kind, "repay")
    key = f"cleaning.{what}_request" + ("_note" if note else "")
    return "ok", [ctx.say(me, f"cleaning.{what}_sent", amount=amount, code=code, name=_name(ctx, job, "client", me)),
                  c.send(ctx, client, key, source, left, name=_name(ctx, job, "cleaner", client), amount=amount,
                         code=code, note=texts[0])]


def _find(ctx, job, args) -> tuple[str | None, ledger.Request | None]:
    code = code_of(args)
    if code is None:
        return None, None
    return code, ledger.requests(ledger.entries(ctx.store, job["id"])).get(code)


def answer(ctx: Any, job: dict, side: str, args: str, accept: bool) -> tuple[str, list]:
    """ACCEPT/DECLINE <code> from the client."""
    me = ctx.contact
    code, req = _find(ctx, job, args)
    if req is None:
        return "ok", [ctx.say(me, "cleaning.which_code")]
    if side != "client":
        return "ok", [ctx.say(me, "cleaning.client_only")]
    if req.answer is not None:
        return "ok", [ctx.say(me, "cleaning.already_answered", code=code)]
    kind = "accepted" if accept else "declined"
    ledger.add_entry(ctx, job["id"], kind, req.amount, code, me.id)
    cleaner = c.contact(ctx.store, job["cleaner"])
    what = req.what
    return "ok", [ctx.say(me, f"cleaning.{what}_{kind}_ok", amount=req.amount, code=code,
                          name=_name(ctx, job, "cleaner", me)),
                  ctx.say(cleaner, f"cleaning.{what}_{kind}", amount=req.amount, code=code,
                          name=_name(ctx, job, "client", cleaner)),
                  Audit(me.id, f"cleaning.{what}_{kind}", {"job": job["id"], "code": code})]


def cash(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    """CASH <code>: this side says the cash changed hands; both saying so confirms it."""
    me = ctx.contact
    code, req = _find(ctx, job, args)
    if req is None:
        return "ok", [ctx.say(me, "cleaning.which_code")]
    if req.repayment:
        return "ok", [ctx.say(me, "cleaning.repay_no_cash", code=code)]
    if req.answer != "accepted":
        return "ok", [ctx.say(me, "cleaning.cash_not_accepted", code=code)]
    if req.cash:
        return "ok", [ctx.say(me, "cleaning.cash_already", code=code)]
    cid = f"{job['id']}:{code}:{side}"
    ctx.store.put_record(ledger.CONFIRM, cid, {"id": cid, "job": job["id"], "code": code, "by": me.id,
                                               "side": side, "at": ctx.now.isoformat()})
    other_side = c.other_side(side)
    other = c.contact(ctx.store, job[other_side])
    if not any(r.entry["code"] == code for r in ledger.settle_cash(ctx, job["id"], me.id)):
        return "ok", [ctx.say(me, "cleaning.cash_noted", code=code, name=_name(ctx, job, other_side, me)),
                      ctx.say(other, "cleaning.cash_confirm_ask", amount=req.amount, code=code,
                              name=_name(ctx, job, side, other))]
    return "ok", [ctx.say(reader, "cleaning.cash_confirmed", amount=req.amount, code=code)
                  for reader in (me, other)]


def reverse(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    """REVERSE <code>: undo a request with a new ``reversal`` entry.

    Still unanswered, the cleaner who made it takes it back alone (the client
    has DECLINE for that). Once answered, it has counted for both: it is
    reversed when both sides have asked, as cash is confirmed by both. A
    declined request counts for nothing already."""
    me = ctx.contact
    code, req = _find(ctx, job, args)
    if req is None:
        return "ok", [ctx.say(me, "cleaning.reverse_which")]
    other_side = c.other_side(side)
    other = c.contact(ctx.store, job[other_side])
    if req.answer == "declined":
        return "ok", [ctx.say(me, "cleaning.reverse_declined", code=code)]
    if req.answer is None:
        if req.entry.get("by") != me.id:
            return "ok", [ctx.say(me, "cleaning.reverse_decline_instead", code=code)]
        ledger.reverse(ctx, req.entry, me.id)
        return "ok", [ctx.say(me, "cleaning.reverse_withdrawn_ok", code=code, amount=req.amount),
                      ctx.say(other, "cleaning.reverse_withdrawn", code=code, amount=req.amount,
                              name=_name(ctx, job, side, other)),
                      Audit(me.id, "cleaning.reversed", {"job": job["id"], "code": code})]
    rid = f"{job['id']}:{code}:{side}"
    ctx.store.put_record(ledger.REVERSAL_ASK, rid, {"id": rid, "job": job["id"], "code": code, "by": me.id,
                                                    "side": side, "at": ctx.now.isoformat()})
    if ledger.settle_reversal(ctx, job["id"], req, me.id) is None:
        return "ok", [ctx.say(me, "cleaning.reverse_asked", code=code, amount=req.amount,
                              name=_name(ctx, job, other_side, me)),
                      ctx.say(other, "cleaning.reverse_ask", code=code, amount=req.amount,
                              name=_name(ctx, job, side, other))]
    return "ok", [ctx.say(reader, "cleaning.reverse_done", code=code, amount=req.amount) for reader in (me, other)] + [
        Audit(me.id, "cleaning.reversed", {"job": job["id"], "code": code})]


def balance(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = ctx.contact
    ledger.settle_cash(ctx, job["id"], me.id)  # two confirmations that crossed each other
    to_cleaner, to_client = ledger.balance(ledger.entries(ctx.store, job["id"]))
    owed_to_me, i_owe = (to_cleaner, to_client) if side == "cleaner" else (to_client, to_cleaner)
    name = _name(ctx, job, c.other_side(side), me)
    if not owed_to_me and not i_owe:
        return "ok", [ctx.say(me, "cleaning.balance_clear", name=name)]
    return "ok", [ctx.say(me, "cleaning.balance", name=name, owed=owed_to_me or Decimal("0.00"),
                          owe=i_owe or Decimal("0.00"))]
