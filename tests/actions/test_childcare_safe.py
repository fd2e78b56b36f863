from datetime import datetime

from bot.engine.model import Schedule
from bot.services.childcare import REQUEST
from test_childcare_support import PARENT, ROSA, TZ, line, request, run, sends


def test_safe_closes_the_request_counts_the_help_and_plans_the_monthly_summary():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    run("childcare_picked_up", store, ROSA, {"code": ""})
    got = run("childcare_safe", store, ROSA, {"code": req["code"]})
    assert got.result == "ok" and got.data["count"] == 1
    assert sends(got) == [(PARENT, "childcare.parent_safe")]
    assert store.get_record(REQUEST, req["id"])["status"] == "safe"
    assert store.get_contact(ROSA)["helped_count"] == 1
    monthly = [e for e in got.effects if isinstance(e, Schedule) and e.timer_id == "job:childcare.monthly"]
    assert [(m.event, m.at) for m in monthly] == [("childcare_monthly", datetime(2026, 4, 1, 10, 0, tzinfo=TZ))]


def test_safe_without_picked_up_first_still_works_and_only_once():
    store = line()
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    assert run("childcare_safe", store, ROSA, {"code": ""}).result == "ok"
    assert run("childcare_safe", store, ROSA, {"code": ""}).result == "none"
    assert store.get_contact(ROSA)["helped_count"] == 1
