"""A pair's money: payment and loan requests, answers, cash handed over, and
the balance either way.

``ledger.entry`` {id, job, seq, kind, amount (a Decimal as a string), currency,
code, by, at, note, ref}; kind is payment_request | loan_request | repayment |
accepted | declined | cash_confirmed | reversal. Entries are only ever added: a
mistake is undone by a ``reversal`` entry naming the request it cancels
(``ref``); the request then counts for nothing, with all its answers.
Each side's "the cash was handed over" is a ``ledger.confirmation`` record;
when both have confirmed, a ``cash_confirmed`` entry is added. Each side's
"reverse it" on an answered request is a ``ledger.reversal_ask`` record; when
both have asked, the ``reversal`` entry is added (REVERSE in cleaning_money.py).

What is owed (read from the entries alone):

* an accepted payment request, cash not yet confirmed: the client owes the cleaner;
* an accepted loan, cash not yet confirmed: the client still has to hand it over
  (owed to the cleaner); once confirmed, the cleaner owes the client the loan;
* an accepted repayment (the cleaner says they paid part of a loan back, the
  client confirms getting it): that much less is owed to the client. Paid
  back beyond the loans, the rest is owed back to the cleaner.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from ..engine.inputs import ParseContext
from ..engine.inputs.money import KIND as MONEY

ENTRY = "ledger.entry"
CONFIRM = "ledger.confirmation"
REQUESTS = ("payment_request", "loan_request", "repayment")
REVERSAL_ASK = "ledger.reversal_ask"
MAX_AMOUNT = "2000"  # CLEANING_MAX_AMOUNT


def max_amount(settings: Mapping[str, Any]) -> Decimal:
    try:
        value = Decimal(str(settings.get("CLEANING_MAX_AMOUNT") or MAX_AMOUNT).strip())
    except ArithmeticError:
        return Decimal(MAX_AMOUNT)
    return value if value.is_finite() and value > 0 else Decimal(MAX_AMOUNT)


class _Vocab:
    """One vocab callable per catalog: the input kinds cache word tables by its identity."""

    catalog: Any = None

    def get(self, catalog: Any):
        if self.catalog is not catalog:
            self.catalog, self.fn = catalog, (lambda lang, key: catalog.words(lang, f"input.{key}"))
        return self.fn


_VOCAB = _Vocab()


def parse_amount(ctx: Any, text: str) -> tuple[Decimal | None, str | None, dict]:
    """(amount, None, {}) or (None, error locale key, its values), with the
    engine's money reader: "$80", "80", "80.50", "80,50"."""
    if not (text or "").strip():
        return None, "cleaning.amount_missing", {}
    lang = ctx.catalog.lang_for(ctx.contact.lang)
    pctx = ParseContext(lang, ctx.catalog.langs, ctx.now, str(ctx.settings.get("DEFAULT_REGION") or "US"),
                        _VOCAB.get(ctx.catalog))
    top = max_amount(ctx.settings)
    parsed = MONEY.parse(text, {"max": str(top)}, pctx)
    if parsed.ok:
        return parsed.value, None, {}
    if parsed.error == "input.money.not_positive":
        return None, "cleaning.amount_not_positive", {}
    if parsed.error == "input.money.too_large":
        return None, "cleaning.amount_too_large", {"max": top}
    return None, "cleaning.amount_unclear", {}


def entries(tx: Any, job_id: str) -> list[dict]:
    return sorted(tx.find_records(ENTRY, job=job_id), key=lambda e: (e.get("seq", 0), e.get("at", "")))


def add_entry(ctx: Any, job_id: str, kind: str, amount: Decimal | str, code: str, by: str, note: str = "",
              ref: str | None = None) -> dict:
    # ``seq`` orders a pair's entries; the id is a fresh one, never derived
    # from seq: the two sides' steps run under different locks, and two
    # entries must never share an id (that would overwrite one).
    seq = len(entries(ctx.store, job_id)) + 1
    entry = {"id": f"{job_id}.{ctx.ids.next('L')}", "job": job_id, "seq": seq, "kind": kind, "amount": str(Decimal(amount)),
             "currency": str(ctx.settings.get("CURRENCY") or "USD"), "code": code, "by": by,
             "at": ctx.now.isoformat(), "note": note, "ref": ref}
    ctx.store.put_record(ENTRY, entry["id"], entry)
    return entry


def reverse(ctx: Any, entry: Mapping[str, Any], by: str, note: str = "") -> dict:
    """Cancel ``entry`` with a new entry (entries are never edited)."""
    return add_entry(ctx, entry["job"], "reversal", entry["amount"], entry["code"], by, note, ref=entry["id"])


@dataclass
class Request:
    entry: dict  # the payment or loan request
    answer: str | None  # "accepted", "declined" or None (still open)
    cash: bool  # both sides confirmed the cash

    @property
    def amount(self) -> Decimal:
        return Decimal(self.entry["amount"])

    @property
    def loan(self) -> bool:
        return self.entry["kind"] == "loan_request"

    @property
    def repayment(self) -> bool:
        return self.entry["kind"] == "repayment"

    @property
    def what(self) -> str:
        """The word in its locale keys: pay, loan or repay."""
        return {"loan_request": "loan", "repayment": "repay"}.get(self.entry["kind"], "pay")


def requests(rows: list[dict]) -> dict[str, Request]:
    """Code -> its request and where it stands, reversals applied."""
    reversed_ids = {e.get("ref") for e in rows if e["kind"] == "reversal"}
    out: dict[str, Request] = {}
    for e in rows:
        if e["id"] in reversed_ids or e["kind"] == "reversal":
            continue
        code = e.get("code")
        if e["kind"] in REQUESTS:
            out[code] = Request(e, None, False)
        elif code in out and e["kind"] in ("accepted", "declined") and out[code].answer is None:
            out[code].answer = e["kind"]
        elif code in out and e["kind"] == "cash_confirmed":
            out[code].cash = True
    return out


def balance(rows: list[dict]) -> tuple[Decimal, Decimal]:
    """(owed to the cleaner, owed to the client)."""
    to_cleaner = to_client = Decimal("0")
    for req in requests(rows).values():
        if req.answer != "accepted":
            continue
        if req.repayment:  # the cash went with the request; accepting confirmed it
            to_client -= req.amount
        elif not req.cash:
            to_cleaner += req.amount
        elif req.loan:
            to_client += req.amount
    if to_client < 0:  # paid back more than was lent
        to_cleaner, to_client = to_cleaner - to_client, Decimal("0")
    return to_cleaner, to_client


def codes_in_use(rows: list[dict]) -> set[str]:
    return {e.get("code") for e in rows}


def settle_cash(ctx: Any, job_id: str, by: str) -> list[Request]:
    """Add ``cash_confirmed`` for every accepted request both sides confirmed
    (once: a claim guards it, as the two confirmations may come in the same
    instant under the two members' own locks). The requests it settled."""
    rows = entries(ctx.store, job_id)
    settled = []
    for code, req in requests(rows).items():
        if req.answer != "accepted" or req.cash or req.repayment:
            continue
        sides = {r.get("side") for r in ctx.store.find_records(CONFIRM, job=job_id, code=code)}
        if {"client", "cleaner"} <= sides and ctx.store.claim("ledger.cash_settled", f"{job_id}:{code}", by):
            add_entry(ctx, job_id, "cash_confirmed", req.amount, code, by)
            settled.append(req)
    return settled


def settle_reversal(ctx: Any, job_id: str, req: Request, by: str) -> dict | None:
    """Add the ``reversal`` of ``req`` once both sides asked for it (a claim
    guards it, like :func:`settle_cash`); the new entry, or None."""
    code = req.entry["code"]
    sides = {r.get("side") for r in ctx.store.find_records(REVERSAL_ASK, job=job_id, code=code)}
    if {"client", "cleaner"} <= sides and ctx.store.claim("ledger.reversed", f"{job_id}:{code}", by):
        return reverse(ctx, req.entry, by)
    return None
