from bot.services.childcare import REQUEST
from test_childcare_support import HELPERS, LUIS, PARENT, ROSA, line, request, run, sends


def test_calling_off_an_open_request_tells_everyone_asked():
    store = line()
    req = request(store)
    got = run("childcare_call_off", store, PARENT, {"code": ""})
    assert got.result == "ok" and got.data["code"] == req["code"]
    assert sends(got) == [(h, "childcare.called_off_helper") for h in HELPERS]
    assert store.get_record(REQUEST, req["id"])["status"] == "called_off"
    assert run("childcare_call_off", store, PARENT, {"code": ""}).result == "none"


def test_calling_off_a_covered_request_tells_the_helper_too():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    got = run("childcare_call_off", store, PARENT, {"code": req["code"]})
    assert (ROSA, "childcare.called_off_helper") in sends(got)
    assert run("childcare_picked_up", store, ROSA, {"code": ""}).result == "none"


def test_after_pickup_it_is_too_late_and_two_requests_need_a_code():
    store = line()
    from datetime import timedelta

    from test_childcare_support import NOW
    a = request(store)
    run("childcare_accept", store, ROSA, {"code": a["code"]})
    run("childcare_picked_up", store, ROSA, {"code": ""})
    assert run("childcare_call_off", store, PARENT, {"code": ""}).result == "late"
    b = request(store, pickup=NOW + timedelta(hours=6))
    assert run("childcare_call_off", store, PARENT, {"code": ""}).result == "which"
    assert run("childcare_call_off", store, PARENT, {"code": b["code"]}).result == "ok"
    assert run("childcare_call_off", store, LUIS, {"code": b["code"]}).result == "none"  # not their request


def test_only_helpers_with_an_open_ask_hear_of_a_call_off():
    store = line()
    req = request(store)
    run("childcare_decline", store, LUIS, {"code": req["code"]})
    got = run("childcare_call_off", store, PARENT, {"code": ""})
    assert sends(got) == [(h, "childcare.called_off_helper") for h in HELPERS if h != LUIS]  # LUIS said NO


def test_after_it_was_covered_only_the_helper_hears_of_a_call_off():
    store = line()
    req = request(store)
    run("childcare_decline", store, LUIS, {"code": req["code"]})
    accepted = run("childcare_accept", store, ROSA, {"code": req["code"]})
    assert ("+14155550103", "childcare.covered") in sends(accepted)  # the others were told it was covered
    got = run("childcare_call_off", store, PARENT, {"code": ""})
    assert sends(got) == [(ROSA, "childcare.called_off_helper")]
