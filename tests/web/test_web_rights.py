"""Data rights: export a member's data as JSON; erase them, keeping the ledger and audit anonymised."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.engine.model import WAITING_INPUT, Session
from bot.web import rights
from stores import available

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)
A = "+14155550177"  # the member
B = "+14155550188"
C = "+14155550199"


def seed(store) -> None:
    store.upsert_contact(A, roles=["helper"], name="Rosa", helped_count=2)
    store.upsert_contact(B, roles=["parent"], name="Ana")
    store.save_session(Session(contact=A, status=WAITING_INPUT, flow="main", state="menu"))
    store.save_session(Session(contact=B, status=WAITING_INPUT, flow="main", state="menu",
                               vars={"helper": A, "name": "Rosa"}))
    store.record_inbound("sim", "s1", A, "hola", T0)
    store.add_outbound({"id": "o1", "to": A, "text": "Hola Rosa", "key": "k", "choices": [], "lang": "es",
                        "channel": "sms", "status": "queued", "created_at": T0})
    store.add_outbound({"id": "o2", "to": B, "text": "Rosa va", "key": "k", "choices": [], "lang": "es",
                        "channel": "sms", "status": "queued", "created_at": T0})
    store.put_record("childcare.request", "R1", {"id": "R1", "status": "covered", "helper": A, "parent": B})
    store.put_record("childcare.request", "R2", {"id": "R2", "status": "open", "parent": B, "asked": [A, C]})
    store.put_record("peer.post", "P1", {"id": "P1", "author": A, "pseudonym": "BlueHeron"})
    store.put_record("ledger.entry", "L1", {"id": "L1", "helper": A, "hours": 2, "at": T0})
    store.put_record("ledger.entry", "L2", {"id": "L2", "helper": C, "hours": 1})
    store.audit({"at": T0, "contact": A, "what": "helped", "data": {"request": "R1"}})
    store.audit({"at": T0, "contact": B, "what": "asked", "data": {"asked": [A, C]}})
    store.audit({"at": T0, "contact": C, "what": "other", "data": {}})


@pytest.fixture(params=available())
def store(request, tmp_path):
    s = request.param(tmp_path)
    yield s
    if hasattr(s, "close"):
        s.close()


def test_export_has_everything_about_the_member(store):
    seed(store)
    data = rights.export(store, A)
    json.dumps(data)  # JSON-safe as it is
    assert data["contact"]["name"] == "Rosa" and data["session"]["state"] == "menu"
    assert [m["id"] for m in data["outbound"]] == ["o1"]
    assert [m["text"] for m in data["inbound"]] == ["hola"]
    assert sorted(data["records"]) == ["childcare.request", "ledger.entry", "peer.post"]
    assert [r["id"] for r in data["records"]["childcare.request"]] == ["R1"]
    assert [e["what"] for e in data["audit"]] == ["helped", "asked"]
    assert data["records"]["ledger.entry"][0]["at"] == T0.isoformat()


def test_erase_keeps_only_the_ledger_and_audit_anonymised(store):
    seed(store)
    token = rights.token_for(store, A)
    done = rights.erase(store, A)
    assert done["token"] == token and token.startswith("anon-") and A not in token
    assert done == {"token": token, "deleted": 2, "anonymised": 3, "texts_erased": 0, "skipped": 0}
    assert store.get_session(B).vars == {"helper": token, "name": "Rosa"}
    assert store.get_contact(A) is None and store.get_session(A) is None
    assert store.list_outbound(to=A) == [] and store.inbound_log(A) == []
    assert store.get_record("childcare.request", "R1") is None and store.get_record("peer.post", "P1") is None
    assert store.get_record("childcare.request", "R2")["asked"] == [token, C]
    assert store.get_record("ledger.entry", "L1") == {"id": "L1", "helper": token, "hours": 2, "at": T0}
    assert store.get_record("ledger.entry", "L2")["helper"] == C
    entries = list(store.audit_entries())
    assert [e["contact"] for e in entries] == [token, B, C, token]
    assert entries[1]["data"]["asked"] == [token, C] and entries[3]["what"] == "member.erased"
    left = rights.export(store, A)
    assert A not in json.dumps({k: v for k, v in left.items() if k != "number"})  # nothing left about them
    assert store.get_contact(B)["name"] == "Ana" and [m["id"] for m in store.list_outbound()] == ["o2"]


def test_the_token_is_stable_and_differs_per_member(store):
    assert rights.token_for(store, A) == rights.token_for(store, A) != rights.token_for(store, B)


# ------------------------------------------------------------------ through the web
def test_export_download(admin):
    app, client, token = admin
    seed(app.extensions["vecina"].store)
    res = client.post("/admin/rights/export", data={"csrf_token": token, "number": "(415) 555-0177"})
    assert res.status_code == 200 and res.mimetype == "application/json"
    assert res.headers["Content-Disposition"].startswith("attachment;") and A not in res.headers["Content-Disposition"]
    assert res.json["contact"]["id"] == A
    bad = client.post("/admin/rights/export", data={"csrf_token": token, "number": "nope"})
    assert bad.status_code == 303 and "not a phone number" in client.get("/admin/rights").text


def test_erase_through_the_page_needs_the_number_twice(admin):
    app, client, token = admin
    store = app.extensions["vecina"].store
    seed(store)
    res = client.post("/admin/rights/erase", data={"csrf_token": token, "number": A, "confirm": B})
    assert res.status_code == 303 and store.get_contact(A) is not None
    assert "Type the number again" in client.get("/admin/rights").text
    res = client.post("/admin/rights/erase", data={"csrf_token": token, "number": A, "confirm": "(415) 555-0177"})
    assert res.status_code == 303 and store.get_contact(A) is None
    page = client.get("/admin/rights").text
    assert "Erased •••0177" in page and A not in page


def test_rights_posts_need_login_and_csrf(admin, make_app):
    app, client, token = admin
    seed(app.extensions["vecina"].store)
    assert client.post("/admin/rights/erase", data={"number": A, "confirm": A}).status_code == 400
    assert client.post("/admin/rights/export", data={"number": A}).status_code == 400
    assert app.extensions["vecina"].store.get_contact(A) is not None


def test_a_kept_record_stored_under_the_number_moves_to_the_token(store):
    store.put_record("ledger.balance", A, {"id": A, "hours": 5})
    token = rights.erase(store, A)["token"]
    assert store.get_record("ledger.balance", A) is None
    assert store.get_record("ledger.balance", token) == {"id": token, "hours": 5}


def test_erase_takes_what_the_member_wrote_in_peer_support(store):
    """Their posts, their write-backs to volunteers (records that name only the
    volunteer) and their replies as a volunteer go; a volunteer's reply to
    their post stays for the volunteer's tally, its text erased."""
    store.upsert_contact(A, roles=["parent", "peer"], pseudonym="4821")
    store.upsert_contact(C, roles=["peer"], peer_pseudonym="3310")
    store.put_record("peer.post", "P1", {"id": "P1", "code": "11", "author": A, "pseudonym": "4821",
                                        "text": "I feel alone since the move", "status": "answered"})
    store.put_record("peer.ask", "P1:3310", {"id": "P1:3310", "post": "P1", "peer": C})
    store.put_record("peer.reply", "r1", {"id": "r1", "post": "P1", "peer": C, "peer_pseudonym": "3310",
                                         "text": "You are not alone in this", "rating": "helpful", "by": "peer"})
    store.put_record("peer.reply", "r2", {"id": "r2", "post": "P1", "peer": C, "peer_pseudonym": "3310",
                                         "text": "thank you, my sister lives on Elm St", "rating": None,
                                         "by": "person"})
    # someone else's post that A answered as a volunteer, and that person's write-back to A
    store.put_record("peer.post", "P2", {"id": "P2", "code": "12", "author": B, "pseudonym": "1234", "text": "hi"})
    store.put_record("peer.reply", "r3", {"id": "r3", "post": "P2", "peer": A, "peer_pseudonym": "5555",
                                         "text": "Happy to listen any time", "by": "peer"})
    store.put_record("peer.reply", "r4", {"id": "r4", "post": "P2", "peer": C, "peer_pseudonym": "3310",
                                         "text": "another volunteer's reply", "by": "peer"})
    done = rights.erase(store, A)
    assert store.get_record("peer.post", "P1") is None and store.get_record("peer.ask", "P1:3310") is None
    assert store.get_record("peer.reply", "r2") is None  # the write-back: their words
    assert store.get_record("peer.reply", "r3") is None  # their reply as a volunteer
    kept = store.get_record("peer.reply", "r1")
    assert kept["text"] == "" and kept["erased"] is True and kept["rating"] == "helpful" and kept["peer"] == C
    assert store.get_record("peer.post", "P2")["text"] == "hi"  # others' records stay
    assert store.get_record("peer.reply", "r4")["text"] == "another volunteer's reply"
    assert done["texts_erased"] == 1
    every_text = json.dumps([store.find_records(k) for k in store.record_kinds()], default=str)
    for words in ("alone since the move", "Elm St", "Happy to listen", A):
        assert words not in every_text


def test_erase_takes_the_tasks_and_notes_of_their_cleaning_jobs(store):
    store.put_record("cleaning.job", "J1", {"id": "J1", "client": A, "cleaner": C, "status": "active"})
    store.put_record("cleaning.task", "J1.1", {"id": "J1.1", "job": "J1", "n": 1, "text": "water the orchids"})
    store.put_record("cleaning.note", "n1", {"id": "n1", "job": "J1", "n": 1, "from": C, "to": A,
                                            "text": "the key is under the mat"})
    store.put_record("cleaning.job", "J2", {"id": "J2", "client": B, "cleaner": C, "status": "active"})
    store.put_record("cleaning.task", "J2.1", {"id": "J2.1", "job": "J2", "n": 1, "text": "kitchen"})
    rights.erase(store, A)
    assert store.get_record("cleaning.task", "J1.1") is None and store.get_record("cleaning.note", "n1") is None
    assert store.get_record("cleaning.task", "J2.1")["text"] == "kitchen"


@pytest.mark.parametrize("factory", available())
def test_a_relayed_note_is_erased_with_its_writer_and_never_shows_the_writer_in_an_export(factory, tmp_path):
    from bot.conversation import Conductor
    from bot.engine.model import CounterIds
    from support import NOW, engine

    store = factory(tmp_path)
    cleaner, client = "+14155550202", "+14155550101"
    store.upsert_contact(client, roles=["client"], lang="en", name="Ana", cleaning_job="cj1")
    store.upsert_contact(cleaner, roles=["cleaner"], lang="en", name="Rosa", cleaning_job="cj1")
    store.put_record("cleaning.job", "cj1", {"id": "cj1", "client": client, "cleaner": cleaner, "status": "active",
                                             "client_lang": "en", "cleaner_lang": "en", "code": "100",
                                             "created_at": NOW.isoformat(), "list_sent": True})
    line = Conductor(engine(), store, CounterIds())
    line.message(cleaner, "HERE", NOW)
    line.message(cleaner, "The key is under the blue mat", NOW)
    [note] = [m for m in store.list_outbound(to=client) if "blue mat" in m["text"]]
    assert note["by"] == cleaner
    assert cleaner not in json.dumps(rights.export(store, client))  # the client's export: not the cleaner's number
    rights.erase(store, cleaner)
    [note] = [m for m in store.list_outbound(to=client) if m["id"] == note["id"]]
    assert note["text"] == "[erased]" and "by" not in note
    assert all("blue mat" not in m["text"] for m in store.list_outbound())
