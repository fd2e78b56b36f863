"""Property tests of the Twilio webhooks and the splitter: whatever arrives,
never a 5xx, and every signed message accepted is in the inbound log."""
from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bot.channels.sms_split import split_text, units
from bot.config import Config

PUBLIC = "https://line.example.org"
TOKEN = "prop-secret"
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Header values travel as latin-1 text without line breaks.
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
field_names = st.sampled_from(["MessageSid", "From", "To", "Body", "MessageStatus", "ErrorCode", "NumMedia",
                               "AccountSid", "SmsStatus"]) | st.text(string.ascii_letters, min_size=1, max_size=12)
field_values = st.text(max_size=80) | st.sampled_from(
    ["+14155552671", "whatsapp:+14155552671", "4155552671", "whatsapp:", "+", "", "SM1", "delivered",
     "failed", "21610", "30006", "0", "queued"])
forms = st.dictionaries(field_names, field_values, max_size=8)
numbers = st.sampled_from(["+14155552671", "+14155552672", "whatsapp:+14155552673", "(415) 555-2674",
                           "+442071838750", "VECINA", "", "whatsapp:", "+1"])


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    tmp = tmp_path_factory.mktemp("twilio-props")
    cfg = Config(db_path=str(tmp / "vecina.db"), twilio_auth_token=TOKEN, public_url=PUBLIC)
    return create_app({"VECINA_CONFIG": cfg, "VECINA_JOBS": False, "TESTING": True})


def signed(path, form):
    return RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)


@FAST
@given(path=st.sampled_from(["/sms/twilio", "/sms/twilio/status"]), form=forms,
       headers=st.dictionaries(st.sampled_from(["X-Twilio-Signature", "X-Twilio-Webhooks-Signature-Settings",
                                                "Content-Type", "X-Forwarded-For", "I-Twilio-Idempotency-Token"]),
                               header_text, max_size=4))
def test_random_unsigned_requests_are_refused_never_a_5xx(app, path, form, headers):
    res = app.test_client().post(path, data=form, headers=headers)
    assert res.status_code < 500
    if headers.get("Content-Type", "").startswith(("application/x-www-form", "multipart/form-data")) \
            or "Content-Type" not in headers:
        assert res.status_code in (400, 403, 413)


@FAST
@given(path=st.sampled_from(["/sms/twilio", "/sms/twilio/status"]), form=forms,
       algorithm=st.sampled_from([None, "key=k1,algorithm=HMAC_SHA1", "algorithm=MD5", "garbage"]))
def test_random_signed_requests_never_5xx(app, path, form, algorithm):
    headers = {"X-Twilio-Signature": signed(path, form)}
    if algorithm:
        headers["X-Twilio-Webhooks-Signature-Settings"] = algorithm
    res = app.test_client().post(path, data=form, headers=headers)
    assert res.status_code < 500
    if algorithm == "algorithm=MD5":
        assert res.status_code == 403


@FAST
@given(sid=st.text(string.ascii_letters + string.digits, min_size=1, max_size=34), sender=numbers,
       body=st.text(max_size=300))
def test_every_accepted_signed_inbound_is_logged(app, sid, sender, body):
    rt = app.extensions["vecina"]
    form = {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body}
    res = app.test_client().post("/sms/twilio", data=form, headers={"X-Twilio-Signature": signed("/sms/twilio", form)})
    assert res.status_code in (200, 400)
    if res.status_code == 200:
        assert res.mimetype == "text/xml"
        from bot.channels.twilio_sms import parse_address

        number, whatsapp = parse_address(sender, "US")
        # already in the log: recording it again is a repeat
        assert rt.store.record_inbound("whatsapp" if whatsapp else "sms", sid, number, body, rt.now()) is None


@FAST
@given(sid=st.text(string.ascii_letters + string.digits, min_size=1, max_size=34), to=numbers,
       state=st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read", "weird", ""]),
       code=st.sampled_from(["", "21610", "30003", "30005", "30006", "30008", "abc"]))
def test_signed_status_callbacks_never_5xx(app, sid, to, state, code):
    form = {"MessageSid": sid, "MessageStatus": state, "To": to, "ErrorCode": code}
    path = "/sms/twilio/status"
    res = app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signed(path, form)})
    assert res.status_code in (204, 400)


words = st.text(alphabet=st.characters(blacklist_categories=("Zs", "Cc", "Zl", "Zp")), min_size=1, max_size=40)


@FAST
@given(text=st.lists(words, max_size=120).map(" ".join) | st.text(max_size=2000),
       limit=st.integers(min_value=20, max_value=400))
def test_split_parts_fit_and_keep_every_word(text, limit):
    parts = split_text(text, limit)
    assert parts and all(units(p) <= limit for p in parts)
    if units(text) <= limit:
        assert parts == [text]
        return
    assert all(p.strip() for p in parts)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())  # nothing lost or added
    long_words = [w for w in text.split() if units(w) > limit]
    if not long_words:
        # no word is cut: every part is made of whole words of the text
        assert [w for p in parts for w in p.split()] == text.split()
