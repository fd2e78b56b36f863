"""Money in a cleaning job past the first answer: reading amounts, REVERSE
(a new ledger entry that cancels a request) and REPAY (part of an advance
paid back), and what BALANCE then shows (bot/services/cleaning_money.py)."""
from decimal import Decimal

import pytest

from bot.actions import load
from bot.actions.base import ActionContext
from bot.services import cleaning_ledger as ledger
from bot.store.contacts import view
from support import NOW, flowset
from actions.test_cleaning_command import CLEANER, CLIENT, JOB, reply, run, store, to

ROUTE = load()["cleaning_route"]


def route(s, who, text):
    ctx = ActionContext(view(s.get_contact(who)), s, flowset().catalog, NOW, s.ids)
    return ROUTE.run(ctx, {"text": text, "mode": "chat"})


def english(s):
    s.upsert_contact(CLEANER, lang="en")
    return s


def last_code(s):
    return ledger.entries(s, JOB)[-1]["code"]


def owed(s):
    return ledger.balance(ledger.entries(s, JOB))


def accepted_loan(s, amount="200"):
    run(s, CLEANER, "loan", amount)
    code = last_code(s)
    run(s, CLIENT, "accept", code)
    run(s, CLIENT, "cash", code)
    run(s, CLEANER, "cash", code)
    assert owed(s) == (Decimal("0"), Decimal(amount).quantize(Decimal("0.01")))
    return code


# ------------------------------------------------------------ amounts
@pytest.mark.parametrize("raw, amount", [("$80", "80.00"), ("80", "80.00"), ("80.50", "80.50"),
                                         ("80,50", "80.50"), ("1,000", "1000.00"), ("1.000,50", "1000.50")])
def test_amounts_as_people_write_them(raw, amount):
    s = store()
    run(s, CLEANER, "pay", raw)
    assert ledger.entries(s, JOB)[0]["amount"] == amount


@pytest.mark.parametrize("text", ["PAY 1e9", "PAY lots", "PAY -5", "PAY 0", "PAY 1E9 for the week", "PAY $"])
def test_an_amount_it_cannot_take_is_asked_again_never_relayed_as_a_note(text):
    s = english(store())
    result = route(s, CLEANER, text)
    assert to(result, CLIENT) == [] and ledger.entries(s, JOB) == []
    assert "PAY 80" in result.data["reply"]
    assert s.find_records("cleaning.note") == []


@pytest.mark.parametrize("text", ["PAGO 1e9", "PAGO mucho", "PRÉSTAMO -5", "DEVOLVER 0"])
def test_the_same_in_spanish(text):
    s = store()
    result = route(s, CLEANER, text)
    assert to(result, CLIENT) == [] and "PAGO 80" in result.data["reply"]


def test_an_absurd_amount_says_the_maximum():
    s = english(store())
    assert route(s, CLEANER, "PAY 99999").data["reply"] == "That is more than $2,000.00. Please check the amount."


def test_a_sentence_that_starts_with_pay_is_still_a_note():
    s = english(store())
    result = route(s, CLEANER, "Pay attention to the dog, he bites")
    assert to(result, CLIENT)[0].text == "Rosa: Pay attention to the dog, he bites"


# ------------------------------------------------------------ REVERSE
def test_an_open_request_is_taken_back_by_the_cleaner_who_made_it():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = last_code(s)
    assert "DECLINE" in reply(run(s, CLIENT, "reverse", code))  # the client refuses it instead
    result = run(s, CLEANER, "reverse", code)
    assert to(result, CLIENT)[0].text == f"Rosa took back request {code} ($80.00). Nothing to answer."
    kinds = [(e["kind"], e["ref"]) for e in ledger.entries(s, JOB)]
    assert kinds[-1] == ("reversal", ledger.entries(s, JOB)[0]["id"])  # points to the request
    assert "Which request?" in reply(run(s, CLIENT, "accept", code))
    assert owed(s) == (0, 0)


def test_an_accepted_payment_is_reversed_only_when_both_ask():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = last_code(s)
    run(s, CLIENT, "accept", code)
    result = run(s, CLIENT, "reverse", code)
    assert to(result, CLEANER)[0].text == f"Ana pide revertir {code} ($80.00). Si está de acuerdo, escriba REVERTIR {code}."
    assert owed(s) == (Decimal("80.00"), 0)  # one side alone changes nothing
    assert "reversal" not in [e["kind"] for e in ledger.entries(s, JOB)]
    run(s, CLIENT, "reverse", code)  # asking twice is still one side
    assert owed(s) == (Decimal("80.00"), 0)
    result = run(s, CLEANER, "reverse", code)
    assert "agreed by both" in to(result, CLIENT)[0].text
    assert [e["kind"] for e in ledger.entries(s, JOB)] == ["payment_request", "accepted", "reversal"]
    assert reply(run(s, CLIENT, "balance")) == "Nothing owed between you and Rosa."


def test_a_confirmed_loan_reversed_by_both_is_owed_by_no_one():
    s = store()
    code = accepted_loan(s)
    run(s, CLEANER, "reverse", code)
    run(s, CLIENT, "reverse", code)
    assert owed(s) == (0, 0)
    before = {e["id"]: dict(e) for e in ledger.entries(s, JOB)}
    assert all(e["kind"] != "reversal" or e["ref"] in before for e in before.values())


def test_a_declined_request_has_nothing_to_reverse_and_a_reversal_is_recorded_once():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = last_code(s)
    run(s, CLIENT, "decline", code)
    assert "nothing to reverse" in reply(run(s, CLIENT, "reverse", code))
    assert "Which request?" in reply(run(s, CLIENT, "reverse", "999"))
    assert "¿Qué pedido?" in reply(run(s, CLEANER, "reverse", ""))
    assert [e["kind"] for e in ledger.entries(s, JOB)] == ["payment_request", "declined"]


def test_reversal_asks_that_crossed_are_settled_once():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = last_code(s)
    run(s, CLIENT, "accept", code)
    req = ledger.requests(ledger.entries(s, JOB))[code]
    for side, who in (("client", CLIENT), ("cleaner", CLEANER)):
        s.put_record(ledger.REVERSAL_ASK, f"{JOB}:{code}:{side}",
                     {"id": f"{JOB}:{code}:{side}", "job": JOB, "code": code, "by": who, "side": side})
    ctx = ActionContext(view(s.get_contact(CLIENT)), s, flowset().catalog, NOW, s.ids)
    assert ledger.settle_reversal(ctx, JOB, req, CLIENT) is not None
    assert ledger.settle_reversal(ctx, JOB, req, CLEANER) is None
    assert [e["kind"] for e in ledger.entries(s, JOB)].count("reversal") == 1


# ------------------------------------------------------------ REPAY
def test_a_loan_is_paid_back_in_parts_and_balance_shows_the_rest():
    s = store()
    accepted_loan(s)
    assert "debe $200.00" in reply(run(s, CLEANER, "repay", "500"))
    result = run(s, CLEANER, "repay", "50 en efectivo")
    code = last_code(s)
    assert to(result, CLIENT)[0].text == (f"Rosa says they paid back $50.00 of the advance (\"en efectivo\"). "
                                          f"Reply ACCEPT {code} if you got it, or DECLINE {code}.")
    assert owed(s) == (0, Decimal("200.00"))  # not until the client says it came
    run(s, CLIENT, "accept", code)
    assert reply(run(s, CLIENT, "balance")) == "With Rosa: owed to you $150.00; you owe $0.00."
    assert "EFECTIVO" in reply(run(s, CLEANER, "cash", code))  # no cash step: accepting confirmed it
    run(s, CLEANER, "repay", "150")
    run(s, CLIENT, "accept", last_code(s))
    assert reply(run(s, CLIENT, "balance")) == "Nothing owed between you and Rosa."


def test_a_declined_repayment_changes_nothing_and_no_loan_means_nothing_to_repay():
    s = store()
    assert "No hay adelanto" in reply(run(s, CLEANER, "repay", "20"))
    accepted_loan(s, "100")
    run(s, CLEANER, "repay", "40")
    run(s, CLIENT, "decline", last_code(s))
    assert owed(s) == (0, Decimal("100.00"))
    assert reply(run(s, CLIENT, "repay", "40")) == "Only the cleaner can do that."


def test_paid_back_beyond_the_loan_is_owed_back_to_the_cleaner():
    rows = [{"id": "a", "kind": "loan_request", "code": "1", "amount": "100"},
            {"id": "b", "kind": "accepted", "code": "1", "amount": "100"},
            {"id": "c", "kind": "cash_confirmed", "code": "1", "amount": "100"},
            {"id": "d", "kind": "repayment", "code": "2", "amount": "70"},
            {"id": "e", "kind": "accepted", "code": "2", "amount": "70"},
            {"id": "f", "kind": "repayment", "code": "3", "amount": "70"},
            {"id": "g", "kind": "accepted", "code": "3", "amount": "70"}]
    assert ledger.balance(rows) == (Decimal("40"), Decimal("0"))
    rows.append({"id": "h", "kind": "reversal", "code": "3", "amount": "70", "ref": "f"})
    assert ledger.balance(rows) == (Decimal("0"), Decimal("30"))
