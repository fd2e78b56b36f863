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
    app, client, token = admin
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
    assert token in page
    page = page.replace(token, "")  # the random CSRF token may hold "K8" by chance
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


def test_a_blocked_message_says_why_in_the_coordinators_language(admin):
    app, client, _ = admin
    store = store_of(app)
    store.add_outbound({"id": "m1", "to": "+14155550101", "text": "Can you pick up Ana?", "key": "childcare.ask",
                        "choices": [], "lang": "en", "channel": "sms", "status": "queued", "created_at": NOW})
    store.mark_outbound("m1", "blocked", NOW, error="blocked: not_vetted", blocked="not_vetted", attempts=1)
    assert "Not a vetted helper any more: the ask was not sent." in client.get("/admin/messages").text
    es = client.get("/admin/messages", headers={"Accept-Language": "es-MX,es;q=0.9"}).text
    assert "Ya no es un ayudante verificado: no se envió la petición." in es
    assert "not_vetted" not in es


@pytest.mark.parametrize("number, shown", [("+14155550123", "•••0123"), ("+442071838750", "•••8750"),
                                           ("tg:123456789", "tg:•••6789"), ("tg:1234", "tg:•••"), ("", "•••"),
                                           ("12345", "•••45"), ("1234", "•••")])
def test_mask(number, shown):
    assert mask(number) == shown


@given(st.from_regex(r"\+[1-9]\d{7,14}", fullmatch=True) | st.from_regex(r"tg:-?\d{1,15}", fullmatch=True))
def test_a_masked_number_shows_only_its_last_digits(number):
    shown = mask(number)
    digits = "".join(ch for ch in number if ch.isdigit())
    kept = "".join(ch for ch in shown if ch.isdigit())
    assert "•••" in shown and shown != number
    assert len(kept) <= 4 and digits.endswith(kept)
    hidden = len(digits) - len(kept)
    assert not kept or hidden >= 5 or (len(kept) <= 2 and hidden >= 3)  # never enough left to guess it


def test_no_list_page_gives_a_number_away(admin):
    """Members, messages (the outbox) and the board show numbers masked: not the
    number, nor its country code and area, nor any run of it longer than 4 digits."""
    app, client, token = admin
    store = store_of(app)
    store.upsert_contact(HELPER, roles=["helper"])  # no name: lists fall back to the mask
    store.upsert_contact(PARENT, roles=["parent", "client"])
    store.add_outbound({"id": "m1", "to": HELPER, "text": "hi", "key": "k", "choices": [], "lang": "en",
                        "channel": "sms", "status": "queued", "created_at": NOW})
    store.put_record("childcare.request", "R1", {"id": "R1", "code": "K1", "status": "open", "parent": PARENT,
                                                "asked": [HELPER], "pickup_at": NOW + timedelta(hours=1)})
    store.put_record("cleaning.job", "J1", {"id": "J1", "status": "active", "client": PARENT, "cleaner": HELPER})
    for path in ("/admin/members", "/admin/messages", "/admin/board"):
        page = client.get(path).text
        assert mask(HELPER) in page, path
        for number in (HELPER, PARENT):
            digits = number[1:]
            for start in range(len(digits) - 4):
                assert digits[start:start + 5] not in page, (path, digits[start:start + 5])


# ------------------------------------------------------------------ the member form's checkboxes
def form_of(page: str) -> dict:
    """The add form's fields as a browser would send them (hidden inputs and checkboxes)."""
    form = re.search(r'<form[^>]*id="member-form".*?</form>', page, re.S).group(0)
    return {"hidden": re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form),
            "boxes": re.findall(r'<input type="checkbox" name="(\w+)" value="([^"]*)"', form)}


def submit(client, token, page: str, ticked: set[str], **fields):
    """Post the member form as a browser does: hidden inputs, then the ticked boxes."""
    form = form_of(page)
    data = [(k, v) for k, v in form["hidden"] if k != "csrf_token"] + [("csrf_token", token)]
    data += [(k, v) for k, v in form["boxes"] if k in ticked and k != "roles"]
    data += [(k, v) for k, v in fields.items() if not isinstance(v, list)]
    data += [(k, x) for k, v in fields.items() if isinstance(v, list) for x in v]
    from werkzeug.datastructures import MultiDict

    return client.post("/admin/members/add", data=MultiDict(data))


@pytest.mark.parametrize("ticked", [set(), {"vetted"}, {"trained"}, {"vetted", "trained"}])
def test_editing_a_member_sets_vetted_and_trained_exactly_as_ticked(admin, ticked):
    app, client, token = admin
    store_of(app).upsert_contact(HELPER, roles=["helper"], vetted=True, trained=True)  # both on before
    page = client.get("/admin/members").text
    assert submit(client, token, page, ticked, number=HELPER, roles=["helper"]).status_code == 303
    contact = store_of(app).get_contact(HELPER)
    assert contact["vetted"] is ("vetted" in ticked) and contact["trained"] is ("trained" in ticked)
    # and from off, ticking turns them on
    store_of(app).upsert_contact(HELPER, vetted=False, trained=False)
    submit(client, token, page, ticked, number=HELPER, roles=["helper"])
    contact = store_of(app).get_contact(HELPER)
    assert contact["vetted"] is ("vetted" in ticked) and contact["trained"] is ("trained" in ticked)


def test_a_form_without_the_fields_leaves_them_as_they_were(admin):
    app, client, token = admin
    store_of(app).upsert_contact(HELPER, roles=["helper"], vetted=True, trained=True)
    assert add(client, token, number=HELPER, roles=["helper", "parent"], name="Rosa").status_code == 303
    contact = store_of(app).get_contact(HELPER)
    assert contact["vetted"] is True and contact["trained"] is True and contact["roles"] == ["helper", "parent"]
    add(client, token, number="+14155550178", roles=["helper"])  # a new member is neither until said
    new = store_of(app).get_contact("+14155550178")
    assert not new.get("vetted") and not new.get("trained")


def test_the_members_list_has_trained_and_help_given_columns(admin):
    app, client, token = admin
    store_of(app).upsert_contact(HELPER, roles=["helper"], name="Rosa", trained=True, helped_count=4)
    page = client.get("/admin/members").text
    head = re.search(r"<thead>.*?</thead>", page, re.S).group(0)
    assert head.index("Vetted") < head.index("Trained") < head.index("Helped")
    row = re.search(r'<tr id="m-([0-9a-f]+)">(.*?)</tr>', page, re.S)
    assert "yes — unmark" in row.group(2) and '<td class="helped-count">4</td>' in row.group(2)
    res = client.post(f"/admin/members/{row.group(1)}/train", data={"csrf_token": token, "value": "0"})
    assert res.status_code == 303 and store_of(app).get_contact(HELPER)["trained"] is False
    assert "Rosa: no longer marked trained." in client.get("/admin/members").text
    assert [e["what"] for e in store_of(app).audit_entries(HELPER)] == ["member.trained"]
