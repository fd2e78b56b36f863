"""The Twilio channel: SMS and WhatsApp webhooks, and the sender (twilio_sender).

    POST /sms/twilio          an incoming message -> Inbound -> empty TwiML at once
    POST /sms/twilio/status   a delivery status callback -> the outbox row's status

Both are signed by Twilio (``X-Twilio-Signature``, checked with the account's
auth token against the URL Twilio called: ``PUBLIC_URL`` + path when it is set,
else the URL this app sees). No auth token configured means every request is
refused: an unsigned webhook would let anyone text as anyone.

Answers: 403 unsigned or forged, 400 fields missing, 413 body over 64 KB (the
app's MAX_CONTENT_LENGTH), 503 when the store is down (Twilio tries again). The
reply itself is never in the TwiML: it goes through the outbox like every
message. Both are lean routes (bot/web/lean_routes.py): views over werkzeug's
Request and Response, answered in front of Flask's dispatch.
"""
from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any
from urllib.parse import parse_qsl

from twilio.request_validator import (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator, compare,
                                      get_signature_algorithm)
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Request, Response

from ..members import MemberError, normalise_number
from ..pipeline import Inbound
from ..store.base import StoreConflict
from ..web import accept
from ..web.lean_routes import lean_route
from .twilio_sender import OPTED_OUT, twilio_senders

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
UNREACHABLE = {"30003", "30005", "30006"}  # handset off/unknown number/landline or carrier gone
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# Twilio's delivery statuses we keep, by how far along they are. An earlier one
# arriving late (callbacks are not ordered) never overwrites a later one, and
# 'queued'/'sending' are never written: in the outbox they mean "send this".
PROGRESS = {"sent": 1, "delivered": 2, "read": 3, "partially_delivered": 3,
            "undelivered": 4, "failed": 4, "canceled": 4}


def _store_errors() -> tuple:
    """What the pipeline raises when the store does not answer (-> 503, Twilio retries)."""
    # contact lock not got; SQLite locked/unreadable; a commit that kept meeting others' writes (nothing written)
    errors: list = [TimeoutError, sqlite3.OperationalError, StoreConflict]
    try:
        import redis.exceptions as rex

        errors += [rex.ConnectionError, rex.TimeoutError]
    except ImportError:  # the embedded profile does not need redis installed
        pass
    return tuple(errors)


STORE_DOWN = _store_errors()


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def signed_url(req, rt) -> str:
    """The URL Twilio signed: PUBLIC_URL + the path (and query) when PUBLIC_URL is set."""
    public = rt.cfg.public_url
    if not public:
        return req.url
    query = req.query_string.decode("latin-1")
    return public.rstrip("/") + req.path + (f"?{query}" if query else "")


class TwilioForm(ImmutableMultiDict):
    """The POST's fields, with the ``getall`` twilio's RequestValidator asks
    for first (werkzeug's is ``getlist``: without it the validator catches an
    AttributeError for every field it signs)."""

    getall = ImmutableMultiDict.getlist


def _form(req) -> ImmutableMultiDict:
    """The POST's fields. Twilio's urlencoded bodies are parsed here as
    werkzeug's form parser parses them (``parse_qsl``, blank values kept),
    from the body read once within MAX_CONTENT_LENGTH (413 past it): werkzeug
    spends ~45 µs a request setting up streams and a parser around the ~10 µs
    of parsing, a tenth of what the whole webhook costs. Other bodies go
    through ``req.form``."""
    if req.mimetype != "application/x-www-form-urlencoded":
        return TwilioForm(req.form.items(multi=True))
    body = req.get_data(cache=True).decode("utf-8", "replace")
    return TwilioForm(parse_qsl(body, keep_blank_values=True, errors="replace"))


def _signature_ok(req, rt, form) -> bool:
    token = rt.cfg.twilio_auth_token
    headers = req.headers
    signature = headers.get(SIGNATURE_HEADER)
    if not token or not signature:
        return False
    algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER))
    url, validator = signed_url(req, rt), RequestValidator(token)
    try:
        # The URL exactly as Twilio signed it, first: one HMAC for a genuine
        # request. Only a mismatch (or a JSON body's bodySHA256) goes through
        # validate(), which also tries the URL with and without its port.
        if "bodySHA256" not in url and compare(validator.compute_signature(url, form, algorithm), signature):
            return True
        return validator.validate(url, form, signature, algorithm)
    except ValueError:  # an algorithm twilio does not know
        return False


def parse_address(raw: str | None, region: str) -> tuple[str, bool] | None:
    """(E.164 number, is WhatsApp) from Twilio's From/To, or None when it is no number."""
    raw = (raw or "").strip()
    whatsapp = raw.lower().startswith("whatsapp:")
    if whatsapp:
        raw = raw[len("whatsapp:"):].strip()
    if not raw:
        return None
    try:
        return normalise_number(raw, region), whatsapp
    except MemberError:
        # A number newer than phonenumbers' tables still comes in E.164 from Twilio.
        return (raw, whatsapp) if E164.match(raw) else None


def inbound(req: Request, rt) -> Response:
    form = _form(req)
    if not _signature_ok(req, rt, form):
        return _plain("forbidden: bad or missing X-Twilio-Signature", 403)
    sid, sender, body = form.get("MessageSid"), form.get("From"), form.get("Body")
    if not sid or not sender or body is None:
        return _plain("MessageSid, From and Body are required", 400)
    address = parse_address(sender, rt.cfg.default_region)
    if address is None:
        return _plain("From is not a phone number", 400)
    number, whatsapp = address
    meta: dict[str, Any] = {"provider": "twilio"}
    if form.get("NumMedia") not in (None, "", "0"):
        meta["num_media"] = form.get("NumMedia")
    msg = Inbound("whatsapp" if whatsapp else "sms", sid, number, body, meta)
    try:
        accept(msg, rt)
    except STORE_DOWN as exc:
        log.warning("store unavailable for a Twilio message: %s", type(exc).__name__)
        return _plain("store unavailable, try again", 503)
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


def _find_sent(store, number: str, sid: str) -> dict | None:
    for row in reversed(store.list_outbound(to=number)):
        if row.get("provider_id") == sid or sid in (row.get("provider_ids") or ()):
            return row
    return None


def status(req: Request, rt) -> Response:
    form = _form(req)
    if not _signature_ok(req, rt, form):
        return _plain("forbidden: bad or missing X-Twilio-Signature", 403)
    sid = form.get("MessageSid") or ""
    state = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    error_code = (form.get("ErrorCode") or "").strip() or None
    if not sid or not state:
        return _plain("MessageSid and MessageStatus are required", 400)
    address = parse_address(form.get("To"), rt.cfg.default_region)
    if address is None:
        return _plain("To is not a phone number", 400)
    number, whatsapp = address
    try:
        _apply_status(rt, number, sid, state, error_code, "whatsapp" if whatsapp else "sms")
    except STORE_DOWN as exc:
        log.warning("store unavailable for a Twilio status callback: %s", type(exc).__name__)
        return _plain("store unavailable, try again", 503)
    return Response(status=204)


def _apply_status(rt, number: str, sid: str, state: str, error_code: str | None, channel: str) -> None:
    store = rt.store
    now = rt.pipeline.clock()
    row = _find_sent(store, number, sid)
    if row is not None and state in PROGRESS and PROGRESS[state] > PROGRESS.get(row.get("status"), 0):
        fields = {"error_code": error_code} if error_code else {}
        store.mark_outbound(row["id"], state, now, **fields)
    if error_code == str(OPTED_OUT):
        # The person replied STOP to Twilio itself: honour it here as well,
        # labelled like the outbox worker does for the same code from the API
        # (someone already opted out keeps their own reason).
        with store.contact_lock(number, timeout=rt.pipeline.lock_timeout):  # not over a STOP being handled
            contact = store.get_contact(number)
            if not (contact and contact.get("opted_out")):
                store.upsert_contact(number, opted_out=True, opted_out_by=f"{channel}:{error_code}")
        store.audit({"at": now, "contact": number, "what": "twilio.opted_out", "code": error_code, "message": sid})
    elif error_code in UNREACHABLE and (row is not None or store.get_contact(number) is not None):
        store.upsert_contact(number, unreachable={"code": error_code, "at": now.isoformat()})
        store.audit({"at": now, "contact": number, "what": "twilio.unreachable", "code": error_code, "message": sid})
    elif row is not None and state == "delivered":
        contact = store.get_contact(number)
        if contact and contact.get("unreachable"):
            store.upsert_contact(number, unreachable=None)  # reachable again


def init_app(app, runtime) -> None:
    # Lean routes (bot/web/lean_routes.py): Twilio calls these once for every
    # message in and every status of a message out.
    lean_route(app, "/sms/twilio", inbound)
    lean_route(app, "/sms/twilio/status", status)


def senders(cfg) -> dict:
    return twilio_senders(cfg)
