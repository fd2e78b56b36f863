from datetime import timedelta

from bot.engine.model import Schedule
from bot.services.childcare import OPEN, REQUEST
from test_childcare_support import COORD, FAR, HELPERS, LUIS, NOW, PARENT, PICKUP, line, run, sends, texts


def make(store, **settings):
    return run("childcare_request", store, PARENT, {"child_name": "Ana", "child_age": 7, "place": "Lincoln School",
                                                   "pickup_at": PICKUP}, **settings)


def test_a_request_is_saved_with_every_documented_field():
    store = line()
    made = make(store)
    req = store.get_record(REQUEST, made.data["id"])
    assert {"id", "code", "status", "parent", "child_name", "child_age", "place", "pickup_at", "area", "asked",
            "ring", "helper", "codeword", "created_at"} <= set(req)
    assert (req["status"], req["parent"], req["area"]) == (OPEN, PARENT, "Eastside")
    assert (req["ring"], req["helper"]) == (1, None)
    assert req["pickup_at"] == PICKUP and req["created_at"] == NOW and len(req["code"]) == 3
    assert made.data["code"] == req["code"]


def test_the_first_ring_asks_the_areas_helpers_with_the_code_and_never_the_parents_number():
    store = line()
    made = make(store)
    assert sends(made) == [(h, "childcare.ask") for h in HELPERS]
    code = made.data["code"]
    for to, text in texts(made).items():
        assert code in text and PARENT[-4:] not in text
    assert "Reply YES %s or NO %s" % (code, code) in texts(made)[HELPERS[0]]
    assert "Responde SI %s o NO %s" % (code, code) in texts(made)[LUIS]  # Luis writes in Spanish
    assert FAR not in texts(made) and COORD not in texts(made)


def test_ring_pickup_check_and_expiry_are_scheduled_as_jobs():
    store = line()
    made = make(store, CHILDCARE_RING_MINUTES=7, CHILDCARE_GRACE_MINUTES=20)
    jobs = {e.timer_id: (e.event, e.at) for e in made.effects if isinstance(e, Schedule)}
    rid = made.data["id"]
    assert jobs[f"job:childcare.ring:{rid}"][0] == "childcare_ring"
    assert jobs[f"job:childcare.ring:{rid}"][1] - NOW == timedelta(minutes=7)
    assert jobs[f"job:childcare.pickup:{rid}"] == ("childcare_pickup_check", PICKUP)
    assert jobs[f"job:childcare.expire:{rid}"][1] - PICKUP == timedelta(minutes=20)


def test_with_no_helper_at_all_the_coordinator_hears_at_once():
    store = line()
    for h in HELPERS + [FAR]:
        store.upsert_contact(h, on_duty=False)
    made = make(store)
    assert sends(made) == [(COORD, "childcare.coord_no_helper"), (PARENT, "childcare.parent_no_helper")]
    assert store.get_record(REQUEST, made.data["id"])["status"] == "escalated"
