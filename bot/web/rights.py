"""``/admin/rights``: a member's data rights — export everything, or erase.

Export (JSON): the contact record, the session, the messages the store still
holds (their texts: ``store.inbound_log``; the outbox rows to them), every record
with a top-level field equal to their number, and audit entries mentioning them;
any other member's number in them reads ``[another member]``.

Erase keeps only what the ledger and the audit must keep, anonymised:

* ``ledger.*`` records and audit entries stay, with the number replaced by a
  stable pseudonymous token (an HMAC of the number under a key kept in the
  store, so the same member always gets the same token and the token cannot
  be turned back into the number without that key);
* every other record with a top-level field equal to the number is deleted;
  records that only mention the number deeper (another parent's request
  listing them among the helpers asked) keep the token in its place;
* records that hang off a deleted one (``THREADS``: a deleted peer post's
  replies and the person's write-backs to volunteers, a deleted cleaning
  job's tasks and notes, a deleted childcare request's answers) go too: they
  hold texts the member wrote or that were written to them, and nothing can
  reach them once their parent is gone. One exception: a volunteer's reply to
  the member's post stays, its text erased as the retention job erases old
  texts (``text: ""``, ``erased: true``), so the volunteer's tally still counts it;
* other members' sessions that saved the number get the token;
* the contact, session, timers, inbound log and outbox rows go
  (``store.forget_contact``); record claims and audit entries keep the token.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from ..engine.model import Session
from ..members import MemberError, normalise_number
from ..store.base import pseudonymise
from .auth import guard
from .common import jsonable, mask, mentions, rt
from .i18n import t

bp = Blueprint("rights", __name__, url_prefix="/admin/rights")
guard(bp)

KEY_KIND, KEY_ID = "rights.key", "erasure"
KEPT_PREFIXES = ("ledger.",)  # kinds the accounts must keep (anonymised)
# (kind, field naming its parent, parent kind): records that live inside another
THREADS = (
    ("peer.reply", "post", "peer.post"),
    ("peer.ask", "post", "peer.post"),
    ("cleaning.task", "job", "cleaning.job"),
    ("cleaning.note", "job", "cleaning.job"),
    ("cleaning.visit", "job", "cleaning.job"),
    ("childcare.answer", "request", "childcare.request"),
    ("childcare.claimed", "id", "childcare.request"),
    ("childcare.held", "id", "childcare.request"),
)


def _number(raw: str) -> str:
    raw = (raw or "").strip()
    if raw.startswith("tg:") and raw[3:].lstrip("-").isdigit():
        return raw
    return normalise_number(raw, rt().cfg.default_region)


def their_records(store: Any, number: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for kind in store.record_kinds():
        if kind == KEY_KIND:
            continue
        rows = [r for r in store.find_records(kind) if any(v == number for v in r.values())]
        if rows:
            out[kind] = rows
    return out


# a member's number or Telegram id inside any text or field of an export
_ADDRESS = re.compile(r"(?:\+|tg:)\d{6,15}")
ANOTHER = "[another member]"


def others_hidden(value: Any, number: str) -> Any:
    """``value`` with every number but ``number`` replaced: a shared record (a
    cleaning job, a childcare request) names the other member too, and no
    member ever sees another's number."""
    if isinstance(value, str):
        return _ADDRESS.sub(lambda m: m.group(0) if m.group(0) == number else ANOTHER, value)
    if isinstance(value, dict):
        return {others_hidden(k, number): others_hidden(v, number) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [others_hidden(v, number) for v in value]
    return value


def export(store: Any, number: str) -> dict:
    session = store.get_session(number)
    return jsonable(others_hidden({
        "number": number,
        "exported_at": datetime.now(timezone.utc),
        "contact": store.get_contact(number),
        "session": session.to_dict() if session else None,
        "inbound": store.inbound_log(number),
        "outbound": store.list_outbound(to=number, limit=100000),  # "by" names whoever's step sent it
        "records": their_records(store, number),
        "audit": [e for e in store.audit_entries() if mentions(e, number)],
    }, number))


def token_for(store: Any, number: str) -> str:
    rec = store.get_record(KEY_KIND, KEY_ID)
    if rec is None:
        rec = {"id": KEY_ID, "key": secrets.token_hex(32)}
        store.put_record(KEY_KIND, KEY_ID, rec)
    digest = hmac.new(rec["key"].encode(), number.encode(), hashlib.sha256).hexdigest()
    return f"anon-{digest[:16]}"


def erase(store: Any, number: str) -> dict:
    """Erase ``number``; returns what happened (counts and the token)."""
    token = token_for(store, number)
    done = {"token": token, "deleted": 0, "anonymised": 0, "texts_erased": 0, "skipped": 0}
    gone: dict[str, set[str]] = {}  # kind -> ids of the member's records deleted here
    for kind in store.record_kinds():
        if kind == KEY_KIND:
            continue
        for rec in store.find_records(kind):
            if not mentions(rec, number):
                continue
            rid = rec.get("id")
            if rid is None:  # a record without its id inside cannot be addressed
                done["skipped"] += 1
                continue
            theirs = any(v == number for v in rec.values())
            if theirs and not kind.startswith(KEPT_PREFIXES):
                done["deleted"] += store.delete_record(kind, str(rid))
                gone.setdefault(kind, set()).add(str(rid))
            else:
                if str(rid) == number:  # kept under the number itself: move it to the token
                    store.delete_record(kind, str(rid))
                    rid = token
                store.put_record(kind, str(rid), pseudonymise(rec, number, token))
                done["anonymised"] += 1
    _erase_threads(store, gone, done)
    for other in store.list_contacts():  # others' conversations that hold the number (a saved answer)
        if other["id"] != number:
            done["anonymised"] += _scrub_session(store, other["id"], number, token)
    with store.contact_lock(number):  # their own step, if one runs, finishes first
        store.forget_contact(number, token)
    store.audit({"at": datetime.now(timezone.utc), "contact": token, "what": "member.erased", "by": "admin",
                 "data": {k: v for k, v in done.items() if k != "token"}})
    return done


def _erase_threads(store: Any, gone: dict[str, set[str]], done: dict) -> None:
    """What hung off the records just deleted (see ``THREADS``)."""
    for kind, link, parent in THREADS:
        parents = gone.get(parent)
        if not parents:
            continue
        for rec in store.find_records(kind):
            rid = rec.get("id")
            if rid is None or str(rec.get(link)) not in parents:
                continue
            if kind == "peer.reply" and rec.get("by") == "peer":  # a volunteer's own reply: kept for their tally
                if rec.get("text"):
                    store.put_record(kind, str(rid), {**rec, "text": "", "erased": True})
                    done["texts_erased"] += 1
                continue
            done["deleted"] += store.delete_record(kind, str(rid))


def _scrub_session(store: Any, contact_id: str, number: str, token: str) -> int:
    session = store.get_session(contact_id)
    if session is None or not mentions(session.to_dict(), number):
        return 0
    with store.contact_lock(contact_id):  # not in the middle of one of their steps
        with store.transaction() as tx:
            session = tx.get_session(contact_id)
            if session is None:
                return 0
            tx.save_session(Session.from_dict(pseudonymise(session.to_dict(), number, token)))
    return 1


@bp.get("")
def page():
    return render_template("admin_rights.html")


@bp.post("/export")
def export_view():
    try:
        number = _number(request.form.get("number", ""))
    except MemberError as exc:
        flash(str(exc), "error")
        return redirect(url_for("rights.page"), 303)
    body = json.dumps(export(rt().store, number), ensure_ascii=False, indent=2)
    name = "member-" + hashlib.sha256(number.encode()).hexdigest()[:8] + ".json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/erase")
def erase_view():
    try:
        number = _number(request.form.get("number", ""))
    except MemberError as exc:
        flash(str(exc), "error")
        return redirect(url_for("rights.page"), 303)
    try:
        confirm = _number(request.form.get("confirm", ""))
    except MemberError:
        confirm = None
    if confirm != number:
        flash(t("rights.confirm_again"), "error")
        return redirect(url_for("rights.page"), 303)
    done = erase(rt().store, number)
    flash(t("rights.erased", number=mask(number), deleted=done["deleted"], anonymised=done["anonymised"],
            token=done["token"]), "ok")
    return redirect(url_for("rights.page"), 303)
