from datetime import datetime, timedelta

from bot.engine.model import Schedule
from test_childcare_support import COORD, NOW, PARENT, ROSA, TZ, line, request, run, sends, texts

APRIL = datetime(2026, 4, 1, 10, 0, tzinfo=TZ)


def test_helpers_and_coordinators_get_last_months_numbers_and_it_plans_the_next():
    store = line()
    for hours in (1, 4):
        req = request(store, pickup=NOW + timedelta(hours=hours))
        run("childcare_accept", store, ROSA, {"code": req["code"]})
        run("childcare_safe", store, ROSA, {"code": ""})
    request(store, pickup=NOW + timedelta(hours=8))  # still open: counted as a request, not as help
    got = run("childcare_monthly", store, "job:childcare.monthly", {}, APRIL)
    assert sends(got) == [(ROSA, "childcare.monthly_helper"), (COORD, "childcare.monthly_area")]
    assert texts(got)[ROSA] == "Neighbours you helped with childcare in March 2026: 2. Thank you!"
    assert "3 requests, 2 children safe" in texts(got)[COORD]
    nxt = [e for e in got.effects if isinstance(e, Schedule)]
    assert [(e.timer_id, e.at) for e in nxt] == [("job:childcare.monthly", datetime(2026, 5, 1, 10, 0, tzinfo=TZ))]
    assert PARENT not in "".join(texts(got).values())


def test_a_quiet_month_sends_nothing_but_still_plans_the_next():
    got = run("childcare_monthly", line(), "job:childcare.monthly", {}, APRIL)
    assert sends(got) == [] and any(isinstance(e, Schedule) for e in got.effects)
