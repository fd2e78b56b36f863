"""The pair's records and ledger on the durable stores, through the live path
(pipeline, conductor, outbox), with command triggers and the conversation."""
from __future__ import annotations

import pytest

from bot.services import cleaning_ledger as ledger
from stores import DURABLE
from test_cleaning_translation import CLEANER, CLIENT, line, text, to


@pytest.mark.parametrize("make_store", DURABLE)
def test_money_and_ticks_on_each_store(tmp_path, make_store):
    rt, cap = line(tmp_path, make_store)
    job = rt.store.find_records("cleaning.job", client=CLIENT)[0]
    assert job["status"] == "active" and rt.store.get_contact(CLEANER)["cleaning_job"] == job["id"]
    text(rt, CLEANER, "LISTO 1")
    assert to(cap, CLIENT)[-1] == "Rosa:\n✓ change the sheets"
    text(rt, CLEANER, "PAGO $80")
    code = ledger.entries(rt.store, job["id"])[0]["code"]
    text(rt, CLIENT, f"ACCEPT {code}")
    text(rt, CLIENT, f"CASH {code}")
    text(rt, CLEANER, f"EFECTIVO {code}")
    assert [e["kind"] for e in ledger.entries(rt.store, job["id"])] == ["payment_request", "accepted",
                                                                         "cash_confirmed"]
    text(rt, CLEANER, "PRÉSTAMO 150,50")
    code = ledger.entries(rt.store, job["id"])[-1]["code"]
    text(rt, CLIENT, f"ACCEPT {code}")
    text(rt, CLIENT, "BALANCE")
    assert to(cap, CLIENT)[-1] == "With Rosa: owed to you $0.00; you owe $150.50."
    text(rt, CLEANER, "SALDO")
    assert to(cap, CLEANER)[-1] == "Con Ana: le deben $150.50; usted debe $0.00."
    assert all(CLIENT not in t for t in to(cap, CLEANER)) and all(CLEANER not in t for t in to(cap, CLIENT))
