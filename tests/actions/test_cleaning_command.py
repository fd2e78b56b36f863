from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import Contact, CounterIds, Send
from bot.services import cleaning_ledger as ledger
from bot.store.contacts import view
from bot.store.memory import MemoryStore
from support import NOW, flowset

ACTION = load()["cleaning_command"]
CLIENT, CLEANER = "+14155550101", "+14155550202"
JOB = "cj1"


def store(tasks=("change the sheets", "mop the floor", "water the garden")):
    s = MemoryStore()
    s.ids = CounterIds()  # one id sequence per line, as on the live line (ids never repeat)
    s.upsert_contact(CLIENT, roles=["client"], lang="en", name="Ana", cleaning_job=JOB)
    s.upsert_contact(CLEANER, roles=["cleaner"], lang="es", name="Rosa", cleaning_job=JOB)
    s.put_record("cleaning.job", JOB, {"id": JOB, "client": CLIENT, "cleaner": CLEANER, "status": "active",
                                       "client_lang": "en", "cleaner_lang": "es", "created_at": NOW.isoformat(),
                                       "code": "100", "list_sent": True})
    for n, text in enumerate(tasks, 1):
        s.put_record("cleaning.task", f"{JOB}.{n}", {"id": f"{JOB}.{n}", "job": JOB, "n": n, "text": text,
                                                    "lang": "en", "done": False, "removed": False})
    return s


def run(s, who, command, args="", **settings):
    ctx = ActionContext(view(s.get_contact(who)), s, flowset().catalog, NOW, getattr(s, "ids", CounterIds()),
                        settings)
    return ACTION.run(ctx, {"command": command, "args": args})


def to(result, who):
    return [e for e in result.effects if isinstance(e, Send) and e.to == who]


def reply(result):
    return result.data.get("reply") or " | ".join(e.text for e in result.effects if isinstance(e, Send))


# ------------------------------------------------------------ tasks
def test_done_ticks_the_task_and_tells_the_client_in_english():
    s = store()
    result = run(s, CLEANER, "done", "2")
    assert s.get_record("cleaning.task", f"{JOB}.2")["done"] is True
    assert to(result, CLIENT)[0].text == "Rosa:\n✓ mop the floor"
    assert result.data["reply"] == "Marcado: 2."


def test_all_done_gives_both_a_summary():
    s = store()
    run(s, CLEANER, "done", "1 3")
    result = run(s, CLEANER, "done", "2")
    assert to(result, CLIENT)[-1].text.startswith("All tasks done ✓")
    summary = to(result, CLEANER)[-1]  # "water the garden" is not in the glossary: the worker translates it
    assert summary.text.startswith("Todas las tareas hechas ✓") and summary.extra["translate"]["target"] == "es"
    assert result.data["reply"] == "Todo lo demás que escriba aquí se pasa, traducido."


def test_done_with_an_unknown_number_asks_which():
    s = store()
    assert reply(run(s, CLEANER, "done", "9")) == "No hay tarea 9. LISTA muestra los números de las tareas."
    assert "¿Qué tarea?" in reply(run(s, CLEANER, "done", ""))
    assert not any(t["done"] for t in s.find_records("cleaning.task"))


def test_done_with_some_bad_numbers_ticks_the_good_ones_and_says_which_were_not():
    s = store()
    result = run(s, CLEANER, "done", "1 3 99 abc")
    assert [t["n"] for t in s.find_records("cleaning.task") if t["done"]] == [1, 3]
    assert to(result, CLIENT)[0].text == "Rosa:\n✓ change the sheets\n✓ water the garden"
    assert reply(result).startswith("Marcado: 1, 3. No hay tarea 99. No es número de tarea: 'abc'.")
    s.upsert_contact(CLEANER, lang="en")
    result = run(s, CLEANER, "done", "2 7 x y")  # the last one: all done ("y" only joins numbers)
    assert to(result, CLEANER)[0].text == "Ticked: 2. No task 7. Not a task number: 'x'."
    assert result.data["reply"].startswith("All tasks done ✓")


def test_remove_reads_numbers_the_same_way():
    s = store()
    result = run(s, CLIENT, "remove", "2, 12 two")
    assert s.get_record("cleaning.task", f"{JOB}.2")["removed"] is True
    assert reply(result) == "Removed task 2. No task 12. Not a task number: 'two'."
    assert reply(run(s, CLIENT, "remove", "the first")) == "Not a task number: 'the', 'first'. LIST shows the task numbers."
    assert [t["n"] for t in s.find_records("cleaning.task") if t["removed"]] == [2]


def test_only_the_cleaner_ticks_and_only_the_client_adds():
    s = store()
    assert reply(run(s, CLIENT, "done", "1")) == "Only the cleaner can do that."
    assert reply(run(s, CLEANER, "add", "lavar")) == "Solo el cliente puede hacer eso."


def test_adding_and_removing_sends_the_cleaner_the_new_list_in_spanish():
    s = store()
    result = run(s, CLIENT, "add", "clean the oven, take out the trash")
    assert "4. clean the oven" in result.data["reply"]
    listing = to(result, CLEANER)[0].text
    assert "4. limpiar el horno" in listing and "5. sacar la basura" in listing
    result = run(s, CLIENT, "remove", "1")
    assert "cambiar las sábanas" not in to(result, CLEANER)[0].text.lower()
    assert "1." not in to(result, CLEANER)[0].text.split("\n")[1]


def test_a_list_the_glossary_does_not_know_goes_to_the_worker_to_translate():
    s = store()
    result = run(s, CLEANER, "list")
    msg = [e for e in result.effects if isinstance(e, Send)][0]
    assert msg.extra["translate"] == {"source": "en", "target": "es", "body": "water the garden"}
    assert "1. cambiar las sábanas" in msg.text


def test_lockout_alerts_the_client_at_once():
    s = store()
    result = run(s, CLEANER, "no_entry", "")
    assert to(result, CLIENT)[0].text == "ALERT: Rosa can't get in! Reply here now."


def test_arrival_tells_the_client_the_time():
    result = run(store(), CLEANER, "here")
    assert to(result, CLIENT)[0].text == "Rosa arrived at 1:00\u202fPM." or "1:00" in to(result, CLIENT)[0].text


def test_no_job_is_said():
    s = MemoryStore()
    s.upsert_contact(CLIENT, roles=["client"], lang="en")
    result = run(s, CLIENT, "list")
    assert result.result == "no_job" and "no cleaning job" in reply(result)


def test_no_text_to_the_other_side_holds_a_number():
    s = store()
    for who, command, args in ((CLEANER, "done", "1"), (CLEANER, "here", ""), (CLEANER, "pay", "80"),
                               (CLEANER, "no_entry", "la puerta"), (CLIENT, "visit", "3/14")):
        for e in run(s, who, command, args).effects:
            if isinstance(e, Send):
                assert CLIENT not in e.text and CLEANER not in e.text


# ------------------------------------------------------------ money
@pytest.mark.parametrize("raw, amount", [("80", "80.00"), ("$80", "80.00"), ("80.50", "80.50"), ("80,50", "80.50")])
def test_pay_understands_amounts(raw, amount):
    s = store()
    result = run(s, CLEANER, "pay", raw)
    entry = s.find_records("ledger.entry", job=JOB)[0]
    assert entry["kind"] == "payment_request" and entry["amount"] == amount
    assert f"ACCEPT {entry['code']}" in to(result, CLIENT)[0].text


@pytest.mark.parametrize("raw, says", [("0", "above 0"), ("-5", "above 0"), ("5000", "more than"),
                                       ("", "amount too"), ("lots", "couldn't read")])
def test_bad_amounts_get_a_clear_message(raw, says):
    s = store()
    s.upsert_contact(CLEANER, lang="en")
    assert says in reply(run(s, CLEANER, "pay", raw))
    assert s.find_records("ledger.entry") == []


def test_the_maximum_is_a_setting():
    s = store()
    s.upsert_contact(CLEANER, lang="en")
    assert "$100.00" in reply(run(s, CLEANER, "pay", "150", CLEANING_MAX_AMOUNT="100"))


def test_a_loan_with_a_note_is_accepted_then_cash_confirmed_by_both():
    s = store()
    run(s, CLEANER, "loan", "200 para la renta")
    code = s.find_records("ledger.entry", job=JOB)[0]["code"]
    result = run(s, CLIENT, "accept", code)
    assert "accepted the advance" in to(result, CLEANER)[0].text or "aceptó el adelanto" in to(result, CLEANER)[0].text
    assert ledger.balance(ledger.entries(s, JOB)) == (Decimal("200.00"), Decimal("0"))
    result = run(s, CLIENT, "cash", code)
    assert "Waiting for Rosa" in result.data["reply"]
    result = run(s, CLEANER, "cash", code)
    assert [e["kind"] for e in ledger.entries(s, JOB)] == ["loan_request", "accepted", "cash_confirmed"]
    assert ledger.balance(ledger.entries(s, JOB)) == (Decimal("0"), Decimal("200.00"))
    assert "$200.00" in reply(run(s, CLEANER, "balance"))  # Spanish in the US writes dollars the US way
    assert reply(run(s, CLIENT, "balance")) == "With Rosa: owed to you $200.00; you owe $0.00."


def test_a_declined_payment_owes_nothing_and_cannot_be_answered_twice():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = s.find_records("ledger.entry", job=JOB)[0]["code"]
    run(s, CLIENT, "decline", code)
    assert "already answered" in reply(run(s, CLIENT, "accept", code))
    assert reply(run(s, CLIENT, "balance")) == "Nothing owed between you and Rosa."
    assert "no está aceptado" in reply(run(s, CLEANER, "cash", code))


def test_the_cleaner_cannot_accept_their_own_request():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = s.find_records("ledger.entry", job=JOB)[0]["code"]
    assert reply(run(s, CLEANER, "accept", code)) == "Solo el cliente puede hacer eso."


def test_entries_are_only_added_and_a_reversal_cancels():
    s = store()
    run(s, CLEANER, "pay", "80")
    code = s.find_records("ledger.entry", job=JOB)[0]["code"]
    run(s, CLIENT, "accept", code)
    before = {e["id"]: dict(e) for e in ledger.entries(s, JOB)}
    accepted = [e for e in ledger.entries(s, JOB) if e["kind"] == "accepted"][0]
    ctx = ActionContext(Contact(CLIENT), s, flowset().catalog, NOW, s.ids)
    ledger.reverse(ctx, accepted, "coordinator", "typed by mistake")
    after = {e["id"]: e for e in ledger.entries(s, JOB)}
    assert all(after[k] == v for k, v in before.items()) and len(after) == len(before) + 1
    assert ledger.balance(list(after.values())) == (Decimal("0"), Decimal("0"))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_any_pay_text_either_records_a_sane_amount_or_says_why(raw):
    s = store()
    result = run(s, CLEANER, "pay", raw)
    entries = s.find_records("ledger.entry")
    assert reply(result)
    for e in entries:
        assert Decimal("0") < Decimal(e["amount"]) <= Decimal("2000")


def test_cash_confirmations_that_cross_are_settled_once():
    # Both sides' CASH ran at the same instant under their own locks: neither
    # saw the other's confirmation; the next CASH or BALANCE settles it, once.
    s = store()
    run(s, CLEANER, "pay", "80")
    code = s.find_records("ledger.entry", job=JOB)[0]["code"]
    run(s, CLIENT, "accept", code)
    for side, who in (("client", CLIENT), ("cleaner", CLEANER)):
        s.put_record("ledger.confirmation", f"{JOB}:{code}:{side}",
                     {"id": f"{JOB}:{code}:{side}", "job": JOB, "code": code, "by": who, "side": side})
    run(s, CLIENT, "balance")
    run(s, CLEANER, "balance")
    assert [e["kind"] for e in ledger.entries(s, JOB)].count("cash_confirmed") == 1
    assert "already confirmed" in reply(run(s, CLIENT, "cash", code))


def test_a_cleaner_with_an_open_job_cannot_take_a_second_one_yet():
    s = store()
    other = "+14155550404"
    s.upsert_contact(other, roles=["client"], lang="en", name="Bea", cleaning_job="cj9")
    s.put_record("cleaning.job", "cj9", {"id": "cj9", "client": other, "cleaner": CLEANER, "status": "pending",
                                         "client_lang": "en", "cleaner_lang": "es", "created_at": NOW.isoformat(),
                                         "code": "555", "list_sent": False})
    result = run(s, CLEANER, "accept", "555")
    assert "CERRAR TRABAJO" in reply(result) and "Ana" in reply(result)
    assert s.get_record("cleaning.job", "cj9")["status"] == "pending"
    assert s.get_contact(CLEANER)["cleaning_job"] == JOB
