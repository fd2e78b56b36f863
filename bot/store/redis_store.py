"""The Redis store (scaled profile): the contract of ``base.py`` on Redis.

Keys and value encoding: ``redis_keys.py``; Lua scripts: ``redis_scripts.py``;
the outbox and the erasures that walk it: ``redis_outbox.py``; the contact
lock: ``redis_lock.py``; a worker's step batches: ``redis_batch.py``.

Keys
----
Each contact's keys (contact record, session, timer data, inbound log and
sequence, seen provider ids, lock) share the hash tag ``{c:<id>}``. Global
indexes cannot share a tag with every contact; each keeps its companions on
its own slot: ``{sched}`` (schedule + timer owners), ``{out}`` (the whole
outbox: messages, queue, indexes), ``{r:<kind>}`` (one record kind with its
order index and claims), ``{idx}`` (contact list), ``{audit}``.

What is atomic
--------------
* ``record_inbound`` (seen-key ``SET NX EX`` + ``INCR`` of the sequence),
  ``claim_due_timers``, ``lease_outbound``, ``mark_outbound`` and the lock
  release are Lua scripts on one slot; ``queue_inbound`` (a webhook that
  leaves the step to a worker) records the message, writes its contact's
  drain timer, schedules it and rings the wake list in one script on one
  Redis, and as two pipelined scripts (contact slot, then ``{sched}``) with
  ``per_slot``; ``claim`` is ``SET NX``. Adding one
  message with its queue and indexes is one script on ``{out}``.
* A transaction (one step) buffers its writes and groups them per slot, data
  first, indexes after:

  1. each contact it touched (record, session, timer data), then each record
     kind (data + order index);
  2. the outbox, the timer schedule, the contact list, the audit log.

  ``RedisStore(url)`` (one Redis, or a Sentinel-managed primary) commits all
  groups in **one script** (``APPLY``: what one MULTI/EXEC of them would do,
  with one reply instead of one per command): the whole step or nothing. When
  the step is the last of a contact's lock hold (``release_with_commit``), the
  lock's release goes in it too, a round trip fewer per message. ``APPLY``
  first CHECKs that each contact record the step rewrites is still the one it
  read; when another writer changed it meanwhile (a status callback's
  opt-out, a coordinator's edit, another contact's step), nothing is written,
  the step's own changes are laid over the record as it is now, and the
  commit goes again (``RedisTx._apply_over_others``): no field another writer
  set is undone.

  ``RedisStore(url, per_slot=True)`` (what Redis Cluster needs) commits one
  MULTI/EXEC per group, in the order above. Each contact's keys change
  together or not at all, but a crash or a lost connection between two
  groups leaves the earlier ones written and the later ones not. The order
  makes that recoverable rather than dangling: timer data sits in the
  contact's ``timers`` hash before it is put on the schedule
  (``reschedule_orphan_timers`` puts back any that missed it), and a schedule
  or queue entry without data is skipped and dropped by the claim/lease
  scripts. What that window can lose is the step's outbox rows, schedule
  entries and audit lines (its session is already saved).

A worker's round of due timers is one step batch (``redis_batch.py``): the
round's locks are taken and loaded in one pipeline, and each step's ``APPLY``
waits in the batch until this thread next reads Redis or the round ends,
then goes with the others and the locks' release in one more. A batched
``APPLY`` CHECKs the same way; when it is refused the step runs again, alone,
from fresh reads.

What is not
-----------
* Reads in a transaction are not isolated (no WATCH): a step decides on
  what it read, and only the records it rewrites are checked at commit. On
  one Redis two writers of one contact record keep each other's fields (the
  later one wins on a field both set); with ``per_slot`` (Cluster) the later
  record wins whole. The contact lock serialises one contact's own steps; it
  expires after ``lock_ttl`` (60 s) if its holder dies.
* With ``per_slot``, a claimed timer is removed from the schedule, then its
  data taken in a second script on the contact's slot; only the caller that
  takes the data returns the timer. A crash between the two leaves data that
  ``reschedule_orphan_timers`` puts back. (On one Redis both are one script.)
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..engine.model import Session
from . import redis_scripts as lua
from .base import DRAIN_EVENT, drain_timer_id, pseudonymise, requeue_drains
from .redis_batch import RedisBatching
from .redis_keys import SEEN_TTL, Keys, dumps, epoch, loads, utc
from .redis_lock import RedisContactLock
from .redis_outbox import RedisOutbox
from .redis_tx import RedisTx



class RedisStore(RedisContactLock, RedisBatching, RedisOutbox):
    """Contacts, sessions, timers, outbox, records and audit in Redis."""

    def __init__(self, url: str, prefix: str = "vc", lock_ttl: float = 60.0, per_slot: bool = False,
                 timeout: float = 0.5):
        self.url = url
        self.prefix = prefix
        self.keys = Keys(prefix)
        self.per_slot = per_slot  # commit one MULTI/EXEC per hash slot (what Redis Cluster needs)
        self.lock_ttl = lock_ttl  # a lock whose holder died frees itself after this
        # A webhook must answer 503 within a second when Redis is down or hung,
        # so the provider retries: short timeouts, and no client-side retry (a
        # retried script could run twice; the provider's retry is the safe one).
        self._local = threading.local()  # per thread: its client, and what came with the contact lock
        # The pool's settings; each thread talks through a client of its own (``r``).
        self._pooled = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=0.5,
                                            socket_timeout=timeout, health_check_interval=30,
                                            retry=Retry(NoBackoff(), 0))
        # health checks: fail fast, no retries
        self._probe = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1,
                                           retry=Retry(NoBackoff(), 0))
        self._record_inbound = lua.LuaScript(self._pooled, lua.RECORD_INBOUND)
        self._claim_timers = lua.LuaScript(self._pooled, lua.CLAIM_TIMERS)
        self._take_timer = lua.LuaScript(self._pooled, lua.TAKE_TIMER)
        self._claim_and_take_timers = lua.LuaScript(self._pooled, lua.CLAIM_AND_TAKE_TIMERS)
        self._lease_outbound = lua.LuaScript(self._pooled, lua.LEASE_OUTBOUND)
        self._mark_outbound = lua.LuaScript(self._pooled, lua.MARK_OUTBOUND)
        self._unsent_before = lua.LuaScript(self._pooled, lua.UNSENT_BEFORE)
        self._release_lock = lua.LuaScript(self._pooled, lua.RELEASE_LOCK)
        self._rate_wait = lua.LuaScript(self._pooled, lua.RATE_WAIT)
        self._lock_and_load = lua.LuaScript(self._pooled, lua.LOCK_AND_LOAD)
        self._receive = lua.LuaScript(self._pooled, lua.RECEIVE)
        self._apply = lua.LuaScript(self._pooled, lua.APPLY)
        self._queue_inbound = lua.LuaScript(self._pooled, lua.QUEUE_INBOUND)
        self._queue_contact = lua.LuaScript(self._pooled, lua.QUEUE_CONTACT)
        self._schedule_drain = lua.LuaScript(self._pooled, lua.SCHEDULE_DRAIN)
        self._waiter: redis.Redis | None = None  # the blocking connection of wait_for_work

    @property
    def r(self) -> redis.Redis:
        """This thread's client, on a connection it keeps (redis-py's
        ``single_connection_client``). A pooled client checks a connection out
        for every command and first polls it for stray bytes: a system call
        that costs here about what the command's own write does. A thread
        sends one command at a time, so it needs no pool between its
        commands; pipelines still take pooled connections. A forked child
        (an RQ work horse) makes its own, never its parent's socket."""
        local = self._local
        if getattr(local, "client_pid", None) != os.getpid():
            local.client = redis.Redis(connection_pool=self._pooled.connection_pool, single_connection_client=True)
            local.client_pid = os.getpid()
        if getattr(local, "round", None) is not None:  # a step batch's commits go before any read
            self.send_waiting_commits()
        return local.client

    def close(self) -> None:
        if getattr(self._local, "client_pid", None) == os.getpid():
            self._local.client.close()
        self._pooled.close()  # a from_url client disconnects its pool, every thread's connection with it
        self._probe.close()
        if self._waiter is not None:
            self._waiter.close()

    def ping(self) -> bool:
        try:
            return bool(self._probe.ping())
        except Exception:  # noqa: BLE001 - health check: any failure is "down"
            return False

    # ------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self):
        tx = RedisTx(self)
        try:
            yield tx
        except BaseException:  # the commit is skipped: nothing is written, and the step's claims go back
            tx.give_back_claims()
            raise
        tx.commit()

    def _read(self) -> RedisTx:
        return RedisTx(self)

    # Tx methods on the store itself: each its own small transaction
    def get_contact(self, contact_id: str) -> dict | None:
        return self._read().get_contact(contact_id)

    def upsert_contact(self, contact_id: str, **changes: Any) -> dict:
        with self.transaction() as tx:
            return tx.upsert_contact(contact_id, **changes)

    def get_session(self, contact_id: str) -> Session | None:
        return self._read().get_session(contact_id)

    def save_session(self, session: Session) -> None:
        with self.transaction() as tx:
            tx.save_session(session)

    def add_timer(self, timer_id: str, contact: str, at: datetime, event: str, data: dict) -> None:
        with self.transaction() as tx:
            tx.add_timer(timer_id, contact, at, event, data)

    def cancel_timer(self, timer_id: str) -> None:
        with self.transaction() as tx:
            tx.cancel_timer(timer_id)

    def add_outbound(self, msg: dict) -> None:
        with self.transaction() as tx:
            tx.add_outbound(msg)

    def add_record(self, kind: str, data: dict) -> None:
        with self.transaction() as tx:
            tx.add_record(kind, data)

    def put_record(self, kind: str, record_id: str, data: dict) -> None:
        with self.transaction() as tx:
            tx.put_record(kind, record_id, data)

    def get_record(self, kind: str, record_id: str) -> dict | None:
        return self._read().get_record(kind, record_id)

    def audit(self, entry: dict) -> None:
        with self.transaction() as tx:
            tx.audit(entry)

    # ------------------------------------------------------------ inbound
    def record_inbound(self, channel: str, provider_id: str, contact: str, text: str,
                       received_at: datetime, meta: dict | None = None) -> int | None:
        k = self.keys
        data = self._inbound_json(channel, provider_id, contact, text, received_at, meta)
        seq = self._record_inbound(
            keys=[k.seen(contact, channel, provider_id), k.inbound_seq(contact), k.inbound(contact),
                  k.inbound_pending(contact)],
            args=[SEEN_TTL, data], client=self.r)
        return None if seq is None else int(seq)

    def queue_inbound(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                      meta: dict | None = None) -> int | None:
        k, tid = self.keys, drain_timer_id(contact)
        received_at = utc(received_at)  # once, not in each of the three encodings (a zone's conversion is slow)
        contact_keys = [k.seen(contact, channel, provider_id), k.inbound_seq(contact), k.inbound(contact),
                        k.inbound_pending(contact), k.timers(contact)]
        contact_args = [SEEN_TTL, self._inbound_json(channel, provider_id, contact, text, received_at, meta), tid,
                        dumps({"at": received_at, "event": DRAIN_EVENT, "data": {}})]
        sched_keys, sched_args = [k.schedule(), k.timer_owner(), k.wake()], [tid, epoch(received_at), contact]
        if not self.per_slot:
            seq = self._queue_inbound(keys=contact_keys + sched_keys, args=contact_args + sched_args[1:], client=self.r)
        else:
            # Two slots, one round trip: the timer's data is written before its
            # schedule entry, so a break between the two leaves data that
            # reschedule_orphan_timers puts back (and the webhook answers 503:
            # the provider's retry sets both again).
            pipe = self.r.pipeline(transaction=False)
            self._queue_contact(keys=contact_keys, args=contact_args, client=pipe)
            self._schedule_drain(keys=sched_keys, args=sched_args, client=pipe)
            seq = pipe.execute()[0]
        return int(seq) or None

    def requeue_stranded_inbound(self, now: datetime) -> int:
        # Redis deletes an emptied zset, so every key found has pending messages
        # (a drain racing this sweep at worst gets a second, empty drain).
        k = self.keys
        pending = self.r.scan_iter(match=k.inbound_pending("*"), count=500)
        return requeue_drains(self, [k.contact_of(key) for key in pending], now)

    def wait_for_work(self, timeout: float) -> bool:
        """Block until a webhook queues a message (True) or ``timeout`` seconds
        pass (False): what worker.py's stepper sleeps on, so a queued message is
        stepped at once rather than at its next round."""
        if self._waiter is None:
            self._waiter = redis.Redis.from_url(self.url, decode_responses=True, socket_connect_timeout=0.5,
                                                socket_timeout=timeout + 2, retry=Retry(NoBackoff(), 0))
        return self._waiter.blpop([self.keys.wake()], timeout=max(timeout, 0.01)) is not None

    @staticmethod
    def _inbound_json(channel, provider_id, contact, text, received_at, meta) -> str:
        return dumps({"channel": channel, "provider_id": provider_id, "contact": contact, "text": text,
                      "received_at": received_at, "meta": meta or {}})

    def pending_inbound(self, contact: str) -> list[dict]:
        hit, rows = self.take_prefetched(contact, "pending")
        if hit:
            return rows
        seqs = self.r.zrange(self.keys.inbound_pending(contact), 0, -1)
        if not seqs:
            return []
        raws = self.r.hmget(self.keys.inbound(contact), seqs)
        return [{**loads(raw), "seq": int(seq)} for seq, raw in zip(seqs, raws) if raw is not None]

    def mark_inbound_done(self, contact: str, seq: int) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.zrem(self.keys.inbound_pending(contact), seq)
        pipe.hdel(self.keys.inbound(contact), seq)
        pipe.execute()

    # ------------------------------------------------------------ timers
    def get_timer(self, timer_id: str) -> dict | None:
        k = self.keys
        cid = self.r.hget(k.timer_owner(), timer_id)
        raw = self.r.hget(k.timers(cid), timer_id) if cid is not None else None
        if raw is None:
            return None
        t = loads(raw)
        return {"id": timer_id, "contact": cid, "at": t["at"], "event": t["event"], "data": t["data"]}

    def claim_due_timers(self, now: datetime, limit: int = 100) -> list[dict]:
        k = self.keys
        if self.per_slot:  # the schedule's slot, then each timer's data on its contact's
            flat = self._claim_timers(keys=[k.schedule(), k.timer_owner()], args=[epoch(now), limit], client=self.r)
            pairs = list(zip(flat[::2], flat[1::2]))
            if not pairs:
                return []
            taken = self.run_scripts([(self._take_timer, [k.timers(cid)], [tid]) for tid, cid in pairs])
            for reply in taken:
                if isinstance(reply, Exception):  # claimed, not taken: reschedule_orphan_timers puts them back
                    raise reply
        else:  # one script
            flat = self._claim_and_take_timers(keys=[k.schedule(), k.timer_owner()],
                                               args=[epoch(now), limit, *k.timers("\0").split("\0")], client=self.r)
            pairs = list(zip(flat[::3], flat[1::3]))
            taken = [raw or None for raw in flat[2::3]]
        out, early = [], []
        for (tid, cid), raw in zip(pairs, taken):
            if raw is None:  # cancelled after it was scheduled: nothing to fire
                continue
            t = loads(raw)
            if t["at"] > now:  # replaced with a later time, its schedule not yet moved: put it back
                early.append((tid, cid, raw, t["at"]))
                continue
            out.append({"id": tid, "contact": cid, "at": t["at"], "event": t["event"], "data": t["data"]})
        for tid, cid, raw, at in early:
            self.r.hsetnx(k.timers(cid), tid, raw)
            pipe = self.r.pipeline(transaction=True)
            pipe.zadd(k.schedule(), {tid: epoch(at)}, nx=True)
            pipe.hsetnx(k.timer_owner(), tid, cid)
            pipe.execute()
        out.sort(key=lambda t: (t["at"], t["id"]))
        return out

    def reschedule_orphan_timers(self) -> int:
        """Sweeper: put timers whose data was written but never scheduled (a
        crash between the two commits) back on the schedule. Returns how many."""
        k, n = self.keys, 0
        for key in self.r.scan_iter(match=f"{k.p}:{{c:*}}:timers", count=500):
            cid = k.contact_of(key)
            for tid, raw in self.r.hgetall(key).items():
                if self.r.zscore(k.schedule(), tid) is None:
                    pipe = self.r.pipeline(transaction=True)
                    pipe.zadd(k.schedule(), {tid: epoch(loads(raw)["at"])}, nx=True)
                    pipe.hset(k.timer_owner(), tid, cid)
                    pipe.execute()
                    n += 1
        return n

    # ------------------------------------------------------------ records
    def rate_wait(self, key: str, interval: float, now: datetime, burst: int = 1) -> float:
        return float(self._rate_wait(keys=[self.keys.rate(key)], args=[epoch(now), interval, burst], client=self.r))

    def claim(self, kind: str, record_id: str, claimer: str) -> bool:
        return bool(self.r.set(self.keys.claim(kind, record_id), claimer, nx=True))

    def give_back_claims(self, claims: list[tuple[str, str, str]]) -> None:
        """Claims of a step that wrote nothing: each deleted while it still
        names its claimer (RELEASE_LOCK's delete-if-still-mine)."""
        self.run_scripts([(self._release_lock, [self.keys.claim(kind, rid)], [claimer])
                          for kind, rid, claimer in claims])

    def find_records(self, kind: str, **where: Any) -> list[dict]:
        ids = self.r.zrange(self.keys.records_order(kind), 0, -1)
        if not ids:
            return []
        rows = [loads(raw) for raw in self.r.hmget(self.keys.records(kind), ids) if raw is not None]
        return [row for row in rows
                if all(f in row and type(row[f]) is type(v) and row[f] == v for f, v in where.items())]

    # ------------------------------------------------------------ members
    def list_contacts(self, role: str | None = None) -> list[dict]:
        ids = sorted(self.r.smembers(self.keys.contacts_index()))
        if not ids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for cid in ids:
            pipe.get(self.keys.contact(cid))
        rows = [loads(raw) for raw in pipe.execute() if raw is not None]
        return [row for row in rows if role is None or role in (row.get("roles") or ())]

    def remove_contact(self, contact_id: str) -> bool:
        k = self.keys
        timer_ids = self.r.hkeys(k.timers(contact_id))
        pipe = self.r.pipeline(transaction=True)
        pipe.exists(k.contact(contact_id))
        pipe.delete(*k.contact_keys(contact_id))
        existed = bool(pipe.execute()[0])
        pipe = self.r.pipeline(transaction=True)
        pipe.srem(k.contacts_index(), contact_id)
        if timer_ids:
            pipe.zrem(k.schedule(), *timer_ids)
            pipe.hdel(k.timer_owner(), *timer_ids)
        pipe.execute()
        return existed

    def audit_entries(self, contact: str | None = None) -> Iterable[dict]:
        rows = [loads(raw) for raw in self.r.lrange(self.keys.audit(), 0, -1)]
        return [e for e in rows if contact is None or e.get("contact") == contact]

    # ------------------------------------------------------------ removal
    def delete_record(self, kind: str, record_id: str) -> bool:
        k = self.keys
        pipe = self.r.pipeline(transaction=True)  # one slot: {r:<kind>}
        pipe.hdel(k.records(kind), record_id)
        pipe.zrem(k.records_order(kind), record_id)
        pipe.delete(k.claim(kind, record_id))
        return bool(pipe.execute()[0])

    def inbound_log(self, contact: str) -> list[dict]:
        """Only the pending ones: a handled message is dropped (mark_inbound_done)."""
        return [{**row, "done": False} for row in self.pending_inbound(contact)]

    def record_kinds(self) -> list[str]:
        head, tail = f"{self.keys.p}:{{r:", "}:data"
        return sorted({key[len(head):-len(tail)] for key in self.r.scan_iter(match=f"{head}*{tail}", count=500)})

    def forget_contact(self, contact_id: str, token: str) -> None:
        k = self.keys
        self.remove_contact(contact_id)  # record, session, timers, inbound log, contact list
        ids = self.r.zrange(k.out_to(contact_id), 0, -1)
        members = [self.r.hget(k.out_msg(mid), "_q") for mid in ids]
        pipe = self.r.pipeline(transaction=True)  # one slot: {out}
        if ids:
            pipe.delete(*[k.out_msg(mid) for mid in ids])
            pipe.zrem(k.out_all(), *ids)
        if any(members):
            pipe.zrem(k.out_queue(), *[m for m in members if m])
        pipe.delete(k.out_to(contact_id))
        pipe.execute()
        self._erase_written_by(contact_id)
        for key in self.r.scan_iter(match=f"{k.p}:{{r:*}}:claim:*", count=500):  # a claim keeps, by token
            self.r.set(key, token, xx=True) if self.r.get(key) == contact_id else None
        # the audit list is append only, so an index stays the entry it was read at
        pipe = self.r.pipeline(transaction=True)
        for i, raw in enumerate(self.r.lrange(k.audit(), 0, -1)):
            if contact_id in raw:
                pipe.lset(k.audit(), i, dumps(pseudonymise(loads(raw), contact_id, token)))
        pipe.execute()

    def erase_inbound_text(self, contact: str, seq: int, text: str = "") -> bool:
        """Only a pending message can be erased: a handled one is already dropped."""
        key = self.keys.inbound(contact)
        raw = self.r.hget(key, seq)
        if raw is None or loads(raw).get("text") == text:
            return False
        return bool(self.r.eval(self._SET_IF_SAME, 1, key, seq, raw, dumps({**loads(raw), "text": text})))
