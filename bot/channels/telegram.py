"""Telegram: ``POST /telegram/webhook`` in, python-telegram-bot's Bot out
(bot/channels/telegram_sender.py).

The webhook, in order:

1. the ``X-Telegram-Bot-Api-Secret-Token`` header must equal
   TELEGRAM_SECRET_TOKEN (constant-time compare); no token configured means
   every request is refused: 403;
2. a body over 64 KB is 413; one that is not a JSON object, or that PTB's
   ``Update.de_json`` cannot read, is 400 (never 500: Telegram would retry it
   forever);
3. a text message (or a button press) in a private chat becomes one
   ``Inbound("telegram", str(update_id), "tg:<chat_id>", text)``; the
   pipeline's idempotent inbound log drops Telegram's retries of an update;
4. anything else (edits, stickers, group chats, polls…) is answered 200 and
   ignored, so Telegram stops sending it;
5. the store not answering is 503, so Telegram retries later.

Button presses: the button's ``callback_data`` (the choice number) is the
text. The press must be acknowledged (answerCallbackQuery) or the person's
app shows a spinner; we do it in the HTTP answer to the webhook itself, which
the Bot API allows ("making requests when getting updates"): no network call
from the web process, no outbox row, and a lost answer is repeated with
Telegram's retry of the same update.

Blocking: a send refused with "bot was blocked by the user" makes the outbox
worker mark the contact opted out with ``opted_out_by: "telegram:blocked"``
(bot.outbox). Telegram only lets them write again once they unblock, so a
message from such a contact (or a ``my_chat_member`` update saying the bot is
a member again) lifts that opt-out, and only that one: a STOP they texted has
no ``opted_out_by`` (or another provider's) and is never lifted here. A
``my_chat_member`` "kicked" (blocked) marks them at once, the same way.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from telegram import Update

from ..pipeline import Inbound

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BLOCKED = "telegram:blocked"  # opted_out_by of a contact who blocked the bot (bot.outbox: "<channel>:<code>")


def init_app(app: Any, runtime: Any) -> None:
    bp = Blueprint("telegram", __name__)

    @bp.post("/telegram/webhook")
    def webhook():
        return handle(runtime, request)

    app.register_blueprint(bp)


def senders(cfg: Any) -> dict:
    if not cfg.telegram_bot_token:
        return {}
    from .telegram_sender import TelegramSender

    return {"telegram": TelegramSender(cfg.telegram_bot_token, cfg.telegram_api_url)}


def _blocked(rec: dict | None) -> bool:
    """Opted out because they blocked the bot (not by a STOP of their own).
    ``telegram_blocked`` is how records written before ``opted_out_by`` say it."""
    return bool(rec and rec.get("opted_out") and (rec.get("opted_out_by") == BLOCKED or rec.get("telegram_blocked")))


def _set_blocked(rt: Any, contact: str, blocked: bool) -> None:
    """Block: opt out as "telegram:blocked" unless already opted out (a STOP
    keeps its reason). Unblock: lift only that opt-out. Under the contact's
    lock so a STOP being handled at the same moment is never overwritten."""
    with rt.store.contact_lock(contact, timeout=rt.pipeline.lock_timeout):
        rec = rt.store.get_contact(contact)
        if rec is None:
            return
        if blocked and not rec.get("opted_out"):
            rt.store.upsert_contact(contact, opted_out=True, opted_out_by=BLOCKED)
        elif not blocked and _blocked(rec):
            rt.store.upsert_contact(contact, opted_out=False, opted_out_by=None, telegram_blocked=None)


def _secret_ok(given: str | None, expected: str) -> bool:
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def _empty(status: int) -> Response:
    return Response(status=status)


def handle(rt: Any, req: Any) -> Response:
    if not _secret_ok(req.headers.get(SECRET_HEADER), rt.cfg.telegram_secret_token):
        return _empty(403)
    if (req.content_length or 0) > MAX_BODY:
        return _empty(413)
    try:
        body = req.get_data(cache=False)
    except Exception as exc:  # werkzeug's own limit on a body without Content-Length
        code = getattr(exc, "code", None)
        return _empty(413 if code == 413 else 400)
    if len(body) > MAX_BODY:
        return _empty(413)
    update = parse(body)
    if update is None:
        return _empty(400)
    try:
        return dispatch(rt, update)
    except Exception:
        # The store (or the lock) did not answer: Telegram retries a non-2xx
        # answer, and the update_id makes the retry safe.
        log.exception("telegram update %s not handled", update.update_id)
        return _empty(503)


def parse(body: bytes) -> Update | None:
    """The update, or None when the body is not one Telegram could have sent."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    try:
        update = Update.de_json(data, None)
    except Exception:  # whatever PTB raises on a malformed object is the sender's fault: 400
        return None
    return update


def _private_chat(chat: Any) -> int | None:
    if chat is None or getattr(chat, "type", None) != "private" or type(getattr(chat, "id", None)) is not int:
        return None
    return chat.id


def dispatch(rt: Any, update: Update) -> Response:
    if update.my_chat_member is not None:
        return member_change(rt, update)
    query = update.callback_query
    if query is not None:
        message = query.message
        chat_id = _private_chat(getattr(message, "chat", None)) if message is not None else None
        ack = jsonify(method="answerCallbackQuery", callback_query_id=str(query.id))
        if chat_id is None or not isinstance(query.data, str) or not query.data:
            return ack  # a press we cannot route is still acknowledged
        accept(rt, update, chat_id, query.data, {"callback": True})
        return ack
    message = update.message
    if message is None:
        return _empty(200)
    chat_id = _private_chat(message.chat)
    text = message.text if message.text is not None else message.caption
    if chat_id is None or not isinstance(text, str):
        return _empty(200)  # not a conversation we hold (group, sticker, photo without caption…)
    accept(rt, update, chat_id, command(rt, f"tg:{chat_id}", text), {"message_id": message.message_id})
    return _empty(200)


def command(rt: Any, contact: str, text: str) -> str:
    """Bot commands as the engine's keywords: ``/menu@VecinaBot`` -> ``/menu``
    (the engine ignores the slash). Telegram's ``/start`` (with or without a
    deep-link payload) is a newcomer's first hello: for someone the line does
    not know yet it is an empty first text, which gets the welcome, not the
    "welcome back" of the START keyword."""
    if not text.startswith("/"):
        return text
    head, _, tail = text.partition(" ")
    head = head.split("@", 1)[0]
    if head.lower() == "/start":
        return "/start" if rt.store.get_contact(contact) else ""
    return f"{head} {tail}".strip() if tail else head


def accept(rt: Any, update: Update, chat_id: int, text: str, meta: dict) -> None:
    contact = f"tg:{chat_id}"
    user = update.effective_user
    if user is not None and isinstance(user.language_code, str):
        meta["lang"] = user.language_code[:8]  # kept for a language hint; nothing else about the user
    if _blocked(rt.store.get_contact(contact)):
        _set_blocked(rt, contact, False)  # they can write, so they unblocked the bot
    rt.pipeline.inbound(Inbound("telegram", str(update.update_id), contact, text, meta))


def member_change(rt: Any, update: Update) -> Response:
    change = update.my_chat_member
    chat_id = _private_chat(change.chat)
    status = getattr(change.new_chat_member, "status", None)
    if chat_id is None:
        return _empty(200)
    if status in ("kicked", "member"):
        _set_blocked(rt, f"tg:{chat_id}", status == "kicked")
    return _empty(200)
