from bot.services.childcare import REQUEST
from test_childcare_support import LUIS, PARENT, ROSA, line, request, run, sends, texts


def test_picked_up_tells_the_parent_and_stops_the_pickup_alert():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    got = run("childcare_picked_up", store, ROSA, {"code": ""})
    assert got.result == "ok" and sends(got) == [(PARENT, "childcare.parent_picked_up")]
    assert texts(got)[PARENT] == "Rosa has picked up Ana."
    assert store.get_record(REQUEST, req["id"])["status"] == "picked_up"


def test_only_the_booked_helper_can_say_picked_up():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    assert run("childcare_picked_up", store, LUIS, {"code": req["code"]}).result == "none"
    assert run("childcare_picked_up", store, ROSA, {"code": "999"}).result == "none"
