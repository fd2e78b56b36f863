"""The Redis store's outbox: messages with their queue and indexes on the
``{out}`` slot (keys: ``redis_keys.py``; scripts: ``redis_scripts.py``), and
the erasures that walk it (a member's words, old peer-support texts).
A mixin of :class:`~bot.store.redis_store.RedisStore`: it uses its ``r``,
``keys`` and registered scripts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from .base import ERASED, UNSENT_FIELDS
from .redis_keys import dumps, epoch, loads

UTC = timezone.utc


class RedisOutbox:
    # ------------------------------------------------------------ outbox
    def outbound_op(self, msg: dict) -> tuple:
        """The ``ADD_OUTBOUND`` that adds ``msg`` with its indexes, as a
        ``RedisTx.groups`` command (on Cluster it runs by EVAL, not as a
        registered script: redis-py checks a pipeline's scripts with SCRIPT
        EXISTS first, one more round trip for every step)."""
        k = self.keys
        fields: list = []
        for name, value in msg.items():
            fields += [name, dumps(value)]
        score = ""
        if msg.get("status", "queued") == "queued":
            score = epoch(msg.get("retry_at") or msg.get("created_at") or datetime.now(UTC))
        return ("ADD_OUTBOUND", (k.out_seq(), k.out_queue(), k.out_all(), k.out_to(msg["to"]), k.out_msg(msg["id"])),
                (msg["id"], score, *fields))

    def lease_outbound(self, now: datetime, lease_seconds: float, limit: int = 50) -> list[dict]:
        k = self.keys
        until = now + timedelta(seconds=lease_seconds)
        ids = self._lease_outbound(keys=[k.out_queue()],
                                   args=[epoch(now), limit, epoch(until), dumps(until), k.out_msg_prefix()],
                                   client=self.r)
        return self._messages(ids)

    def mark_outbound(self, msg_id: str, status: str, now: datetime, **fields: Any) -> None:
        k = self.keys
        if status == "queued":
            mode, score = "queue", epoch(fields.get("retry_at") or now)
        else:
            mode, score = ("keep" if status == "sending" else "dequeue"), ""
        pairs: list = ["status", dumps(status)]
        for name, value in fields.items():
            pairs += [name, dumps(value)]
        self._mark_outbound(keys=[k.out_msg(msg_id), k.out_queue()], args=[mode, score, *pairs], client=self.r)

    def list_outbound(self, to: str | None = None, status: str | None = None, limit: int = 1000) -> list[dict]:
        """The newest ``limit`` matches, oldest first: walk the index from its newest end."""
        index = self.keys.out_to(to) if to else self.keys.out_all()
        newest_first: list[dict] = []
        start, chunk = 0, max(limit, 200) if status else limit
        while len(newest_first) < limit:
            ids = self.r.zrevrange(index, start, start + chunk - 1)
            if not ids:
                break
            start += len(ids)
            newest_first += [m for m in self._messages(ids) if status is None or m.get("status") == status]
        return newest_first[:limit][::-1]

    def unsent_before(self, to: str, msg_id: str, limit: int = 10) -> list[dict]:
        """One round trip, five fields a message: this runs for every message sent."""
        rows = self._unsent_before(keys=[self.keys.out_to(to)], args=[msg_id, limit, self.keys.out_msg_prefix()],
                                   client=self.r)
        out = []
        for row in reversed(rows):
            msg = {"id": row[0], **{name: loads(v) for name, v in zip(UNSENT_FIELDS[1:], row[1:])}}
            msg["attempts"] = msg["attempts"] or 0  # a message not tried yet has no such field
            out.append(msg)
        return out

    def _messages(self, ids: Iterable[str]) -> list[dict]:
        ids = list(ids)
        if not ids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for mid in ids:
            pipe.hgetall(self.keys.out_msg(mid))
        return [{f: loads(v) for f, v in h.items() if not f.startswith("_")} for h in pipe.execute() if h]

    def _erase_written_by(self, contact_id: str, chunk: int = 1000) -> None:
        """Their words in messages to others (field ``by``): no index, so every
        message is looked at, a thousand per round trip (an erasure is rare)."""
        k, who = self.keys, dumps(contact_id)
        ids = self.r.zrange(k.out_all(), 0, -1)
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            read = self.r.pipeline(transaction=False)
            for mid in part:
                read.hget(k.out_msg(mid), "by")
            mine = [mid for mid, by in zip(part, read.execute()) if by == who]
            if mine:
                write = self.r.pipeline(transaction=True)  # one slot: {out}
                for mid in mine:
                    write.hset(k.out_msg(mid), "text", dumps(ERASED))
                    write.hdel(k.out_msg(mid), "by")
                write.execute()

    # ------------------------------------------------------------ retention
    # Compare-and-set: a row deleted (forget_contact) or changed meanwhile is left alone.
    _SET_IF_SAME = ("if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
                    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0")

    def erase_outbound_texts(self, key_prefix: str | tuple[str, ...], before: datetime, text: str = "") -> int:
        """Walks the outbox from its oldest end, and stops at a chunk made only of newer rows."""
        k, changed, start, chunk = self.keys, 0, 0, 500
        erased = dumps(text)
        while True:
            ids = self.r.zrange(k.out_all(), start, start + chunk - 1)
            if not ids:
                return changed
            start += len(ids)
            pipe = self.r.pipeline(transaction=False)
            for mid in ids:
                pipe.hmget(k.out_msg(mid), ["key", "created_at", "status", "text"])
            older = False
            for mid, (key, created, status, old) in zip(ids, pipe.execute()):
                at = loads(created)
                if at is None or at >= before:
                    continue
                older = True
                if (str(loads(key) or "").startswith(key_prefix) and loads(status) not in ("queued", "sending")
                        and old is not None and old != erased):
                    changed += self.r.eval(self._SET_IF_SAME, 1, k.out_msg(mid), "text", old, erased)
            if not older:
                return changed
