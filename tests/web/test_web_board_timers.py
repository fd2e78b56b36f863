"""The live board's timers: who was asked and answered on each open childcare
request, the jobs still ahead of it, and when school alerts go out."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

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


def test_an_open_request_shows_asked_answers_and_its_next_timers(board):
    app, client, store = board
    now = datetime.now(timezone.utc)
    pickup = now + timedelta(hours=1)
    store.put_record("childcare.request", "R1", {
        "id": "R1", "code": "K7", "status": "open", "parent": PARENT, "child_name": "Leo", "place": "Lincoln",
        "pickup_at": pickup, "asked": [ROSA, ANA], "ring": 1, "helper": None, "created_at": now - timedelta(minutes=3),
        "escalations": []})
    store.audit({"at": now - timedelta(minutes=2), "contact": PARENT, "what": "childcare.ring",
                 "data": {"request": "R1", "ring": 1, "asked": [ROSA, ANA]}})
    store.put_record("childcare.answer", "N1", {"id": "N1", "request": "R1", "helper": ANA, "answer": "no"})
    row = row_of(client.get("/admin/board").text, "K7")
    assert "Rosa, Ana" in row and "Ana: no" in row  # asked, and who answered
    ring = now + timedelta(minutes=3)  # CHILDCARE_RING_MINUTES (5) after the last ring
    expiry = pickup + timedelta(minutes=30)  # CHILDCARE_GRACE_MINUTES after the pick-up
    timers = re.findall(r"(next ring|pick-up check|expires) (\d\d:\d\d) \(in (\d+) min\)", row)
    assert [(w, at) for w, at, _ in timers] == [("next ring", clock(ring)), ("pick-up check", clock(pickup)),
                                                ("expires", clock(expiry))]
    assert int(timers[0][2]) in (2, 3) and int(timers[1][2]) in (59, 60)


def test_ring_minutes_come_from_the_settings(make_app, line):
    from dataclasses import replace

    from web_support import login

    app = make_app(cfg=replace(line, extra={"CHILDCARE_RING_MINUTES": "12"}))
    client = app.test_client()
    assert login(client).status_code == 302
    now = datetime.now(timezone.utc)
    store_of(app).put_record("childcare.request", "R1", {
        "id": "R1", "code": "K9", "status": "open", "parent": PARENT, "pickup_at": now + timedelta(hours=2),
        "asked": [], "helper": None, "created_at": now})
    row = row_of(client.get("/admin/board").text, "K9")
    assert re.search(r"next ring \d\d:\d\d \(in 1[12] min\)", row)


def test_a_covered_request_shows_its_helper_and_only_the_pickup_check(board):
    app, client, store = board
    now = datetime.now(timezone.utc)
    pickup = now + timedelta(minutes=40)
    store.put_record("childcare.request", "R2", {
        "id": "R2", "code": "K8", "status": "open", "parent": PARENT, "pickup_at": pickup, "asked": [ROSA, LUIS],
        "helper": None, "created_at": now})
    # the YES is decided by the claim record before the request is saved again
    store.put_record("childcare.claimed", "R2", {"id": "R2", "by": LUIS, "at": now})
    row = row_of(client.get("/admin/board").text, "K8")
    assert "Luis: yes" in row and "covered" in row
    assert "pick-up check" in row and "next ring" not in row and "expires" not in row


def test_a_request_past_its_pickup_with_no_helper_shows_only_its_expiry(board):
    app, client, store = board
    now = datetime.now(timezone.utc)
    store.put_record("childcare.request", "R3", {
        "id": "R3", "code": "K6", "status": "escalated", "parent": PARENT, "pickup_at": now - timedelta(minutes=10),
        "asked": [ROSA], "helper": None, "created_at": now - timedelta(hours=1), "escalations": ["no_helper"]})
    row = row_of(client.get("/admin/board").text, "K6")
    assert "escalated" in row and re.search(r"expires \d\d:\d\d \(in (19|20) min\)", row)
    assert "next ring" not in row and "pick-up check" not in row


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
