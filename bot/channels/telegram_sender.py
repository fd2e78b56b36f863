"""Sending outbox messages to Telegram with python-telegram-bot's ``Bot``.

PTB is asyncio-only and the outbox worker is plain threads, so each sender
owns one private event loop in a daemon thread, and one ``Bot`` (one httpx
connection pool) that only ever runs on that loop: an httpx client must never
be shared across loops ("Event loop is closed"), and a fresh client per
message would pay a TLS handshake each time. Worker threads hand coroutines to
the loop and wait for the answer. After a fork (gunicorn) the child notices
the new pid and starts its own loop and Bot.

How the Bot API's answers map onto the outbox (bot.outbox):

* ``RetryAfter`` (429): TransientSendError with Telegram's ``retry_after``;
* ``Forbidden`` (403, "bot was blocked by the user"): PermanentSendError
  code ``blocked`` with ``opt_out=True``; the outbox worker marks the contact
  opted out with ``opted_out_by "telegram:blocked"`` (so the webhook can lift
  it when the person writes again, which Telegram only allows once they
  unblock) and its opt-out gate blocks the rest;
* ``BadRequest`` (400), ``InvalidToken``, ``ChatMigrated``: PermanentSendError;
* ``TimedOut``, ``NetworkError`` (5xx, connection errors): TransientSendError.

A text longer than Telegram's 4096 characters goes as several messages, cut
at line, then word boundaries; the buttons ride on the last one. When a later
part fails, the error carries the parts already sent (``parts_sent``,
``provider_id``) as ``fields`` the worker saves on the outbox row, so the retry
does not send them twice. The sender holds no store.
"""
from __future__ import annotations

import asyncio
import os
import threading
import warnings
from datetime import timedelta
from typing import Any, Callable, Mapping

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from ..outbox import PermanentSendError, SendResult, TransientSendError

MAX_TEXT = 4096  # Telegram's limit per message, in UTF-16 code units
GLOBAL_RATE = ("telegram:all", 1 / 30, 30)  # ~30 messages a second per bot
PER_CHAT_INTERVAL = 1.0  # about one message a second into one chat


def chat_id_of(contact: str) -> int:
    """``"tg:12345"`` -> 12345; anything else cannot be reached on Telegram."""
    if not contact.startswith("tg:"):
        raise PermanentSendError(f"{contact!r} is not a Telegram chat", "bad_recipient")
    try:
        return int(contact[3:])
    except ValueError:
        raise PermanentSendError(f"{contact!r} is not a Telegram chat", "bad_recipient") from None


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 units, preferring
    line breaks, then spaces, and only then the middle of a word."""
    parts: list[str] = []
    rest = text
    while _units(rest) > limit:
        cut, used = 0, 0
        for ch in rest:  # the longest prefix that fits (astral characters count twice)
            used += 2 if ord(ch) > 0xFFFF else 1
            if used > limit:
                break
            cut += 1
        window = rest[:cut]
        at = window.rfind("\n")
        if at <= 0:
            at = window.rfind(" ")
        if at <= 0:
            at = cut
        parts.append(rest[:at].rstrip())
        rest = rest[at:].lstrip("\n ")
    parts.append(rest)
    return [p for p in parts if p] or [""]


def keyboard(choices) -> InlineKeyboardMarkup | None:
    """One button a row, "1 Label", pressing it sends back the number."""
    if not choices:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"{num} {label}", callback_data=str(num))]
                                 for num, label in choices])


def _seconds(value: Any) -> float:
    """RetryAfter.retry_after is an int in PTB 22 and a timedelta from PTB 23 (or PTB_TIMEDELTA=1)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value or 0)


class _Loop:
    """One event loop in a daemon thread, restarted after a fork."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(target=self._loop.run_forever, name="vecina-telegram", daemon=True).start()
            return self._loop

    def fresh(self) -> bool:
        """True when the next ``get`` starts a new loop (first use, or after a fork)."""
        return self._loop is None or self._pid != os.getpid()

    def stop(self) -> None:
        with self._lock:
            if self._loop is not None and self._pid == os.getpid():
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None


class TelegramSender:
    def __init__(self, token: str, api_url: str = "", timeout: float = 15.0):
        self.token = token
        # PTB appends the token to base_url: "<api>/bot" + token + "/sendMessage"
        self.base_url = (api_url.rstrip("/") + "/bot") if api_url else "https://api.telegram.org/bot"
        self.timeout = timeout
        self._loop = _Loop()
        self._bot: Bot | None = None
        self._bot_lock = threading.Lock()

    # ------------------------------------------------------------ the loop
    def _run(self, make_coro: Callable[[Bot], Any]) -> Any:
        with self._bot_lock:
            if self._bot is None or self._loop.fresh():
                self._bot = Bot(self.token, base_url=self.base_url,
                                request=HTTPXRequest(connection_pool_size=8, read_timeout=self.timeout,
                                                     connect_timeout=self.timeout / 2))
            bot, loop = self._bot, self._loop.get()
        future = asyncio.run_coroutine_threadsafe(make_coro(bot), loop)
        try:
            return future.result(self.timeout + 5)
        except TimeoutError:
            future.cancel()
            raise tg_error.TimedOut("no answer from Telegram") from None

    def close(self) -> None:
        """Close the connection pool and stop the loop (tests, shutdown)."""
        with self._bot_lock:
            bot, self._bot = self._bot, None
        if bot is not None and not self._loop.fresh():
            try:
                asyncio.run_coroutine_threadsafe(bot.shutdown(), self._loop.get()).result(5)
            except Exception:  # closing is best effort
                pass
        self._loop.stop()

    # ------------------------------------------------------------ Sender
    def pacing(self, msg: Mapping[str, Any]) -> list:
        return [GLOBAL_RATE, (f"telegram:chat:{msg.get('to', '')[3:]}", PER_CHAT_INTERVAL, 1)]

    def send(self, msg: Mapping[str, Any]) -> SendResult:
        chat_id = chat_id_of(msg["to"])
        parts = split_text(msg.get("text") or "")
        markup = keyboard(msg.get("choices"))
        done = int(msg.get("parts_sent") or 0)
        last_id = msg.get("provider_id")
        for index in range(done, len(parts)):
            is_last = index == len(parts) - 1
            try:
                sent = self._run(lambda bot, text=parts[index], rm=markup if is_last else None:
                                 bot.send_message(chat_id=chat_id, text=text, reply_markup=rm))
            except tg_error.TelegramError as exc:
                progress = {"parts_sent": index, "provider_id": last_id} if index else {}
                raise self._translate(exc, progress) from exc
            last_id = str(sent.message_id)
        fields = {"parts": len(parts)} if len(parts) > 1 else {}
        return SendResult("sent", provider_id=last_id, fields=fields)

    def answer_callback(self, callback_query_id: str) -> None:
        """Acknowledge a button press over the API (the webhook normally does
        it in its HTTP answer instead; see bot/channels/telegram.py)."""
        self._run(lambda bot: bot.answer_callback_query(callback_query_id))

    # ------------------------------------------------------------ errors
    def _translate(self, exc: Exception, progress: Mapping[str, Any]) -> Exception:
        """The outbox error for Telegram's answer, carrying ``progress`` (the
        parts already sent) for the worker to save on the row."""
        if isinstance(exc, tg_error.RetryAfter):
            with warnings.catch_warnings():  # PTB 22 warns that the type will change
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            return TransientSendError(f"telegram rate limit: retry after {wait:g}s", retry_after=wait,
                                      fields=progress)
        if isinstance(exc, tg_error.Forbidden):
            # Blocked by the user: the worker opts them out as "telegram:blocked".
            return PermanentSendError(f"telegram: {exc.message}", "blocked", opt_out=True, fields=progress)
        if isinstance(exc, tg_error.BadRequest):  # before NetworkError: BadRequest is one
            return PermanentSendError(f"telegram: {exc.message}", "bad_request", fields=progress)
        if isinstance(exc, tg_error.InvalidToken):
            return PermanentSendError("telegram: the bot token was rejected (TELEGRAM_BOT_TOKEN)", "invalid_token",
                                      fields=progress)
        if isinstance(exc, tg_error.ChatMigrated):
            return PermanentSendError(f"telegram: chat moved to {exc.new_chat_id}", "chat_migrated",
                                      fields=progress)
        return TransientSendError(f"telegram: {type(exc).__name__}: {exc.message}", fields=progress)
