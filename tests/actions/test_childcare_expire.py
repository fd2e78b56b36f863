from datetime import timedelta

from bot.services.childcare import REQUEST
from test_childcare_support import LUIS, PARENT, PICKUP, ROSA, line, request, run, sends

LATER = PICKUP + timedelta(minutes=30)


def test_a_request_with_no_helper_expires_and_a_late_yes_changes_nothing():
    store = line()
    req = request(store)
    got = run("childcare_expire", store, "job:e", {"request": req["id"]}, LATER)
    assert sends(got) == [(PARENT, "childcare.parent_expired")]
    assert store.get_record(REQUEST, req["id"])["status"] == "expired"
    late = run("childcare_accept", store, ROSA, {"code": req["code"]}, LATER + timedelta(minutes=1))
    assert late.result == "expired" and late.effects == ()
    assert store.get_record(REQUEST, req["id"])["helper"] is None


def test_a_request_with_a_helper_is_left_alone():
    store = line()
    req = request(store)
    run("childcare_accept", store, LUIS, {"code": req["code"]})
    assert run("childcare_expire", store, "job:e", {"request": req["id"]}, LATER).result == "done"
    assert store.get_record(REQUEST, req["id"])["status"] == "covered"
