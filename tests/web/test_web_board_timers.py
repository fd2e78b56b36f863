"""The live board's timers: who was asked and answered on each open childcare
request, the jobs still ahead of it, and when school alerts go out."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.engine.model import CancelTimer, Schedule
from bot.services.childcare import JOB_EXPIRE, JOB_PICKUP, JOB_RING
from test_childcare_support import run

PARENT, ROSA, ANA, LUIS = "+14155550188", "+14155550177", "+14155550166", "+14155550155"


def store_of(app):
    return app.extensions["vecina"].store


def clock(at: datetime, tz: str = "America/New_York") -> str:
    """A time as the board shows it: the line's clock (the test line's TIMEZONE)."""
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def row_of(page: str, code: str) -> str:
    return re.search(rf"<tr><td>{code}</td>.*?</tr>", page, re.S).group(0)


@pytest.fixture
def board(admin):
    app, client, _ = admin
    store = store_of(app)
    for number, name in ((ROSA, "Rosa"), (ANA, "Ana"), (LUIS, "Luis")):
        store.upsert_contact(number, roles=["helper"], name=name, vetted=True)
    return app, client, store


def apply(store, result):
    """What the conductor does with an action's timers."""
    for e in result.effects:
        if isinstance(e, Schedule):
            store.add_timer(e.timer_id, e.contact, e.at, e.event, dict(e.data))
        elif isinstance(e, CancelTimer):
            store.cancel_timer(e.timer_id)
    return result


def make_request(store, now, pickup):
    store.upsert_contact(PARENT, roles=["parent"], name="Eva", area="Eastside", lang="en")
    for n in (ROSA, ANA, LUIS):
        store.upsert_contact(n, area="Eastside", lang="en", on_duty=True)
    made = apply(store, run("childcare_request", store, PARENT, {"child_name": "Leo", "child_age": 6, "place": "Lincoln",
                                                                "pickup_at": pickup}, now))
    return store.get_record("childcare.request", made.data["id"])


def scheduled(store, req, key):
    return store.get_timer(f"job:{key.format(req['id'])}")["at"]


def test_an_open_request_shows_asked_answers_and_the_jobs_the_service_scheduled(board):
    app, client, store = board
    now = datetime.now(timezone.utc)
    pickup = now + timedelta(hours=1)
    req = make_request(store, now, pickup)
    store.put_record("childcare.answer", "N1", {"id": "N1", "request": req["id"], "helper": ANA, "answer": "no"})
    row = row_of(client.get("/admin/board").text, req["code"])
    assert "Ana: no" in row and "Rosa" in row  # asked, and who answered
    timers = re.findall(r"(next ring|pick-up check|expires) (\d\d:\d\d) \(in (\d+) min\)", row)
    assert [(w, at) for w, at, _ in timers] == [
        ("next ring", clock(scheduled(store, req, JOB_RING))), ("pick-up check", clock(pickup)),
        ("expires", clock(scheduled(store, req, JOB_EXPIRE)))]
    assert int(timers[0][2]) in (4, 5) and int(timers[1][2]) in (59, 60)


def test_a_yes_leaves_only_the_pickup_check_and_a_call_off_leaves_nothing(board):
    app, client, store = board
    now = datetime.now(timezone.utc)
    req = make_request(store, now, now + timedelta(minutes=40))
    apply(store, run("childcare_accept", store, LUIS, {"code": req["code"]}, now))
    row = row_of(client.get("/admin/board").text, req["code"])
    assert "Luis: yes" in row
    assert "pick-up check" in row and "next ring" not in row and "expires" not in row
    store.cancel_timer(f"job:{JOB_PICKUP.format(req['id'])}")  # as the SAFE or a call-off does
    row = row_of(client.get("/admin/board").text, req["code"])
    assert "pick-up check" not in row


def test_school_alerts_in_their_grace_window_show_when_they_go_out(board):
    app, client, store = board
    now = datetime.now(timezone.utc)
    due = now + timedelta(minutes=9, seconds=30)
    store.put_record("school.alert", "A1", {"id": "A1", "code": "S1", "school": "Lincoln", "kind": "late",
                                           "status": "pending", "due_at": due})
    store.put_record("school.alert", "A2", {"id": "A2", "code": "S2", "status": "sent", "due_at": due})
    page = client.get("/admin/board").text
    section = re.search(r'id="board-school-alert".*?</section>', page, re.S).group(0)
    assert "Goes out" in section and re.search(rf"{clock(due)} \(in 9 min\)", section)
    assert "S2" not in section
