"""``/simulator``: a phone on a web page, talking to the live line.

What is typed goes through the same entry point as a real text
(:func:`bot.web.accept` with an :class:`~bot.pipeline.Inbound` on the "sim"
channel), so flows, keywords, locks, the store and the outbox all run for
real. Contacts the simulator sets up get ``channel: "sim"``, so what the line
sends them is recorded, never sent to a real phone. The page polls
``/simulator/feed.json`` for every outbox row (to anyone; a real member's
number masked, as they cannot be played), rendered for each
channel: SMS text (with its segment count), USSD screens (paged, at most 182
characters each) and Telegram (text plus buttons).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, jsonify, render_template, request

from ..channels.ussd_screens import Labels, paginate
from ..engine.render import sms_text, ussd_text
from ..engine.segments import count, fold_for_sms
from ..members import LANGS, MemberError, normalise_number
from ..pipeline import Inbound
from ..store.contacts import ROLES
from . import accept
from .auth import guard, simulator_open
from .common import jsonable, mask, rt

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
guard(bp, open_when=simulator_open)

CHANNELS = ("sms", "ussd", "telegram")
DEFAULT_NUMBER = "+14155550100"
FEED_LIMIT = 300
TEXT_MAX = 1600


class BadInput(ValueError):
    pass


def parse_number(raw: Any) -> str:
    text = str(raw or "").strip()
    if text.startswith("tg:") and text[3:].lstrip("-").isdigit():
        return text
    try:
        return normalise_number(text, rt().cfg.default_region)
    except MemberError as exc:
        raise BadInput(str(exc)) from None


def render(msg: dict) -> dict:
    """One outbox row as each channel would show it."""
    choices = [tuple(c) for c in msg.get("choices") or ()]
    text = msg.get("text") or ""
    catalog, lang = rt().flows.engine().catalog, msg.get("lang")
    sms = sms_text(text, choices)
    if catalog.raw(lang, "settings.sms_fold_accents") is True:
        sms = fold_for_sms(sms)
    info = count(sms)
    final = not choices
    nav = [catalog.text(lang, f"ussd.{k}") if catalog.has(catalog.lang_for(lang), f"ussd.{k}") else d
           for k, d in (("more", "More"), ("back", "Back"), ("home", "Home"))]
    pages = paginate(ussd_text(text, choices), Labels(*nav), final=final)
    screens = [("END " if final and i == len(pages) - 1 else "CON ") + p for i, p in enumerate(pages)]
    return {"id": msg.get("id"), "to": msg.get("to"), "key": msg.get("key"), "lang": msg.get("lang"),
            "channel": msg.get("channel"), "status": msg.get("status"), "error": msg.get("error"),
            "created_at": jsonable(msg.get("created_at")), "ts": _ms(msg.get("created_at")), "text": text,
            "choices": [list(c) for c in choices],
            "sms": sms, "segments": info.segments, "encoding": info.encoding, "ussd": screens}


def _ms(value: Any) -> float:
    """Milliseconds since the epoch (what the page sorts a chat by)."""
    return value.timestamp() * 1000 if isinstance(value, datetime) else 0.0


def _payload() -> dict:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict(flat=True)
    return data if isinstance(data, dict) else {}


def _error(message: str, status: int = 400):
    return jsonify(ok=False, error=message), status


@bp.get("")
def page():
    number = request.args.get("number") or DEFAULT_NUMBER
    try:
        number = parse_number(number)
    except BadInput:
        number = DEFAULT_NUMBER
    channel = request.args.get("channel") if request.args.get("channel") in CHANNELS else "sms"
    contact = rt().store.get_contact(number) or {}
    return render_template("simulator.html", number=number, channel=channel, contact=contact, roles=ROLES,
                           langs=LANGS, channels=CHANNELS)


REAL_MEMBER = ("that number is a real member's: playing it here would send as them and keep the line's "
               "texts to them from their phone; pick a number the simulator set up, or a new one")


def playable(contact: dict | None) -> bool:
    """A number the simulator may play: new, or one it set up itself. A real
    member's number never: a simulated text would act in their name, and the
    line's texts to them would go to the simulator instead of their phone."""
    return contact is None or contact.get("channel") == "sim"


@bp.post("/contact")
def set_contact():
    """Who the phone is: upsert the contact with its roles and language."""
    data = _payload()
    try:
        number = parse_number(data.get("number"))
    except BadInput as exc:
        return _error(str(exc))
    roles = (data.get("roles") or []) if request.is_json else request.form.getlist("roles")
    if isinstance(roles, str):
        roles = roles.replace(",", " ").split()
    if not isinstance(roles, list):
        return _error("roles must be a list")
    roles = [str(r) for r in roles]
    bad = [r for r in roles if r not in ROLES]
    if bad:
        return _error(f"unknown role {bad[0]!r}")
    lang = str(data.get("lang") or "")
    if lang and lang not in LANGS:
        return _error(f"unknown language {lang!r}")
    with rt().store.transaction() as tx:
        existing = tx.get_contact(number)
        if not playable(existing):
            return _error(REAL_MEMBER)
        extra = {"created_at": datetime.now(timezone.utc)} if existing is None else {}
        contact = tx.upsert_contact(number, roles=sorted(set(roles)), lang=lang or None, channel="sim", **extra)
    return jsonify(ok=True, contact=jsonable(contact))


@bp.post("/send")
def send():
    data = _payload()
    try:
        number = parse_number(data.get("number"))
    except BadInput as exc:
        return _error(str(exc))
    text = str(data.get("text") or "")
    if not text.strip() or len(text) > TEXT_MAX:
        return _error(f"type a message (1 to {TEXT_MAX} characters)")
    existing = rt().store.get_contact(number)
    if not playable(existing):
        return _error(REAL_MEMBER)
    if existing is None:
        rt().store.upsert_contact(number, channel="sim", created_at=datetime.now(timezone.utc))
    at = datetime.now(timezone.utc)
    result = accept(Inbound("sim", f"sim-{uuid.uuid4().hex}", number, text))
    return jsonify(ok=True, at=at.isoformat(), ts=_ms(at), duplicate=result.duplicate,
                   sent=[render(m) for m in result.sent])


@bp.get("/feed.json")
def feed():
    """Every message the line sent lately, grouped per recipient, newest last."""
    store = rt().store
    rows = store.list_outbound(limit=FEED_LIMIT)
    groups: dict[str, list] = {}
    for msg in rows:
        groups.setdefault(msg["to"], []).append(render(msg))
    people = []
    for to, messages in groups.items():
        contact = store.get_contact(to)
        can_play = playable(contact)
        if not can_play:  # a real member: they cannot be played here, and their number is not shown
            to = mask(to)
            messages = [{**m, "to": to} for m in messages]
        contact = contact or {}
        people.append({"to": to, "playable": can_play, "name": contact.get("name"), "roles": contact.get("roles") or [],
                       "lang": contact.get("lang"), "messages": messages})
    people.sort(key=lambda p: p["messages"][-1]["ts"])
    return jsonify(ok=True, people=people)
