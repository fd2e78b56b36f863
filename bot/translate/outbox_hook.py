"""The outbox worker's translation step (``OutboxWorker(prepare=...)``).

An outbox row may carry ``"translate": {"source": "es", "target": "en",
"body": "<the part of text to translate>"}`` (an action's ``Send(...,
extra={"translate": ...})``), or ``"bodies": [...]`` for several parts (a
task list: each task is its own unit, so glossary phrases still match).
Just before sending, ``prepare`` replaces each body inside ``text`` with its
translation (glossary, cache, provider), in order.

When that fails the message still goes, as written, with a short note in the
reader's language (``translate.failed``), and a ``translate.pending`` record
(id = the message's id) is kept. ``tick`` (run by the worker before each
batch) retries due ones with backoff; once the provider answers, the whole
message, translated, follows as a new outbox row (``translate.follow_up``).
With no provider configured (``TRANSLATOR=none``) the note says so
(``translate.as_written``) and nothing is retried.

Nothing here ever raises into the worker: a message is never held back by
translation, and every retry is claimed by one worker only.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from .providers import NoTranslator, TranslationError
from .service import CachedTranslation

log = logging.getLogger(__name__)
PENDING_KIND = "translate.pending"
TRY_KIND = "translate.try"  # claims: one worker per retry attempt
RETRY_SECONDS = 60.0  # first retry after this; doubles each time (TRANSLATOR_RETRY_SECONDS)
MAX_RETRY_SECONDS = 6 * 3600.0
MAX_TRIES = 12  # then the pending translation is given up (TRANSLATOR_MAX_TRIES)


class OutboxTranslation:
    def __init__(self, store: Any, translation: CachedTranslation, catalog: Callable[[], Any],
                 clock: Callable[[], datetime], retry_seconds: float = RETRY_SECONDS, max_tries: int = MAX_TRIES,
                 check_every: float = 5.0):
        self.store = store
        self.translation = translation
        self.catalog = catalog  # () -> the live Catalog (texts are hot-reloaded)
        self.clock = clock
        self.retry_seconds = retry_seconds
        self.max_tries = max_tries
        self.check_every = check_every
        self._next_check: datetime | None = None

    # ------------------------------------------------------------ before a send
    def __call__(self, msg: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.prepare(msg)

    def prepare(self, msg: Mapping[str, Any]) -> Mapping[str, Any]:
        spec = _spec(msg)
        if spec is None:
            return msg
        source, target, bodies = spec
        try:
            pairs = [(body, self.translation.translate(body, source, target)) for body in bodies]
        except TranslationError as exc:
            return self._untranslated(msg, spec, exc.reason)
        except Exception as exc:  # noqa: BLE001 - the store or a bug: the message still goes
            log.exception("translation step failed for %s", msg.get("id"))
            return self._untranslated(msg, spec, f"{type(exc).__name__}: {exc}")
        self._settle(msg)
        return {**msg, "text": replace_parts(str(msg["text"]), pairs, _at(msg.get("translate"))),
                "translation": "done"}

    def _untranslated(self, msg: Mapping[str, Any], spec: tuple, reason: str) -> Mapping[str, Any]:
        off = isinstance(self.translation.provider, NoTranslator)
        try:
            note = self.catalog().text(msg.get("lang"), "translate.as_written" if off else "translate.failed")
        except Exception:  # noqa: BLE001 - no catalog: the message goes without the note
            note = ""
        if not off:
            self._remember(msg, spec, reason)
        text = f"{msg['text']}\n{note}" if note else msg["text"]
        return {**msg, "text": text, "translation": "off" if off else "failed"}

    def _remember(self, msg: Mapping[str, Any], spec: tuple, reason: str) -> None:
        try:
            if self.store.get_record(PENDING_KIND, msg["id"]):
                return  # a resend of the same message: already waiting
            now = self.clock()
            source, target, bodies = spec
            self.store.put_record(PENDING_KIND, msg["id"], {
                "id": msg["id"], "to": msg["to"], "channel": msg.get("channel") or "sms", "lang": msg.get("lang"),
                "source": source, "target": target, "bodies": list(bodies), "text": msg["text"],
                "at": _at(msg.get("translate")), "status": "waiting",
                "tries": 0, "next_ts": (now + timedelta(seconds=self.retry_seconds)).timestamp(),
                "error": reason, "created_ts": now.timestamp()})
        except Exception:  # noqa: BLE001 - losing the follow-up is better than losing the message
            log.exception("could not keep pending translation of %s", msg.get("id"))

    def _settle(self, msg: Mapping[str, Any]) -> None:
        """A resent message that now got translated needs no follow-up."""
        try:
            rec = self.store.get_record(PENDING_KIND, msg["id"])
            if rec and rec.get("status") == "waiting":
                self.store.put_record(PENDING_KIND, msg["id"], {**rec, "status": "translated_inline"})
        except Exception:  # noqa: BLE001
            log.exception("could not settle pending translation of %s", msg.get("id"))

    # ------------------------------------------------------------ retries
    def tick(self) -> int:
        """Retry the due pending translations; the number of follow-ups queued."""
        now = self.clock()
        if self._next_check is not None and now < self._next_check:
            return 0
        self._next_check = now + timedelta(seconds=self.check_every)
        queued = 0
        try:
            pending = self.store.find_records(PENDING_KIND, status="waiting")
        except Exception:  # noqa: BLE001 - store away: next round
            log.exception("pending translations unreadable")
            return 0
        for rec in pending:
            if float(rec.get("next_ts") or 0) > now.timestamp():
                continue
            try:
                queued += self._retry(rec, now)
            except Exception:  # noqa: BLE001 - one bad record never stops the rest
                log.exception("pending translation %s failed", rec.get("id"))
        return queued

    def _retry(self, rec: dict, now: datetime) -> int:
        tries = int(rec.get("tries") or 0)
        if not self.store.claim(TRY_KIND, f"{rec['id']}:{tries}", "outbox"):
            return 0  # another worker has this attempt
        try:
            pairs = [(b, self.translation.translate(b, rec["source"], rec["target"])) for b in rec["bodies"]]
        except TranslationError as exc:
            tries += 1
            delay = min(MAX_RETRY_SECONDS, self.retry_seconds * 2 ** tries)
            status = "gave_up" if tries >= self.max_tries else "waiting"
            self.store.put_record(PENDING_KIND, rec["id"], {
                **rec, "tries": tries, "status": status, "error": exc.reason,
                "next_ts": (now + timedelta(seconds=delay)).timestamp()})
            return 0
        text = replace_parts(str(rec["text"]), pairs, rec.get("at"))
        follow = self.catalog().text(rec.get("lang"), "translate.follow_up", {"text": text})
        with self.store.transaction() as tx:
            tx.put_record(PENDING_KIND, rec["id"], {**rec, "status": "sent", "tries": tries + 1,
                                                    "done_ts": now.timestamp()})
            tx.add_outbound({"id": f"{rec['id']}.tr", "to": rec["to"], "text": follow, "key": "translate.follow_up",
                             "choices": [], "lang": rec.get("lang"), "channel": rec.get("channel") or "sms",
                             "status": "queued", "created_at": now})
        return 1


def _spec(msg: Mapping[str, Any]) -> tuple[str, str, list[str]] | None:
    """(source, target, bodies) of a message to translate, or None."""
    spec = msg.get("translate")
    if not isinstance(spec, Mapping):
        return None
    source, target = spec.get("source"), spec.get("target")
    raw = spec.get("bodies") if "bodies" in spec else [spec.get("body")]
    if not (isinstance(source, str) and isinstance(target, str) and isinstance(raw, list)) or source == target:
        return None
    text = str(msg.get("text") or "")
    bodies = [b for b in raw if isinstance(b, str) and b.strip() and b in text]
    return (source, target, bodies) if bodies else None


def _at(spec: Any) -> int | None:
    at = spec.get("at") if isinstance(spec, Mapping) else None
    return at if isinstance(at, int) and not isinstance(at, bool) else None


def replace_parts(text: str, pairs: list[tuple[str, str]], at: int | None = None) -> str:
    """Each (original, translation) replaced once, left to right, never inside
    a translation already put in. ``at`` is where a single part stands in the
    text (the sender knows: :func:`bot.translate.body_at`), so a short note such
    as "a" or the sender's own name is never found inside the words around it."""
    if len(pairs) == 1 and at is not None:
        original, translation = pairs[0]
        if text[at:at + len(original)] == original:
            return text[:at] + translation + text[at + len(original):]
    out, pos = [], 0
    for original, translation in pairs:
        i = text.find(original, pos)
        if i < 0:
            continue
        out.append(text[pos:i])
        out.append(translation)
        pos = i + len(original)
    out.append(text[pos:])
    return "".join(out)
