"""The Twilio channel end to end: signed webhooks into the real app, and the
real twilio.rest.Client sending to a local fake of Twilio's REST API."""
from __future__ import annotations

import socket
import uuid
from datetime import datetime, timedelta

import pytest
from twilio.request_validator import RequestValidator

from bot.channels import twilio_sms
from bot.channels.sms_split import units
from bot.config import Config
from fake_twilio import FakeTwilio, Reply
from stores import DURABLE
from support import OTHER, PARENT

PUBLIC = "https://line.example.org"
FROM = "+15005550006"
WA_FROM = "+15005550009"


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


def make_app(tmp_path, fake, store=None, **overrides):
    from app import create_app

    settings = dict(db_path=str(tmp_path / "vecina.db"), twilio_account_sid=fake.account_sid,
                    twilio_auth_token=fake.auth_token, twilio_from=FROM, twilio_api_url=fake.url,
                    public_url=PUBLIC, twilio_mps="100000")
    settings.update(overrides)
    app = create_app({"VECINA_CONFIG": Config(**settings), "VECINA_JOBS": False, "TESTING": True,
                      "VECINA_STORE": store})
    return app, app.extensions["vecina"]


def sign(form, path="/sms/twilio", token=None, fake=None, url=None):
    token = token or fake.auth_token
    return RequestValidator(token).compute_signature(url or PUBLIC + path, form)


def post(app, form, path="/sms/twilio", signature=None, fake=None, **kw):
    headers = {}
    if signature is None and fake is not None:
        signature = sign(form, path, fake=fake)
    if signature:
        headers["X-Twilio-Signature"] = signature
    return app.test_client().post(path, data=form, headers=headers, **kw)


def sms(sid="SM1", sender=PARENT, body="hello", **extra):
    return {"MessageSid": sid, "From": sender, "To": FROM, "Body": body, "AccountSid": "AC0", **extra}


def queue(rt, text, to=PARENT, channel="sms", lang="en", choices=()):
    msg_id = f"m{uuid.uuid4().hex[:12]}"
    rt.store.add_outbound({"id": msg_id, "to": to, "text": text, "key": "test.text",
                           "choices": [list(c) for c in choices],
                           "lang": lang, "channel": channel, "status": "queued", "created_at": rt.now()})
    return msg_id


def row(rt, msg_id):
    return next(m for m in rt.store.list_outbound() if m["id"] == msg_id)


# ------------------------------------------------------------------ inbound


def test_signed_inbound_is_logged_answered_with_empty_twiml_and_the_reply_is_sent(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    res = post(app, sms(), fake=fake)
    assert res.status_code == 200
    assert res.mimetype == "text/xml"
    assert res.get_data(as_text=True) == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    # logged: recording the same provider id again is a repeat
    assert rt.store.record_inbound("sms", "SM1", PARENT, "hello", rt.now()) is None
    queued = rt.store.list_outbound(to=PARENT)
    assert queued and {m["channel"] for m in queued} == {"sms"} and {m["status"] for m in queued} == {"queued"}
    assert fake.requests == []  # nothing is sent from the webhook itself

    assert rt.outbox.run_once() == len(queued)
    assert len(fake.messages) == len(queued)
    for sent, form in zip(rt.store.list_outbound(to=PARENT), fake.messages):
        assert form["To"] == PARENT and form["From"] == FROM
        assert form["StatusCallback"] == PUBLIC + "/sms/twilio/status"
        assert form["Body"].startswith(sent["text"])
        assert sent["status"] == "sent" and sent["provider_id"].startswith("SM") and sent["segments"] >= 1
    assert fake.messages[-1]["Body"].endswith("\n".join(f"{n} {label}" for n, label in queued[-1]["choices"]))
    sids = {m["provider_id"] for m in rt.store.list_outbound(to=PARENT)}
    assert len(sids) == len(queued)


def test_whatsapp_inbound_is_answered_on_whatsapp(tmp_path, fake):
    app, rt = make_app(tmp_path, fake, twilio_whatsapp_from=WA_FROM)
    assert post(app, sms(sender=f"whatsapp:{PARENT}"), fake=fake).status_code == 200
    assert rt.store.record_inbound("whatsapp", "SM1", PARENT, "hello", rt.now()) is None
    assert {m["channel"] for m in rt.store.list_outbound(to=PARENT)} == {"whatsapp"}
    rt.outbox.run_once()
    assert fake.messages and all(f["To"] == f"whatsapp:{PARENT}" and f["From"] == f"whatsapp:{WA_FROM}"
                                 for f in fake.messages)
    assert {m["status"] for m in rt.store.list_outbound(to=PARENT)} == {"sent"}


def test_whatsapp_falls_back_to_the_sms_number(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    queue(rt, "hola", channel="whatsapp")
    rt.outbox.run_once()
    assert fake.messages[0]["From"] == f"whatsapp:{FROM}"


def test_a_national_number_is_stored_in_e164(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    assert post(app, sms(sender="(415) 555-2671"), fake=fake).status_code == 200
    assert rt.store.list_outbound(to=PARENT)


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "forged"])
def test_missing_or_forged_signature_is_403_and_nothing_is_recorded(tmp_path, fake, signature):
    app, rt = make_app(tmp_path, fake)
    res = app.test_client().post("/sms/twilio", data=sms(),
                                 headers={"X-Twilio-Signature": signature} if signature is not None else {})
    assert res.status_code == 403
    assert rt.store.record_inbound("sms", "SM1", PARENT, "hello", rt.now()) is not None  # it was never logged
    assert rt.store.list_outbound() == []


def test_a_signature_for_other_fields_or_another_url_or_token_is_403(tmp_path, fake):
    app, _rt = make_app(tmp_path, fake)
    form = sms()
    tampered = dict(form, Body="START")
    assert post(app, tampered, signature=sign(form, fake=fake)).status_code == 403
    elsewhere = sign(form, url="https://evil.example.org/sms/twilio", fake=fake)
    assert post(app, form, signature=elsewhere).status_code == 403
    assert post(app, form, signature=sign(form, token="another-token")).status_code == 403
    assert post(app, form, path="/sms/twilio/status", signature=sign(form, fake=fake)).status_code == 403


def test_a_signature_over_the_url_with_its_default_port_is_accepted_too(tmp_path, fake):
    """Twilio may sign https://host:443/…: the exact URL is checked first,
    then twilio's validate() with and without the port."""
    app, _rt = make_app(tmp_path, fake)
    with_port = sign(sms(), url="https://line.example.org:443/sms/twilio", fake=fake)
    assert post(app, sms(), signature=with_port).status_code == 200
    other_port = sign(sms("SM2"), url="https://line.example.org:8443/sms/twilio", fake=fake)
    assert post(app, sms("SM2"), signature=other_port).status_code == 403


def test_no_auth_token_configured_refuses_everything(tmp_path, fake):
    app, _rt = make_app(tmp_path, fake, twilio_auth_token="")
    assert post(app, sms(), signature=sign(sms(), token="anything")).status_code == 403
    assert post(app, sms(), signature=sign(sms(), token="anything"), path="/sms/twilio/status").status_code == 403


def test_without_public_url_the_signature_covers_the_url_the_app_sees(tmp_path, fake):
    app, rt = make_app(tmp_path, fake, public_url="")
    form = sms()
    assert post(app, form, signature=sign(form, url="http://localhost/sms/twilio", fake=fake)).status_code == 200
    assert post(app, sms("SM2"), signature=sign(sms("SM2"), fake=fake)).status_code == 403  # PUBLIC is not ours
    rt.outbox.run_once()
    assert fake.messages and all("StatusCallback" not in f for f in fake.messages)


def test_public_url_keeps_the_query_string_twilio_signed(tmp_path, fake):
    app, _rt = make_app(tmp_path, fake, public_url=PUBLIC + "/")
    form = sms()
    sig = sign(form, url=PUBLIC + "/sms/twilio?line=north", fake=fake)
    assert app.test_client().post("/sms/twilio?line=north", data=form,
                                  headers={"X-Twilio-Signature": sig}).status_code == 200


@pytest.mark.parametrize("missing", ["MessageSid", "From", "Body"])
def test_missing_fields_are_400(tmp_path, fake, missing):
    app, rt = make_app(tmp_path, fake)
    form = {k: v for k, v in sms().items() if k != missing}
    assert post(app, form, fake=fake).status_code == 400
    assert rt.store.list_outbound() == []


def test_a_from_that_is_no_number_is_400(tmp_path, fake):
    app, _rt = make_app(tmp_path, fake)
    assert post(app, sms(sender="VECINA"), fake=fake).status_code == 400
    assert post(app, sms(sender="whatsapp:"), fake=fake).status_code == 400


def test_a_body_over_64_kb_is_413(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    form = sms(body="x" * (65 * 1024))
    assert post(app, form, fake=fake).status_code == 413
    assert rt.store.list_outbound() == []


def test_the_same_message_sid_ten_times_gets_one_reply(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    assert [post(app, sms(), fake=fake).status_code for _ in range(10)] == [200] * 10
    first = rt.store.list_outbound(to=PARENT)
    assert len(first) == 2  # welcome + menu, once
    rt.outbox.run_once()
    assert len(fake.messages) == 2


def test_store_lock_held_elsewhere_is_503_so_twilio_retries(tmp_path, fake):
    from bot.store.sqlite import SQLiteStore

    app, rt = make_app(tmp_path, fake)
    rt.pipeline.lock_timeout = 0.2
    other_process = SQLiteStore(str(tmp_path / "vecina.db"))
    with other_process.contact_lock(PARENT):
        assert post(app, sms(), fake=fake).status_code == 503
    # Twilio's retry of the same message is handled, once
    assert post(app, sms(), fake=fake).status_code == 200
    assert len(rt.store.list_outbound(to=PARENT)) == 2


def test_redis_down_is_503(tmp_path, fake):
    from bot.store.redis_store import RedisStore
    from app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = Config(db_path=str(tmp_path / "v.db"), twilio_account_sid=fake.account_sid,
                 twilio_auth_token=fake.auth_token, twilio_from=FROM, twilio_api_url=fake.url, public_url=PUBLIC)
    app = create_app({"VECINA_CONFIG": cfg, "VECINA_JOBS": False,
                      "VECINA_STORE": RedisStore(f"redis://127.0.0.1:{port}/0")})
    assert post(app, sms(), fake=fake).status_code == 503
    status = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": PARENT}
    assert post(app, status, path="/sms/twilio/status", fake=fake).status_code == 503


# ------------------------------------------------------------------ status callbacks


def status_form(sid, state, to=PARENT, code=None):
    form = {"MessageSid": sid, "MessageStatus": state, "To": to, "From": FROM, "AccountSid": "AC0"}
    if code:
        form["ErrorCode"] = code
    return form


def send_one(rt, text="hola", to=PARENT, channel="sms"):
    msg_id = queue(rt, text, to=to, channel=channel)
    rt.outbox.run_once()
    return msg_id, row(rt, msg_id)["provider_id"]


def test_status_callback_updates_the_outbox_row_and_never_goes_back(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    msg_id, sid = send_one(rt)
    other_id, _ = send_one(rt)
    path = "/sms/twilio/status"
    assert post(app, status_form(sid, "delivered"), path=path, fake=fake).status_code == 204
    assert row(rt, msg_id)["status"] == "delivered"
    assert row(rt, other_id)["status"] == "sent"
    for late in ("sent", "queued", "sending"):  # callbacks arrive out of order
        assert post(app, status_form(sid, late), path=path, fake=fake).status_code == 204
        assert row(rt, msg_id)["status"] == "delivered"
    assert rt.outbox.run_once() == 0  # and nothing is sent again
    # an unknown sid or number changes nothing
    assert post(app, status_form("SMunknown", "failed"), path=path, fake=fake).status_code == 204
    assert post(app, status_form(sid, "failed", to=OTHER), path=path, fake=fake).status_code == 204
    assert row(rt, msg_id)["status"] == "delivered"


def test_whatsapp_status_callback_finds_the_row(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    msg_id, sid = send_one(rt, channel="whatsapp")
    assert post(app, status_form(sid, "read", to=f"whatsapp:{PARENT}"), path="/sms/twilio/status",
                fake=fake).status_code == 204
    assert row(rt, msg_id)["status"] == "read"


def test_status_callback_missing_fields_is_400(tmp_path, fake):
    app, _rt = make_app(tmp_path, fake)
    for missing in ("MessageSid", "MessageStatus", "To"):
        form = {k: v for k, v in status_form("SM1", "sent").items() if k != missing}
        assert post(app, form, path="/sms/twilio/status", fake=fake).status_code == 400


def test_21610_callback_opts_the_contact_out_and_later_messages_are_blocked(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    msg_id, sid = send_one(rt)
    res = post(app, status_form(sid, "failed", code="21610"), path="/sms/twilio/status", fake=fake)
    assert res.status_code == 204
    assert row(rt, msg_id)["status"] == "failed" and row(rt, msg_id)["error_code"] == "21610"
    contact = rt.store.get_contact(PARENT)
    assert contact["opted_out"] is True and contact["opted_out_by"] == "sms:21610"
    later = queue(rt, "are you there?")
    rt.outbox.run_once()
    assert row(rt, later)["status"] == "blocked"
    assert len(fake.messages) == 1


def test_21610_callback_for_someone_who_texted_stop_keeps_their_own_reason(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    assert post(app, sms("SM1", body="hello"), fake=fake).status_code == 200
    assert post(app, sms("SM2", body="STOP"), fake=fake).status_code == 200
    rt.outbox.run_once()
    stop_reply = rt.store.list_outbound(to=PARENT)[-1]
    assert stop_reply["key"] == "keywords.stop_reply" and stop_reply["status"] == "sent"
    res = post(app, status_form(stop_reply["provider_id"], "undelivered", code="21610"), path="/sms/twilio/status",
               fake=fake)
    assert res.status_code == 204
    contact = rt.store.get_contact(PARENT)
    assert contact["opted_out"] is True and contact.get("opted_out_by") is None


def test_30006_callback_marks_the_contact_unreachable_with_an_audit_entry(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    rt.store.upsert_contact(PARENT, lang="en")
    msg_id, sid = send_one(rt)
    res = post(app, status_form(sid, "undelivered", code="30006"), path="/sms/twilio/status", fake=fake)
    assert res.status_code == 204
    assert row(rt, msg_id)["status"] == "undelivered"
    contact = rt.store.get_contact(PARENT)
    assert contact["unreachable"]["code"] == "30006" and contact["unreachable"]["at"]
    assert not contact["opted_out"]
    assert [e["what"] for e in rt.store.audit_entries(PARENT)][-1] == "twilio.unreachable"
    # a later delivery clears it
    _, sid2 = send_one(rt)
    post(app, status_form(sid2, "delivered"), path="/sms/twilio/status", fake=fake)
    assert not rt.store.get_contact(PARENT).get("unreachable")


# ------------------------------------------------------------------ sending errors


def test_a_500_is_retried_later(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    fake.script.append(Reply(500, {"code": 20500, "message": "Internal Server Error", "status": 500}))
    msg_id = queue(rt, "hola")
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "queued" and msg["attempts"] == 1 and msg["retry_at"] is not None
    rt.outbox.clock = lambda: msg["retry_at"] + timedelta(seconds=1)
    rt.outbox.run_once()
    assert row(rt, msg_id)["status"] == "sent" and len(fake.messages) == 1


def test_a_429_is_retried_after_retry_after(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    fake.script.append(Reply(429, {"code": 20429, "message": "Too Many Requests", "status": 429},
                             {"Retry-After": "120"}))
    now = rt.now()
    rt.outbox.clock = lambda: now
    msg_id = queue(rt, "hola")
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "queued" and msg["attempts"] == 1
    assert msg["retry_at"] >= now + timedelta(seconds=120)


def test_a_400_fails_with_twilios_code(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    fake.script.append(Reply(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}))
    msg_id = queue(rt, "hola")
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "failed" and msg["error_code"] == "21211" and "Invalid" in msg["error"]
    assert rt.outbox.run_once() == 0


def test_21610_from_the_api_opts_the_contact_out(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    fake.script.append(Reply(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                   "status": 400}))
    first = queue(rt, "hola")
    rt.outbox.run_once()
    assert row(rt, first)["status"] == "failed" and row(rt, first)["error_code"] == "21610"
    contact = rt.store.get_contact(PARENT)
    assert contact["opted_out"] is True and contact["opted_out_by"] == "sms:21610"
    audits = [e for e in rt.store.audit_entries(PARENT) if e["what"] == "outbox.opted_out"]
    assert [e["data"] for e in audits] == [{"channel": "sms", "code": "21610"}]
    later = queue(rt, "hola otra vez")
    rt.outbox.run_once()
    assert row(rt, later)["status"] == "blocked" and fake.messages == []


def test_21610_on_whatsapp_is_labelled_whatsapp(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    fake.script.append(Reply(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                   "status": 400}))
    queue(rt, "hola", channel="whatsapp")
    rt.outbox.run_once()
    assert rt.store.get_contact(PARENT)["opted_out_by"] == "whatsapp:21610"


def test_a_worker_without_the_web_app_opts_out_in_its_own_store(tmp_path, fake):
    # The scaled profile's worker process builds a runtime but no Flask app:
    # nothing hands the sender a store, and nothing needs to.
    from bot.runtime import build
    from bot.store.sqlite import SQLiteStore

    cfg = Config(db_path=str(tmp_path / "worker.db"), twilio_account_sid=fake.account_sid,
                 twilio_auth_token=fake.auth_token, twilio_from=FROM, twilio_api_url=fake.url, twilio_mps="100000")
    rt = build(cfg, store=SQLiteStore(cfg.db_path), start_jobs=False)
    sender = rt.outbox.senders["sms"]
    assert not any(name in vars(sender) for name in ("store", "store_factory"))
    fake.script.append(Reply(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                   "status": 400}))
    first = queue(rt, "hola")
    rt.outbox.run_once()
    assert row(rt, first)["status"] == "failed"
    assert SQLiteStore(cfg.db_path).get_contact(PARENT)["opted_out_by"] == "sms:21610"


def test_an_unreachable_api_is_a_network_error_and_retried(tmp_path, fake):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _app, rt = make_app(tmp_path, fake, twilio_api_url=f"http://127.0.0.1:{port}")
    msg_id = queue(rt, "hola")
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "queued" and msg["attempts"] == 1 and msg["error"].startswith("network")


def test_region_and_edge_in_the_environment_cannot_redirect_test_traffic(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nor a proxy
    _app, rt = make_app(tmp_path, fake)
    msg_id = queue(rt, "hola")
    rt.outbox.run_once()
    assert row(rt, msg_id)["status"] == "sent" and len(fake.messages) == 1


# ------------------------------------------------------------------ rendering, splitting, pacing


def test_a_2000_character_text_goes_in_parts_of_at_most_1600_at_word_boundaries(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    words = [f"palabra{i}" for i in range(250)]
    text = " ".join(words)
    assert len(text) > 2000
    msg_id = queue(rt, text)
    rt.outbox.run_once()
    bodies = [f["Body"] for f in fake.messages]
    assert len(bodies) == 2 and all(units(b) <= 1600 for b in bodies)
    assert " ".join(bodies).split(" ") == words  # no word cut, order kept
    msg = row(rt, msg_id)
    assert msg["status"] == "sent" and msg["parts"] == 2 and msg["segments"] >= 14
    assert msg["provider_id"] == msg["provider_ids"][0] and len(msg["provider_ids"]) == 2
    # a callback about the second part finds the message too
    post(app, status_form(msg["provider_ids"][1], "undelivered", code="30003"), path="/sms/twilio/status", fake=fake)
    assert row(rt, msg_id)["status"] == "undelivered"


def test_a_part_failing_midway_is_retried_without_resending_the_parts_sent(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    text = " ".join(f"w{i:05d}" for i in range(500))  # 3 parts
    ok = Reply(201, {"sid": "SMpart1", "status": "queued"})
    fake.script.extend([ok, Reply(503, {"code": 20503, "message": "Service Unavailable", "status": 503})])
    msg_id = queue(rt, text)
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "queued" and msg["provider_ids"] == ["SMpart1"]
    rt.outbox.clock = lambda: msg["retry_at"] + timedelta(seconds=1)
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "sent" and msg["parts"] == 3 and msg["provider_ids"][0] == "SMpart1"
    assert len(fake.requests) == 4  # part 1, part 2 (503), part 2, part 3


def test_a_part_failing_for_good_midway_keeps_the_sids_sent_so_callbacks_find_the_row(tmp_path, fake):
    app, rt = make_app(tmp_path, fake)
    text = " ".join(f"w{i:05d}" for i in range(500))  # 3 parts
    fake.script.extend([Reply(201, {"sid": "SMpart1", "status": "queued"}),
                        Reply(400, {"code": 21617, "message": "The concatenated message body exceeds the limit",
                                    "status": 400})])
    msg_id = queue(rt, text)
    rt.outbox.run_once()
    msg = row(rt, msg_id)
    assert msg["status"] == "failed" and msg["error_code"] == "21617"
    assert msg["provider_ids"] == ["SMpart1"] and msg["provider_id"] == "SMpart1"
    assert rt.store.get_contact(PARENT) is None  # not opted out (nor known at all)
    # A landline callback about the part that went is matched to this row (an
    # unknown sid for an unknown number would change nothing).
    form = status_form("SMpart1", "undelivered", code="30006")
    assert post(app, form, path="/sms/twilio/status", fake=fake).status_code == 204
    assert rt.store.get_contact(PARENT)["unreachable"]["code"] == "30006"


def test_accents_are_folded_for_spanish_sms_when_it_saves_segments(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake)
    text = "Tu código está listo. " * 4  # 'ó' and 'á' force UCS-2: 2 segments; folded, 1
    sms_id = queue(rt, text, lang="es")
    wa_id = queue(rt, text, lang="es", channel="whatsapp")
    en_id = queue(rt, text, lang="en")
    rt.outbox.run_once()
    bodies = [f["Body"] for f in fake.messages]
    assert bodies[0] == text.replace("ó", "o").replace("á", "a")
    assert bodies[1] == text and bodies[2] == text  # WhatsApp has no segments; English does not fold
    assert row(rt, sms_id)["segments"] == 1 and row(rt, en_id)["segments"] == 2 and row(rt, wa_id)["status"] == "sent"


def test_pacing_one_message_a_second_sends_one_and_requeues_the_other(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake, twilio_mps="1")
    now = rt.now()
    rt.outbox.clock = lambda: now
    first, second = queue(rt, "uno"), queue(rt, "dos", to=OTHER)
    assert rt.outbox.run_once() == 2
    statuses = {row(rt, first)["status"], row(rt, second)["status"]}
    assert statuses == {"sent", "queued"} and len(fake.messages) == 1
    waiting = next(row(rt, i) for i in (first, second) if row(rt, i)["status"] == "queued")
    assert waiting["attempts"] == 0 and now < waiting["retry_at"] <= now + timedelta(seconds=1)
    rt.outbox.clock = lambda: now + timedelta(seconds=1)
    rt.outbox.run_once()
    assert len(fake.messages) == 2


def test_messaging_service_sid_is_used_without_a_from_number(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake, twilio_from="", twilio_messaging_service_sid="MG" + "1" * 32)
    queue(rt, "hola")
    rt.outbox.run_once()
    assert fake.messages[0]["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in fake.messages[0]


def test_senders_need_credentials_and_a_sender():
    full = dict(twilio_account_sid="AC1", twilio_auth_token="t", twilio_from=FROM)
    assert set(twilio_sms.senders(Config(**full))) == {"sms", "whatsapp"}
    assert twilio_sms.senders(Config(**dict(full, twilio_from="", twilio_messaging_service_sid="MG1")))
    for missing in ("twilio_account_sid", "twilio_auth_token", "twilio_from"):
        assert twilio_sms.senders(Config(**dict(full, **{missing: ""}))) == {}


def test_without_credentials_messages_are_recorded_not_sent(tmp_path, fake):
    _app, rt = make_app(tmp_path, fake, twilio_account_sid="")
    msg_id = queue(rt, "hola")
    rt.outbox.run_once()
    assert row(rt, msg_id)["status"] == "recorded" and fake.requests == []


def test_retry_after_accepts_an_http_date():
    from bot.channels.twilio_sender import ApiUrlHttpClient
    from datetime import timezone

    client = ApiUrlHttpClient()
    now = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    client._last.headers = {"Retry-After": "Mon, 02 Mar 2026 12:01:00 GMT"}
    assert client.retry_after(now) == 60
    client._last.headers = {"retry-after": "soon"}
    assert client.retry_after(now) is None


@pytest.mark.parametrize("factory", DURABLE)
def test_the_whole_round_trip_on_each_durable_store(factory, tmp_path, fake):
    app, rt = make_app(tmp_path, fake, store=factory(tmp_path))
    assert [post(app, sms(), fake=fake).status_code for _ in range(3)] == [200] * 3
    assert rt.outbox.run_once() == 2 and len(fake.messages) == 2
    first, second = rt.store.list_outbound(to=PARENT)
    path = "/sms/twilio/status"
    assert post(app, status_form(first["provider_id"], "delivered"), path=path, fake=fake).status_code == 204
    assert post(app, status_form(second["provider_id"], "failed", code="21610"), path=path,
                fake=fake).status_code == 204
    assert [m["status"] for m in rt.store.list_outbound(to=PARENT)] == ["delivered", "failed"]
    assert rt.store.get_contact(PARENT)["opted_out"] is True
    later = queue(rt, "hola")
    rt.outbox.run_once()
    assert row(rt, later)["status"] == "blocked" and len(fake.messages) == 2


@pytest.mark.parametrize("factory", DURABLE)
def test_with_the_step_in_the_worker_the_webhook_only_records_and_the_worker_replies(factory, tmp_path, fake):
    """INBOUND_STEP=worker (the scaled profile's default): the webhook answers
    after recording; a retry changes nothing; the worker's tick steps it once."""
    app, rt = make_app(tmp_path, fake, store=factory(tmp_path), inbound_step="worker")
    assert [post(app, sms(), fake=fake).status_code for _ in range(3)] == [200] * 3
    assert rt.store.list_outbound(to=PARENT) == [] and rt.store.get_session(PARENT) is None
    assert [m["text"] for m in rt.store.pending_inbound(PARENT)] == ["hello"]
    sent = rt.pipeline.tick()
    assert len(sent) == 2 and rt.store.pending_inbound(PARENT) == []  # welcome + menu, once
    assert rt.pipeline.tick() == []
    assert rt.outbox.run_once() == 2 and [m["To"] for m in fake.messages] == [PARENT, PARENT]
    post(app, sms(sid="SM2", body="HELP"), fake=fake)
    assert len(rt.pipeline.tick()) == 1 and rt.store.get_contact(PARENT)["last_seq"] == 2
