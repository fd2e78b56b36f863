"""The Redis store's transaction: reads go straight to Redis, writes are
buffered (reads see them) and committed as per-slot groups, data before
indexes. How the groups commit, and what that makes atomic: ``redis_store.py``.
"""
from __future__ import annotations


import random
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..engine.model import Session, copy_containers
from . import redis_scripts as lua
from .base import StoreConflict
from .contacts import new_record
from .json_codec import session_json
from .redis_keys import dumps, epoch, loads

if TYPE_CHECKING:
    from .redis_store import RedisStore

# How many times one commit lays its changes over records that changed under
# it before it gives up (each time means another writer committed in between),
# with a random pause growing from CONFLICT_PAUSE so that writers racing on one
# record take turns instead of refusing each other.
CONFLICT_TRIES = 20
CONFLICT_PAUSE = 0.0005


class RedisTx:
    """One step's reads (straight from Redis) and writes (buffered until commit)."""

    def __init__(self, store: "RedisStore"):
        self._store = store
        self._k = store.keys
        self._contacts: dict[str, dict] = {}  # written by this step
        self._read_contacts: dict[str, dict | None] = {}  # read by this step
        self._read_raw: dict[str, str | None] = {}  # as read: what a batched commit checks is still there
        self._written_raw: dict[str, str] = {}  # JSON of a written record, made once (commit, as_left)
        self._sessions: dict[str, dict] = {}
        self._timers: dict[str, tuple[str, dict]] = {}  # id -> (contact, {at, event, data})
        self._cancels: dict[str, str] = {}  # id -> contact whose stored timer goes
        self._records: dict[tuple[str, str], dict] = {}
        self._outbox: list[dict] = []
        self._audit: list[dict] = []
        self._done: dict[str, list[int]] = {}  # contact -> inbound seqs handled by this step
        self._claims: list[tuple[str, str, str]] = []  # (kind, id, claimer) this step won: given back if it never commits

    @property
    def _r(self):
        # the store's, on every read: inside a step batch that sends the
        # batch's earlier commits first, so this read sees them
        return self._store.r

    # ------------------------------------------------------------ contacts
    def get_contact(self, contact_id: str) -> dict | None:
        if contact_id in self._contacts:
            return copy_containers(self._contacts[contact_id])
        if contact_id not in self._read_contacts:  # read once per step
            hit, raw = self._store.take_prefetched(contact_id, "contact")
            raw = raw if hit else self._r.get(self._k.contact(contact_id))
            self._read_raw[contact_id] = raw
            self._read_contacts[contact_id] = loads(raw)
        return copy_containers(self._read_contacts[contact_id])

    def upsert_contact(self, contact_id: str, **changes: Any) -> dict:
        rec = self.get_contact(contact_id) or new_record(contact_id)
        rec.update(copy_containers(changes))
        self._contacts[contact_id] = rec
        return copy_containers(rec)

    # ------------------------------------------------------------ sessions
    def get_session(self, contact_id: str) -> Session | None:
        if contact_id in self._sessions:
            return Session.from_json(self._sessions[contact_id])
        hit, raw = self._store.take_prefetched(contact_id, "session")
        if not hit:
            raw = self._r.get(self._k.session(contact_id))
        return Session.from_json(raw) if raw else None

    def save_session(self, session: Session) -> None:
        self._sessions[session.contact] = session_json(session)

    # ------------------------------------------------------------ timers
    def add_timer(self, timer_id: str, contact: str, at: datetime, event: str, data: dict) -> None:
        owner = self._r.hget(self._k.timer_owner(), timer_id)
        if owner is not None and owner != contact:  # the same id moves to another contact
            self._cancels[timer_id] = owner
        self._timers[timer_id] = (contact, {"at": at, "event": event, "data": copy_containers(dict(data))})

    def cancel_timer(self, timer_id: str) -> None:
        self._timers.pop(timer_id, None)
        owner = self._r.hget(self._k.timer_owner(), timer_id)
        if owner is not None:
            self._cancels[timer_id] = owner

    # ------------------------------------------------------------ inbound log
    def mark_inbound_done(self, contact: str, seq: int) -> None:
        self._done.setdefault(contact, []).append(seq)

    # ------------------------------------------------------------ outbox, records, audit
    def add_outbound(self, msg: dict) -> None:
        self._outbox.append(copy_containers(dict(msg)))

    def add_record(self, kind: str, data: dict) -> None:
        self.put_record(kind, str(data.get("id") or uuid.uuid4().hex), data)

    def put_record(self, kind: str, record_id: str, data: dict) -> None:
        self._records[(kind, record_id)] = copy_containers(dict(data))

    def get_record(self, kind: str, record_id: str) -> dict | None:
        if (kind, record_id) in self._records:
            return copy_containers(self._records[(kind, record_id)])
        return loads(self._r.hget(self._k.records(kind), record_id))

    # ------------------------------------------------------------ store-level, inside a step
    # Actions read and claim through the step's Tx; these go to Redis directly.
    def find_records(self, kind: str, **where: Any) -> list[dict]:
        """Committed matches, with this step's own buffered writes of that kind
        laid over them (matched by their ``id`` field)."""
        mine = {rid: data for (k, rid), data in self._records.items() if k == kind}
        out = [r for r in self._store.find_records(kind, **where) if str(r.get("id")) not in mine]
        out += [copy_containers(d) for d in mine.values()
                if all(k in d and d[k] == v and type(d[k]) is type(v) for k, v in where.items())]
        return out

    def list_contacts(self, role: str | None = None) -> list[dict]:
        return self._store.list_contacts(role)

    def claim(self, kind: str, record_id: str, claimer: str) -> bool:
        """Atomic at once (not at commit): the first caller anywhere wins. A
        step that then writes nothing (it raised, or its commit was refused)
        gives its claims back, as SQLite's rollback does, so that running it
        again, or a rival, can win."""
        won = self._store.claim(kind, record_id, claimer)
        if won:
            self._claims.append((kind, record_id, claimer))
        return won

    def give_back_claims(self) -> None:
        claims, self._claims = self._claims, []
        if claims:
            self._store.give_back_claims(claims)

    # the nightly retention job erases old texts (at once, not at commit)
    def delete_record(self, kind: str, record_id: str) -> bool:
        self._records.pop((kind, record_id), None)
        return self._store.delete_record(kind, record_id)

    def erase_outbound_texts(self, key_prefix: str | tuple[str, ...], before: datetime, text: str) -> int:
        return self._store.erase_outbound_texts(key_prefix, before, text)

    def erase_inbound_text(self, contact: str, seq: int, text: str) -> bool:
        return self._store.erase_inbound_text(contact, seq, text)

    def audit(self, entry: dict) -> None:
        self._audit.append(copy_containers(dict(entry)))

    # ------------------------------------------------------------ commit
    def commit(self) -> None:
        groups = self.groups()
        if not groups:
            return
        store = self._store
        store.drop_prefetched()  # what came with the lock is older than this commit
        if store.defers_commit():  # a step of a worker's batch: it goes out with the others (redis_batch.py)
            held = store.held_contact()
            keys, args = self.checks(held)
            more_keys, more_args = apply_args(groups)
            store.defer_commit(keys + more_keys, args + more_args, touched=set(self._contacts) | set(self._sessions),
                               known=self.as_left(held), claims=self._claims)
            return
        rel = store.commit_release(self._done)
        # the lock's release goes after every write of the step: in the same
        # script on one Redis; on Cluster, its own group after the others (they
        # commit in order). EVAL, not the registered script: in a pipeline that
        # costs a SCRIPT EXISTS round trip
        release = [] if rel is None else [[("RELEASE_LOCK", (self._k.lock(rel[0]),), (rel[1],))]]
        if store.per_slot:  # Cluster: one MULTI/EXEC per slot, in order
            for group in groups + release:
                pipe = self._r.pipeline(transaction=True)
                for name, keys, args in group:
                    if name in SCRIPTS:
                        pipe.eval(SCRIPTS[name], len(keys), *keys, *args)
                    else:
                        pipe.execute_command(name, *keys, *args)
                pipe.execute()
        else:  # one Redis: the whole step in one script (as one MULTI/EXEC would, with one reply)
            self._apply_over_others(groups, release)
        if rel is not None:
            store.released_by_commit(rel)

    def _apply_over_others(self, groups: list[list], release: list[list]) -> None:
        """The commit as one APPLY that CHECKs each contact record it rewrites
        is still as read. When one changed (a status callback's opt-out, a
        coordinator's edit: writers without the contact's lock), nothing is
        written; the fields this step changed (from what it read: a form that
        saves a field as it loaded it has not changed it) are laid over the
        record as it is now and the commit goes again, so what the other wrote
        to any other field stands, as if it had come just before. A contact
        removed meanwhile stays removed: this step writes no record, session or
        timer of theirs (its reply and other records still go)."""
        store = self._store
        for attempt in range(CONFLICT_TRIES):
            keys, args = self.checks(held=None)
            more_keys, more_args = apply_args(groups + release)
            if store._apply(keys=keys + more_keys, args=args + more_args, client=store.r) != -1:
                return
            if attempt:
                time.sleep(random.uniform(0, CONFLICT_PAUSE * 2 ** min(attempt, 6)))
            self._lay_changes_over_fresh_records()
            groups = self.groups()
        self.give_back_claims()  # nothing of the step was written
        raise StoreConflict(f"contact records kept changing under a commit ({CONFLICT_TRIES} tries)")

    def _lay_changes_over_fresh_records(self) -> None:
        cids = [cid for cid in self._contacts if cid in self._read_raw]
        for cid, raw in zip(cids, self._r.mget([self._k.contact(cid) for cid in cids])):
            if raw == self._read_raw[cid]:
                continue
            self._written_raw.pop(cid, None)
            if raw is None:  # removed (members remove, forget) while this step ran: none of it comes back
                del self._contacts[cid], self._read_raw[cid]
                self._sessions.pop(cid, None)
                for tid in [tid for tid, (owner, _timer) in self._timers.items() if owner == cid]:
                    del self._timers[tid]
                continue
            fresh = loads(raw)
            rec = {**copy_containers(fresh), **self._own_changes(cid)}
            self._contacts[cid], self._read_raw[cid], self._read_contacts[cid] = rec, raw, fresh

    def _own_changes(self, cid: str) -> dict:
        """The fields of ``cid``'s record this step changed from what it read
        (from a new record's defaults when there was none)."""
        base = self._read_contacts.get(cid) or new_record(cid)
        return {k: v for k, v in self._contacts[cid].items() if k not in base or base[k] != v}

    def as_left(self, contact_id: str) -> dict:
        """``contact_id``'s record and session as this step leaves them (the
        raw values its commit writes, or read and kept): what the contact's
        next step in a batch reads without waiting for this commit."""
        known = {}
        if contact_id in self._contacts:
            known["contact"] = self._contact_raw(contact_id)
        elif contact_id in self._read_raw:
            known["contact"] = self._read_raw[contact_id]
        if contact_id in self._sessions:
            known["session"] = self._sessions[contact_id]
        return known

    def _contact_raw(self, contact_id: str) -> str:
        if contact_id not in self._written_raw:
            self._written_raw[contact_id] = dumps(self._contacts[contact_id])
        return self._written_raw[contact_id]

    def checks(self, held: str | None) -> tuple[list, list]:
        """APPLY's CHECKs: each contact record this step read and rewrites, and
        that of the contact whose step it is, must still be as read. The
        latter also chains one contact's batched steps: the next one reads
        what this one leaves (``as_left``), so when this one is refused, so
        is every later one of that contact, never applied on top of a state
        that was not written."""
        keys, args = [], []
        for cid, raw in self._read_raw.items():
            if cid in self._contacts or cid == held:
                keys.append(self._k.contact(cid))
                args += ["CHECK", "1", "1", raw or ""]
        return keys, args

    def groups(self) -> list[list]:
        """The buffered writes as per-slot groups of ``(command, keys, args)``
        (a Redis command, or one of ``SCRIPTS`` by name), data before indexes."""
        k, store = self._k, self._store
        out: list[list] = []
        # 1. data: each contact (record, session, timer data), then each record kind
        per_contact: dict[str, list] = {}

        def ops(cid: str) -> list:
            return per_contact.setdefault(cid, [])

        for cid in self._contacts:
            ops(cid).append(("SET", (k.contact(cid),), (self._contact_raw(cid),)))
        for cid, v in self._sessions.items():
            ops(cid).append(("SET", (k.session(cid),), (v,)))
        for tid, cid in self._cancels.items():
            ops(cid).append(("HDEL", (k.timers(cid),), (tid,)))
        for tid, (cid, timer) in self._timers.items():
            ops(cid).append(("HSET", (k.timers(cid),), (tid, dumps(timer))))
        for cid, seqs in self._done.items():
            ops(cid).append(("ZREM", (k.inbound_pending(cid),), seqs))
            ops(cid).append(("HDEL", (k.inbound(cid),), seqs))
        out += per_contact.values()

        per_kind: dict[str, list] = {}
        stamp = time.time()
        for (kind, rid), data in self._records.items():
            per_kind.setdefault(kind, []).extend([
                ("HSET", (k.records(kind),), (rid, dumps(data))),
                ("ZADD", (k.records_order(kind),), ("NX", stamp, rid)),
            ])
        out += per_kind.values()

        # 2. global: outbox, schedule, contact list, audit
        if self._outbox:
            out.append([store.outbound_op(m) for m in self._outbox])
        sched: list = []
        for tid in self._cancels:
            sched += [("ZREM", (k.schedule(),), (tid,)), ("HDEL", (k.timer_owner(),), (tid,))]
        for tid, (cid, timer) in self._timers.items():
            sched += [("ZADD", (k.schedule(),), (epoch(timer["at"]), tid)), ("HSET", (k.timer_owner(),), (tid, cid))]
        if sched:
            out.append(sched)
        if self._contacts:
            out.append([("SADD", (k.contacts_index(),), tuple(self._contacts))])
        if self._audit:
            out.append([("RPUSH", (k.audit(),), tuple(dumps(e) for e in self._audit))])
        return out


# what a group may name besides Redis commands: run as these scripts (APPLY has them as functions)
SCRIPTS = {"ADD_OUTBOUND": lua.ADD_OUTBOUND, "RELEASE_LOCK": lua.RELEASE_LOCK}


# Counts as the text Redis receives anyway: hiredis packs an int argument
# about twice as slowly as a str one, and a step's APPLY has a dozen counts.
_COUNTS = tuple(str(n) for n in range(64))


def _count(n: int) -> str:
    return _COUNTS[n] if n < 64 else str(n)


def apply_args(groups: list[list]) -> tuple[list, list]:
    """KEYS and ARGV of ``lua.APPLY`` for the groups' commands, in order."""
    keys: list = []
    args: list = []
    for group in groups:
        for name, cmd_keys, cmd_args in group:
            keys.extend(cmd_keys)
            args.extend((name, _count(len(cmd_keys)), _count(len(cmd_args))))
            args.extend(cmd_args)
    return keys, args
