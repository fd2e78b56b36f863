"""/admin pages: flows, live board, members, messages."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.web.common import mask

NOW = datetime.now(timezone.utc)
HELPER = "+14155550177"
PARENT = "+14155550188"


def store_of(app):
    return app.extensions["vecina"].store


# ------------------------------------------------------------------ flows
def test_flows_lists_lint_status_and_transcripts(admin):
    app, client, _ = admin
    page = client.get("/admin/flows")
    assert page.status_code == 200
    for name in ("main", "language", "profile"):
        assert f'id="flow-{name}"' in page.text
    row = re.search(r'id="flow-main".*?</tr>', page.text, re.S).group(0)
    assert '<span class="good">ok</span>' in row and re.search(r"\d+/\d+ pass", row)


def test_a_flow_page_has_a_diagram_and_transcript_results(admin):
    app, client, _ = admin
    page = client.get("/admin/flows/profile")
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert 'class="state' in svg and "marker-end" in svg
    assert "web_hola" not in page.text  # main's transcripts are on main's page
    assert "<b>web_hola.yaml</b>: pass" in client.get("/admin/flows/main").text


def test_a_failing_transcript_and_a_lint_problem_show(admin, line):
    from pathlib import Path

    app, client, _ = admin
    folder = Path(line.flows_dir).parent / "tests" / "transcripts" / "main"
    (folder / "broken_en.yaml").write_text("steps:\n- from: '+14155550100'\n  text: hello\n  expect:\n"
                                           "  - text: something else entirely\n", encoding="utf-8")
    page = client.get("/admin/flows/main").text
    assert "broken_en.yaml</b>: FAIL" in page
    row = re.search(r'id="flow-main".*?</tr>', client.get("/admin/flows").text, re.S).group(0)
    assert 'class="bad"' in row
    assert client.get("/admin/flows/nope").status_code == 404


def test_diagram_edges_cover_every_transition():
    from support import flowset

    from bot.web.diagrams import edges, layers, svg

    for flow in flowset().flows.values():
        drawn = {(e.source, e.target) for st in flow.states.values() for e in edges(st)}
        declared = {(st.name, t) for st in flow.states.values() for t, _ in st.targets()}
        assert drawn == declared
        assert sorted(n for row in layers(flow) for n in row) == sorted(flow.states)
        assert svg(flow).startswith("<svg") and svg(flow).count("<g class=\"state") == len(flow.states)


# ------------------------------------------------------------------ board
def test_the_board_shows_what_is_live_and_no_numbers(admin):
    app, client, _ = admin
    store = store_of(app)
    store.upsert_contact(HELPER, roles=["helper"], name="Rosa")
    store.put_record("childcare.request", "R1", {
        "id": "R1", "code": "K7", "status": "open", "child_name": "Leo", "place": "Lincoln School",
        "pickup_at": NOW + timedelta(hours=1), "area": "Eastside", "asked": [HELPER, "+14155550199"],
        "helper": None, "created_at": NOW})
    store.put_record("childcare.request", "R2", {"id": "R2", "code": "K8", "status": "closed"})
    store.put_record("school.alert", "A1", {"id": "A1", "code": "S1", "school": "Lincoln", "kind": "absent",
                                           "status": "pending", "due_at": NOW + timedelta(minutes=10)})
    store.put_record("school.alert", "A2", {"id": "A2", "code": "S2", "status": "pending",
                                           "due_at": NOW - timedelta(minutes=10)})
    store.put_record("peer.post", "P1", {"id": "P1", "code": "Q1", "pseudonym": "BlueHeron", "lang": "es",
                                        "status": "open", "replies": [1, 2], "created_at": NOW,
                                        "author": PARENT})
    store.put_record("childcare.answer", "N1", {"id": "N1", "request": "R1", "helper": "+14155550199",
                                               "answer": "no"})
    store.put_record("cleaning.job", "J1", {"id": "J1", "status": "active", "created_at": NOW,
                                           "client": PARENT, "cleaner": HELPER})
    store.put_record("cleaning.job", "J2", {"id": "J2", "status": "done"})
    page = client.get("/admin/board").text
    for shown in ("K7", "Leo", "Lincoln School", "Rosa", mask("+14155550199"), "S1", "BlueHeron", "J1"):
        assert shown in page
    assert f"{mask('+14155550199')}: no" in page and mask(PARENT) in page
    for hidden in ("K8", "S2", "J2", HELPER, PARENT, "+14155550199"):
        assert hidden not in page


def test_the_board_copes_with_missing_kinds_and_fields(admin):
    app, client, _ = admin
    assert client.get("/admin/board").text.count("Nothing right now.") == 4
    store_of(app).put_record("childcare.request", "R1", {"id": "R1", "status": "open"})
    store_of(app).put_record("school.alert", "A1", {"id": "A1", "status": "pending", "due_at": "not a date"})
    store_of(app).put_record("peer.post", "P1", {"id": "P1", "status": "open", "replies": None})
    page = client.get("/admin/board")
    assert page.status_code == 200 and page.text.count("Nothing right now.") == 1


# ------------------------------------------------------------------ members
def add(client, token, **form):
    data = {"csrf_token": token, **form}
    return client.post("/admin/members/add", data=data)


def test_add_vet_and_suspend_a_member(admin):
    app, client, token = admin
    res = add(client, token, number="(415) 555-0177", roles=["helper", "parent"], name="Rosa", lang="es",
              vetted="on")
    assert res.status_code == 303
    contact = store_of(app).get_contact(HELPER)
    assert contact["roles"] == ["helper", "parent"] and contact["vetted"] is True and contact["name"] == "Rosa"
    page = client.get("/admin/members").text
    assert mask(HELPER) in page and HELPER not in page
    ref = re.search(r'id="m-([0-9a-f]+)"', page).group(1)
    assert client.post(f"/admin/members/{ref}/vet", data={"csrf_token": token, "value": "0"}).status_code == 303
    assert store_of(app).get_contact(HELPER)["vetted"] is False
    assert client.post(f"/admin/members/{ref}/suspend", data={"csrf_token": token, "value": "1"}).status_code == 303
    assert store_of(app).get_contact(HELPER)["suspended"] is True
    assert client.post("/admin/members/0000/suspend", data={"csrf_token": token}).status_code == 404
    whats = [e["what"] for e in store_of(app).audit_entries(HELPER)]
    assert whats == ["member.added", "member.vetted", "member.suspended"]


@pytest.mark.parametrize("form, error", [
    ({"number": "12", "roles": ["helper"]}, "not a"),
    ({"number": HELPER, "roles": []}, "at least one role"),
    ({"number": HELPER, "roles": ["wizard"]}, "unknown role"),
])
def test_bad_members_are_refused_with_a_reason(admin, form, error):
    app, client, token = admin
    res = add(client, token, **form)
    assert res.status_code == 303
    assert error in client.get("/admin/members").text
    assert store_of(app).list_contacts() == []


def test_import_a_csv_and_see_help_given(admin):
    app, client, token = admin
    csv = ("number,roles,name,lang,area,vetted\n"
           "+14155550177,helper,Rosa,es,East,yes\n"
           "+14155550178,helper;parent,Ana,en,West,no\n"
           "garbage,helper,X,,,\n")
    res = client.post("/admin/members/import", data={"csrf_token": token, "csv": (io.BytesIO(csv.encode()), "r.csv")},
                      content_type="multipart/form-data")
    assert res.status_code == 303
    page = client.get("/admin/members").text
    assert "2 added, 0 updated, 1 bad rows." in page and "line 4" in page
    store_of(app).upsert_contact("+14155550178", helped_count=3)
    store_of(app).upsert_contact("+14155550177", helped_count=1)
    page = client.get("/admin/members").text
    helped = re.search(r'<ol class="helped">(.*?)</ol>', page, re.S).group(1)
    assert helped.index("Ana: 3") < helped.index("Rosa: 1")
    assert "helper" in client.get("/admin/members?role=parent").text and "Rosa" not in client.get(
        "/admin/members?role=parent").text


# ------------------------------------------------------------------ messages
def test_messages_show_status_and_failures_with_masked_numbers(admin):
    app, client, _ = admin
    store = store_of(app)
    for i, status in enumerate(["sent", "failed", "queued"]):
        store.add_outbound({"id": f"m{i}", "to": f"+1415555010{i}", "text": f"hello {i}", "key": "k.x",
                            "choices": [], "lang": "en", "channel": "sms", "status": "queued",
                            "created_at": NOW + timedelta(seconds=i)})
    store.mark_outbound("m0", "sent", NOW)
    store.mark_outbound("m1", "failed", NOW, error="21610: unsubscribed", attempts=1)
    page = client.get("/admin/messages").text
    assert "21610: unsubscribed" in page and "1 failed message(s)" in page
    assert mask("+14155550101") in page and "+14155550101" not in page
    assert page.index("hello 2") < page.index("hello 0")  # newest first
    failed = client.get("/admin/messages?status=failed").text
    assert "hello 1" in failed and "hello 0" not in failed


@pytest.mark.parametrize("number, shown", [("+14155550123", "+1415•••0123"), ("tg:123456789", "tg:•••6789"),
                                           ("", "•••"), ("12345", "•••45")])
def test_mask(number, shown):
    assert mask(number) == shown


@given(st.from_regex(r"\+[1-9]\d{7,14}", fullmatch=True) | st.from_regex(r"tg:-?\d{1,15}", fullmatch=True))
def test_a_masked_number_hides_its_middle(number):
    shown = mask(number)
    assert "•••" in shown and shown != number
    assert sum(ch.isdigit() for ch in shown) <= 8
