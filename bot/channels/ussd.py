"""USSD through Africa's Talking: ``POST /ussd``, answered synchronously.

Africa's Talking posts ``sessionId``, ``serviceCode``, ``phoneNumber``,
``networkCode`` and ``text`` (everything typed this session, ``*``-joined, ""
on the first request) and shows our answer: ``CON …`` waits for more input,
``END …`` closes the session. The conversation is the same one the SMS line
has: each new input goes through the pipeline as
``Inbound("ussd", f"{sessionId}:{n}", number, input)`` and the replies it
queued for this number on the "ussd" channel are the screen.

How a request is read (``_Session.answer``):

* the first request (no record for the session yet) opens the main menu (a
  number the line does not know yet gets the engine's welcome instead);
* the same ``text`` as last time is the provider retrying: the stored screen
  again, no pipeline call;
* each input added to the history is, in order: ``98`` the next page and ``0``
  the previous page when the current screen offers them (no pipeline call);
  ``00`` home (the MENU keyword) always; anything else an answer to the flow
  (so ``0`` on a first page or ``98`` on a last one reaches the flow: no menu
  in flows/ numbers an option 0, 00 or 98, and a free-text question takes it);
  an empty input shows the screen again (never a wrong answer to the flow).
  A flow step cannot be undone, so "back" pages within a screen, never into
  an earlier question.

The screen of every session is a store record (``ussd.screen``, by sessionId)
holding its pages, so paging and retries need no pipeline call and any web
process can answer the next request. No network call happens on this path.

``USSD_SECRET``: when set, the callback URL must be ``/ussd?secret=<it>``.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from ..engine.model import WAITING_INPUT
from ..engine.render import ussd_text
from ..members import MemberError, normalise_number
from ..outbox import SendResult
from ..pipeline import Inbound
from .ussd_screens import BACK, HOME, NEXT, Labels, paginate, split_history

log = logging.getLogger(__name__)
KIND = "ussd.screen"
REQUIRED = ("sessionId", "serviceCode", "phoneNumber", "text")  # networkCode is kept when sent
MAX_SESSION_ID = 200
# Africa's Talking adds one input per request. More new inputs at once are a
# "*" typed inside an answer or a forged request: only the first few count.
MAX_NEW_INPUTS = 4

bp = Blueprint("ussd", __name__)


def init_app(app: Any, runtime: Any) -> None:
    app.register_blueprint(bp)


class ShownSender:
    """A USSD reply was already shown on the screen that answered the request."""

    def send(self, msg) -> SendResult:
        return SendResult("shown")


def senders(cfg: Any) -> dict:
    return {"ussd": ShownSender()}


@bp.post("/ussd")
def callback():
    rt = current_app.extensions["vecina"]
    secret = rt.cfg.ussd_secret
    if secret and not hmac.compare_digest(request.args.get("secret", "").encode(), secret.encode()):
        abort(403)
    form = request.form
    missing = [name for name in REQUIRED if name not in form]
    if missing:
        return _plain(f"missing form fields: {', '.join(missing)}", 400)
    session_id = form["sessionId"].strip()
    if not session_id or len(session_id) > MAX_SESSION_ID:
        return _plain("sessionId must be 1 to 200 characters", 400)
    try:
        number = normalise_number(form["phoneNumber"], rt.cfg.default_region)
    except MemberError as exc:
        return _plain(str(exc), 400)
    meta = {k: form[k] for k in ("sessionId", "serviceCode", "networkCode") if k in form}
    session = _Session(rt, session_id, number, meta)
    try:
        return _plain(session.answer(form["text"]))
    except SessionMismatch:
        return _plain("sessionId belongs to another phoneNumber", 400)
    except Exception:  # a store outage: a closed screen beats the gateway's error
        log.exception("ussd session %s failed", session_id)
        return _plain("END " + session.text(None, "ussd.busy"))


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


class SessionMismatch(Exception):
    pass


def _digest(tokens: list[str]) -> str:
    return hashlib.sha256("*".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()


class _Session:
    """One USSD session's state: the inputs seen, the pages, the page shown."""

    def __init__(self, rt: Any, session_id: str, number: str, meta: dict):
        self.rt, self.id, self.number, self.meta = rt, session_id, number, meta
        self.catalog = rt.conductor.engine.catalog

    def text(self, lang: str | None, key: str) -> str:
        return self.catalog.text(lang, key)

    def answer(self, text: str) -> str:
        tokens = split_history(text)
        rec = self.rt.store.get_record(KIND, self.id)
        if rec is not None and rec.get("contact") != self.number:
            raise SessionMismatch()
        if rec is not None and rec["seen"] == len(tokens) and rec["digest"] == _digest(tokens):
            return self.render(rec)  # the provider retrying: the same screen
        if rec is None:
            # Opening the session. Inputs already in the history (its first
            # request never reached us) are not replayed: the home screen resyncs.
            rec = {"contact": self.number, "n": 0, "pages": [""], "page": 0, "end": False, "lang": None}
            rec = self.step(rec, self.opening_text())
            new: list[str] = []
        elif len(tokens) > rec["seen"] and _digest(tokens[:rec["seen"]]) == rec["digest"]:
            new = tokens[rec["seen"]:]
        else:  # the history changed under us: only its latest input counts
            new = tokens[-1:]
        for token in new[:MAX_NEW_INPUTS]:
            rec = self.apply(rec, token)
        rec.update(seen=len(tokens), digest=_digest(tokens), at=self.rt.now().isoformat())
        self.rt.store.put_record(KIND, self.id, rec)
        return self.render(rec)

    def render(self, rec: dict) -> str:
        page, pages = rec["page"], rec["pages"]
        more = page < len(pages) - 1
        return f"{'CON' if more or not rec['end'] else 'END'} {pages[page]}"

    def apply(self, rec: dict, token: str) -> dict:
        word = token.strip()
        if not word:  # send pressed on nothing: this screen again, not a wrong answer
            return rec
        if word == NEXT and rec["page"] < len(rec["pages"]) - 1:
            return {**rec, "page": rec["page"] + 1}
        if word == BACK and rec["page"] > 0:
            return {**rec, "page": rec["page"] - 1}
        if word == HOME:
            return self.step(rec, self.menu_word(rec.get("lang")))
        return self.step(rec, token)

    def opening_text(self) -> str:
        contact = self.rt.store.get_contact(self.number)
        if not contact or not contact.get("lang"):
            return ""  # the engine's first message: it onboards a new number
        return self.menu_word(contact["lang"])

    def menu_word(self, lang: str | None) -> str:
        words = self.catalog.words(self.catalog.lang_for(lang), "keywords.menu")
        return words[0] if words else "MENU"

    def step(self, rec: dict, text: str) -> dict:
        """One input through the pipeline; the screen is what it queued for us."""
        pid = f"{self.id}:{rec['n']}"
        accepted = self.rt.pipeline.inbound(Inbound("ussd", pid, self.number, text, dict(self.meta)))
        rows = [m for m in accepted.sent if m.get("to") == self.number and m.get("channel") == "ussd"]
        if not rows and accepted.duplicate:
            rows = self.last_shown()  # done before a crash lost its screen
        after = accepted.after
        if after is None:  # a repeat: nothing ran, so read how the last step left them
            contact = self.rt.store.get_contact(self.number) or {}
            session = self.rt.store.get_session(self.number)
            after = {"lang": contact.get("lang"), "opted_out": contact.get("opted_out"),
                     "status": session.status if session is not None else None}
        lang = after.get("lang")
        # a message that closes the screen (the crisis line: the phone must be free to call)
        waiting = after.get("status") == WAITING_INPUT and not any(m.get("close_screen") for m in rows)
        body = "\n".join(ussd_text(m.get("text") or "", [tuple(c) for c in m.get("choices") or ()]) for m in rows)
        if not body.strip():
            if after.get("opted_out"):
                body, waiting = self.text(lang, "ussd.opted_out"), True  # START is the one way back
            else:
                body = self.text(lang, "ussd.nothing" if waiting else "ussd.goodbye")
        labels = Labels(self.text(lang, "ussd.more"), self.text(lang, "ussd.back"), self.text(lang, "ussd.home"))
        pages = paginate(body, labels, final=not waiting)
        return {**rec, "n": rec["n"] + 1, "pages": pages, "page": 0, "end": not waiting, "lang": lang}

    def last_shown(self) -> list[dict]:
        """The messages of this number's latest USSD step (one step shares a time)."""
        rows = [m for m in self.rt.store.list_outbound(to=self.number) if m.get("channel") == "ussd"]
        if not rows:
            return []
        latest = max(m["created_at"] for m in rows)
        return [m for m in rows if m["created_at"] == latest]
