"""Sending SMS and WhatsApp messages through Twilio's REST API (twilio.rest.Client).

The outbox worker calls :meth:`TwilioSender.send` with one outbox row; this
module renders it (numbered choices under the prompt, accents folded when the
row's language asks for it), splits it into Bodies of at most 1600 characters
and maps Twilio's answers onto the outbox's errors:

* 429 / code 20429, 5xx, network errors -> TransientSendError (retried);
* any other 4xx -> PermanentSendError with Twilio's code; 21610 (the person
  replied STOP to Twilio itself) carries ``opt_out=True``: the outbox worker
  marks the contact opted out, so nothing is tried again.

The sender holds no store: what it learns goes back to the worker on the
error (``opt_out``, and ``fields`` such as the ``provider_ids`` of the parts
of a long text already sent, saved on the row for the retry).

``TWILIO_API_URL`` points the real client at another server (a local fake in
the tests, a proxy in some deployments): every request's scheme and host are
replaced, after twilio has applied TWILIO_REGION / TWILIO_EDGE, so neither can
send that traffic anywhere else.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

import requests
import yaml
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..engine.render import sms_text
from ..engine.segments import count, fold_for_sms
from ..outbox import PermanentSendError, SendResult, TransientSendError
from .sms_split import TWILIO_BODY_MAX, split_text

OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
RATE_LIMITED = 20429
REQUEST_TIMEOUT = 15.0  # seconds; a hung provider must not hold the worker forever


class ApiUrlHttpClient(TwilioHttpClient):
    """twilio's own requests-based client, optionally re-aimed at ``api_url``,
    remembering each thread's last response headers (Retry-After)."""

    def __init__(self, api_url: str = "", timeout: float = REQUEST_TIMEOUT):
        super().__init__(timeout=timeout)
        self.base = urlsplit(api_url) if api_url else None
        self._last = threading.local()
        if self.base is not None and self.session is not None:
            # The local/test server is reached directly: no HTTP(S)_PROXY from the environment.
            self.session.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):
        if self.base is not None:
            parts = urlsplit(url)
            url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path.rstrip("/") + parts.path,
                              parts.query, parts.fragment))
        self._last.headers = {}
        response = super().request(method, url, *args, **kwargs)
        self._last.headers = dict(response.headers or {})
        return response

    def retry_after(self, now: datetime | None = None) -> float | None:
        """Seconds from the last response's Retry-After header (seconds or HTTP date)."""
        headers = {k.lower(): v for k, v in (getattr(self._last, "headers", None) or {}).items()}
        raw = str(headers.get("retry-after") or "").strip()
        if not raw:
            return None
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def fold_langs(locales_dir: str | Path) -> frozenset:
    """Languages whose locale file sets ``settings.sms_fold_accents: true``.

    The engine leaves texts as written; folding is an SMS rendering choice
    (the simulator and lint apply the same setting)."""
    out = set()
    for path in sorted(Path(locales_dir).glob("*.yaml")):
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        settings = tree.get("settings") if isinstance(tree, dict) else None
        if isinstance(settings, dict) and settings.get("sms_fold_accents") is True:
            out.add(path.stem)
    return frozenset(out)


def _mps(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 1.0
    return value if value > 0 else 1.0


class TwilioSender:
    """One sender for both channels: ``sms`` and ``whatsapp`` rows."""

    def __init__(self, cfg: Any, client: Client | None = None):
        self.cfg = cfg
        self.http = ApiUrlHttpClient(cfg.twilio_api_url)
        self.client = client or Client(cfg.twilio_account_sid, cfg.twilio_auth_token, http_client=self.http)
        if cfg.twilio_api_url:
            # Every request goes to TWILIO_API_URL whatever the environment says.
            self.client.region = None
            self.client.edge = None
        self.fold = fold_langs(cfg.locales_dir)
        self.interval = 1.0 / _mps(cfg.twilio_mps)

    # ------------------------------------------------------------ addressing
    def _from(self, whatsapp: bool) -> dict:
        cfg = self.cfg
        if whatsapp:
            number = cfg.twilio_whatsapp_from or cfg.twilio_from
            if number:
                return {"from_": number if number.startswith("whatsapp:") else f"whatsapp:{number}"}
        elif cfg.twilio_from:
            return {"from_": cfg.twilio_from}
        return {"messaging_service_sid": cfg.twilio_messaging_service_sid}

    def pacing(self, msg: Mapping[str, Any]) -> list:
        frm = self._from(msg.get("channel") == "whatsapp")
        sender = frm.get("from_") or frm.get("messaging_service_sid")
        return [(f"twilio:{sender}", self.interval, 1)]

    def render(self, msg: Mapping[str, Any]) -> str:
        text = sms_text(msg.get("text") or "", [tuple(c) for c in msg.get("choices") or ()])
        lang = msg.get("lang") or self.cfg.default_lang
        if msg.get("channel") != "whatsapp" and lang in self.fold:
            text = fold_for_sms(text)
        return text

    # ------------------------------------------------------------ sending
    def send(self, msg: Mapping[str, Any]) -> SendResult:
        whatsapp = msg.get("channel") == "whatsapp"
        to = str(msg["to"])
        parts = split_text(self.render(msg), TWILIO_BODY_MAX)
        kwargs: dict = {"to": f"whatsapp:{to}" if whatsapp else to, **self._from(whatsapp)}
        if self.cfg.public_url:
            kwargs["status_callback"] = self.cfg.public_url.rstrip("/") + "/sms/twilio/status"
        # A retry after a later part failed resends only what is still missing:
        # the sids of the parts sent ride on the error and are saved on the row.
        sids = list(msg.get("provider_ids") or [])[: len(parts)]
        for index in range(len(sids), len(parts)):
            try:
                created = self.client.messages.create(body=parts[index], **kwargs)
            except Exception as exc:
                progress = {"provider_ids": list(sids), "provider_id": sids[0]} if sids else {}
                raise self._error(exc, progress) from exc
            sids.append(created.sid)
        segments = sum(count(p).segments for p in parts) if not whatsapp else len(parts)
        return SendResult("sent", provider_id=sids[0],
                          fields={"segments": segments, "parts": len(parts), "provider_ids": sids})

    def _error(self, exc: Exception, progress: dict) -> Exception:
        """The outbox error for what Twilio (or the network) answered, carrying
        ``progress`` (the parts already sent) to be saved on the row."""
        if isinstance(exc, (TransientSendError, PermanentSendError)):
            exc.fields = {**progress, **exc.fields}
            return exc
        if isinstance(exc, requests.RequestException):
            return TransientSendError(f"network: {type(exc).__name__}", fields=progress)
        status = getattr(exc, "status", None)
        code = getattr(exc, "code", None)
        if isinstance(exc, TwilioException) and isinstance(status, int):
            reason = str(getattr(exc, "msg", None) or getattr(exc, "title", None) or f"HTTP {status}")
            if status == 429 or code == RATE_LIMITED:
                return TransientSendError(f"rate limited: {reason}", retry_after=self.http.retry_after(),
                                          fields=progress)
            if status >= 500:
                return TransientSendError(f"HTTP {status}: {reason}", fields=progress)
            return PermanentSendError(reason, code=str(code if code is not None else status),
                                      opt_out=code == OPTED_OUT, fields=progress)
        if isinstance(exc, TwilioException):  # no HTTP status: the request never got an answer
            return TransientSendError(f"twilio: {type(exc).__name__}", fields=progress)
        if progress:  # a bug of ours after some parts went: retried like one, keeping what was sent
            return TransientSendError(f"{type(exc).__name__}: {exc}", fields=progress)
        return exc  # a bug of ours: the worker retries it and records it


def twilio_senders(cfg: Any) -> dict:
    """{"sms": sender, "whatsapp": sender} when the credentials and a sender are set, else {}."""
    if not (cfg.twilio_account_sid and cfg.twilio_auth_token
            and (cfg.twilio_from or cfg.twilio_messaging_service_sid)):
        return {}
    sender = TwilioSender(cfg)
    return {"sms": sender, "whatsapp": sender}
