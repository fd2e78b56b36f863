from datetime import timedelta

from bot.engine.model import CancelTimer
from bot.services.childcare import REQUEST
from test_childcare_support import LUIS, NOW, PARENT, ROSA, WEN, line, request, run, sends, texts


def test_the_first_yes_gets_it_and_everyone_hears():
    store = line()
    req = request(store)
    got = run("childcare_accept", store, ROSA, {"code": req["code"]})
    assert got.result == "assigned"
    assert (got.data["child"], got.data["place"], got.data["codeword"]) == ("Ana", "Lincoln School", req["codeword"])
    assert sends(got) == [(PARENT, "childcare.parent_covered"), (LUIS, "childcare.covered"), (WEN, "childcare.covered")]
    assert "Rosa " in texts(got)[PARENT] and req["codeword"] in texts(got)[PARENT]
    saved = store.get_record(REQUEST, req["id"])
    assert (saved["status"], saved["helper"]) == ("covered", ROSA)
    assert CancelTimer(f"job:childcare.ring:{req['id']}") in got.effects


def test_a_second_yes_is_told_it_is_covered_and_changes_nothing():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    second = run("childcare_accept", store, LUIS, {"code": req["code"]})
    assert (second.result, second.effects) == ("covered", ())
    assert store.get_record(REQUEST, req["id"])["helper"] == ROSA
    assert run("childcare_accept", store, ROSA, {"code": req["code"]}).result == "mine"


def test_a_bare_yes_needs_exactly_one_open_ask():
    store = line()
    first = request(store)
    assert run("childcare_accept", store, ROSA, {"code": ""}).result == "assigned"
    store2 = line()
    request(store2)
    request(store2, pickup=NOW + timedelta(hours=5))
    which = run("childcare_accept", store2, ROSA, {"code": ""})
    assert which.result == "which" and len(which.data["codes"].split(", ")) == 2
    assert first["code"]


def test_unknown_codes_and_people_never_asked():
    store = line()
    req = request(store)
    assert run("childcare_accept", store, ROSA, {"code": "1"}).result == "none"
    assert run("childcare_accept", store, "+14155550999", {"code": req["code"]}).result == "none"


def test_no_double_booking_at_overlapping_times():
    store = line()
    a = request(store)
    b = request(store, pickup=a["pickup_at"] + timedelta(minutes=30))
    run("childcare_accept", store, ROSA, {"code": a["code"]})
    assert run("childcare_accept", store, ROSA, {"code": b["code"]}).result == "busy"
    c = request(store, pickup=a["pickup_at"] + timedelta(hours=4))
    assert run("childcare_accept", store, ROSA, {"code": c["code"]}).result == "assigned"


def test_a_helper_unvetted_since_the_ask_is_never_booked():
    store = line()
    req = request(store)
    store.upsert_contact(ROSA, vetted=False)
    assert run("childcare_accept", store, ROSA, {"code": req["code"]}).result == "none"
    assert store.get_record(REQUEST, req["id"])["helper"] is None


def test_after_a_call_off_a_yes_is_told_so():
    store = line()
    req = request(store)
    run("childcare_call_off", store, PARENT, {"code": ""})
    late = run("childcare_accept", store, ROSA, {"code": req["code"]})
    assert (late.result, late.effects) == ("called_off", ())
