from datetime import timedelta

from bot.services.childcare import REQUEST
from test_childcare_support import COORD, FAR, HELPERS, NOW, PARENT, line, request, run, sends


def test_the_next_ring_asks_helpers_not_asked_yet_then_the_coordinator():
    store = line()
    req = request(store)
    later = NOW + timedelta(minutes=5)
    second = run("childcare_ring", store, "job:childcare.ring", {"request": req["id"]}, later)
    assert sends(second) == [(FAR, "childcare.ask")]
    assert store.get_record(REQUEST, req["id"])["asked"] == HELPERS + [FAR]
    third = run("childcare_ring", store, "job:childcare.ring", {"request": req["id"]}, later + timedelta(minutes=5))
    assert sends(third) == [(COORD, "childcare.coord_no_helper"), (PARENT, "childcare.parent_no_helper")]
    again = run("childcare_ring", store, "job:childcare.ring", {"request": req["id"]}, later + timedelta(minutes=10))
    assert again.result == "done" and sends(again) == []


def test_a_covered_or_unknown_request_rings_no_more():
    store = line()
    req = request(store)
    store.put_record(REQUEST, req["id"], {**req, "status": "covered", "helper": HELPERS[0]})
    assert run("childcare_ring", store, "job:x", {"request": req["id"]}).result == "done"
    assert run("childcare_ring", store, "job:x", {"request": "nope"}).result == "done"
