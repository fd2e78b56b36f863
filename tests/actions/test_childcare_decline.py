from bot.services.childcare import ANSWER, REQUEST
from test_childcare_support import LUIS, ROSA, WEN, line, request, run, sends


def test_a_no_is_recorded_apart_and_skips_the_covered_notice():
    store = line()
    req = request(store)
    assert run("childcare_decline", store, LUIS, {"code": req["code"]}).result == "ok"
    assert store.get_record(ANSWER, f"{req['id']}:{LUIS}")["answer"] == "no"
    assert store.get_record(REQUEST, req["id"])["status"] == "open"  # the request itself is untouched
    got = run("childcare_accept", store, ROSA, {"code": req["code"]})
    assert sends(got)[1:] == [(WEN, "childcare.covered")]
    # a bare NO now: Luis has no open ask left
    assert run("childcare_decline", store, LUIS, {"code": ""}).result == "none"


def test_a_bare_no_with_two_asks_asks_which():
    store = line()
    from datetime import timedelta

    from test_childcare_support import NOW
    request(store)
    request(store, pickup=NOW + timedelta(hours=6))
    assert run("childcare_decline", store, ROSA, {"code": ""}).result == "which"
