from bot.services.childcare import REQUEST
from test_childcare_support import COORD, PARENT, PICKUP, ROSA, line, request, run, sends, texts


def test_not_picked_up_by_the_pickup_time_alerts_the_coordinator_once():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    got = run("childcare_pickup_check", store, "job:p", {"request": req["id"]}, PICKUP)
    assert sends(got) == [(COORD, "childcare.coord_no_pickup"), (PARENT, "childcare.parent_no_pickup")]
    assert "Rosa" in texts(got)[COORD] and PARENT[-4:] not in texts(got)[COORD]
    assert store.get_record(REQUEST, req["id"])["status"] == "escalated"
    assert run("childcare_pickup_check", store, "job:p", {"request": req["id"]}, PICKUP).result == "done"


def test_no_helper_by_the_pickup_time_is_a_no_helper_alert():
    store = line()
    req = request(store)
    got = run("childcare_pickup_check", store, "job:p", {"request": req["id"]}, PICKUP)
    assert sends(got)[0] == (COORD, "childcare.coord_no_helper")


def test_picked_up_means_nothing_to_do():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    run("childcare_picked_up", store, ROSA, {"code": ""})
    assert run("childcare_pickup_check", store, "job:p", {"request": req["id"]}, PICKUP).result == "done"
