"""A worker's round of due timers on one Redis, in a few round trips in all
(``Store.step_batch``; the contract is in ``base.py``).

Stepped one by one, each drain costs two round trips in a row: lock and load,
then commit. On this machine a round trip costs the worker more CPU than the
step itself (system calls, redis-py's packing and parsing), so a worker whose
backlog is many contacts' messages spends most of its time on them. A batch
locks and loads every contact of the round in one pipeline, then runs the
steps. The steps' commits (each its own ``APPLY`` script, so each step is
still all or nothing) are written to the round's connection as steps end, a
few at a time, and their replies read later: Redis runs those commits while
the worker runs the next steps, on the machine's other core, instead of the
worker waiting for all of them at the round's end. The locks' releases
follow the last commit.

What keeps that as safe as stepping one by one:

* Read your writes. Before this thread's next read of Redis
  (``RedisStore.r``), the replies of every commit sent so far are read, so
  they are written: a step that reads what an earlier step of the batch wrote
  (a record, another contact) sees it, exactly as it would have one by one.
* What was loaded with a lock is used once, by its own contact's step, and
  dropped when an earlier commit of the batch rewrote that contact.
* Other processes may write a contact's record without its lock (a status
  callback's opt-out, a coordinator's edit), and a batch holds what it loaded
  for longer than one step does. So each batched commit CHECKs that every
  contact record it rewrites is still the one it read; if not, the whole
  commit is refused, the claims the step won are given back, and the
  contact is stepped again from fresh reads (``StepBatch.failed``).
* Locks are released only after the commits are written: on the same
  connection, after them (Redis runs one connection's commands in order).
* A commit whose reply is lost with the connection may or may not have been
  written: its contact is stepped again (the step's ``last_seq`` check keeps
  a message that was handled from being handled twice), as after any store
  failure mid-step. A commit that found the script gone (Redis restarted
  or flushed its scripts) wrote nothing and is refused like a changed record.

Redis Cluster (``per_slot``) commits a step as one MULTI/EXEC per slot, which
this does not batch: there every timer takes its own lock, as before.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from redis.exceptions import ConnectionError, NoScriptError, ResponseError

from .base import StepBatch, unbatched

log = logging.getLogger(__name__)


class _Commit(NamedTuple):
    """A batched step's commit, sent, its reply not read yet."""

    contact: str
    claims: list  # (kind, id, claimer) the step won: given back if the commit is refused


class _Release(NamedTuple):
    """A lock's release at the round's end, its reply not read yet."""

    contact: str
    token: str


SEND_EVERY = 16  # commits written together: each write wakes Redis (measured: 8-32 alike, 1 much worse)


class _Stream:
    """Scripts written to one connection of the pool, ``SEND_EVERY`` at a
    time, their replies read later, in order (``replies``). A connection that
    failed takes every reply not read yet with it: those come back as the
    error."""

    def __init__(self, pool):
        self.pool = pool
        self.conn = None
        self.sent: list = []  # what each reply not read yet answers
        self.unsent: list = []  # commands not written yet
        self.owed = 0  # replies to commands written, not read yet
        self.broken: Exception | None = None

    def send(self, calls: list[tuple]) -> None:
        """``(script, KEYS, ARGV, what)`` calls, by EVALSHA: written once
        ``SEND_EVERY`` wait (each write wakes Redis, which costs about what
        running a commit does), or when the replies are read."""
        self.sent += [what for *_, what in calls]
        self.unsent += [("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args, _ in calls]
        if len(self.unsent) >= SEND_EVERY:
            self._write()

    def _write(self) -> None:
        commands, self.unsent = self.unsent, []
        if self.broken is not None or not commands:
            return
        try:
            if self.conn is None:
                self.conn = self.pool.get_connection()
                self.conn.register_connect_callback(self._reconnected)
            # no health check: its PING's reply would be read out of turn
            self.conn.send_packed_command(self.conn.pack_commands(commands), check_health=False)
            self.owed += len(commands)
        except Exception as exc:  # noqa: BLE001 - reported with the replies
            self.broken = exc

    def _reconnected(self, conn) -> None:
        """redis-py connects again to send on a connection that was closed:
        replies still owed on the old one are lost, and the new one's would be
        read in their place."""
        if self.owed:
            raise ConnectionError("a batch's connection closed with replies still to read")

    def replies(self) -> list[tuple]:
        """``(what, reply)`` for everything sent since the last call, in order;
        an exception object for a call that failed."""
        self._write()
        sent, self.sent = self.sent, []
        out = []
        for what in sent:
            if self.broken is not None:
                out.append((what, self.broken))
                continue
            try:
                reply = self.conn.read_response()
            except ResponseError as exc:  # this call's own error (NOSCRIPT…): the next reply is still there
                reply = exc
            except Exception as exc:  # noqa: BLE001 - the connection is gone
                self.broken = reply = exc
            self.owed -= 1
            out.append((what, reply))
        return out

    def close(self) -> None:
        if self.conn is not None:
            self.conn.deregister_connect_callback(self._reconnected)
            if self.broken is not None or self.sent:
                self.conn.disconnect()
            self.pool.release(self.conn)
            self.conn = None


@dataclass
class _Round:
    held: dict[str, str]  # contact -> the batch's lock token
    loaded: dict[str, tuple]  # contact -> LOCK_AND_LOAD's reply, until its step takes it
    result: StepBatch
    stream: _Stream


class RedisBatching:
    """``RedisStore``'s step batches (the store's ``_local``, ``keys``, scripts and ``_pooled`` pool)."""

    @contextmanager
    def step_batch(self, contacts: Iterable[str]):
        local = self._local
        if self.per_slot or getattr(local, "round", None) is not None:
            with unbatched() as nothing:
                yield nothing
            return
        tokens = {c: os.urandom(16).hex() for c in dict.fromkeys(contacts)}  # as random as a uuid4, faster
        ttl = int(self.lock_ttl * 1000)
        replies = self.run_scripts([(self._lock_and_load, self._lock_keys(c), [t, ttl]) for c, t in tokens.items()])
        if any(isinstance(reply, Exception) for reply in replies):  # the round goes nowhere; its timers go back
            raise next(reply for reply in replies if isinstance(reply, Exception))
        held = {c: t for (c, t), got in zip(tokens.items(), replies) if got}
        round_ = _Round(held, {c: got for c, got in zip(tokens, replies) if got}, StepBatch(frozenset(held)),
                        _Stream(self._pooled.connection_pool))
        local.round = round_
        try:
            yield round_.result
        finally:
            local.round = None
            try:
                self._settle(round_, release=True)
            finally:
                round_.stream.close()

    def run_scripts(self, calls: list[tuple]) -> list:
        """``(script, KEYS, ARGV)`` calls in one pipeline, in order; a reply per
        call, an exception object for a call that failed. By EVALSHA: a
        registered script called in a pipeline first costs a round trip of
        SCRIPT EXISTS. Calls that find the script gone (Redis restarted) ran
        nothing, so they are loaded and run again, in order."""
        pipe = self._pooled.pipeline(transaction=False)
        for script, keys, args in calls:
            pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        replies = pipe.execute(raise_on_error=False)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            for script in {calls[i][0] for i in missing}:
                script.sha = self._pooled.script_load(script.script)
            pipe = self._pooled.pipeline(transaction=False)
            for i in missing:
                script, keys, args = calls[i]
                pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            for i, reply in zip(missing, pipe.execute(raise_on_error=False)):
                replies[i] = reply
        return replies

    def defers_commit(self) -> bool:
        """True inside a batch, during a step of one of its contacts."""
        round_ = getattr(self._local, "round", None)
        held = getattr(self._local, "held", None)
        return round_ is not None and held is not None and round_.held.get(held[0]) == held[1]

    def held_contact(self) -> str:
        return self._local.held[0]

    def defer_commit(self, keys: list, args: list, touched: set[str], known: dict, claims: list) -> None:
        """Send a step's commit, its reply read later. ``known``: its own contact's record
        and session as the commit leaves them, which that contact's next step
        reads first (one contact's backlog is several steps in a row).
        ``claims``: what the step won, given back if its commit is refused."""
        local = self._local
        round_, held = local.round, local.held[0]
        round_.stream.send([(self._apply, keys, args, _Commit(held, claims))])
        for contact in touched:  # what came with their locks is older than this commit
            round_.loaded.pop(contact, None)
        local.prefetch = {"id": held, **known}

    def hold_in_batch(self, contact_id: str) -> bool:
        """Enter ``contact_lock`` on a contact whose lock the batch holds: no
        round trip, and what came with the lock is this step's to read first."""
        round_ = getattr(self._local, "round", None)
        if round_ is None or contact_id not in round_.held:
            return False
        self._local.held = (contact_id, round_.held[contact_id])
        got = round_.loaded.pop(contact_id, None)
        if got:
            self._prefetch(contact_id, *got)
        return True

    def in_batch(self) -> bool:
        return getattr(self._local, "round", None) is not None

    def send_waiting_commits(self) -> None:
        """Before this thread reads Redis: the batch's commits so far are written."""
        round_ = getattr(self._local, "round", None)
        if round_ is not None and round_.stream.sent:
            self._settle(round_, release=False)

    def _settle(self, round_: _Round, release: bool) -> None:
        """Read the replies of the commits sent so far; with ``release``
        (the round's end), release the round's locks after them."""
        stream = round_.stream
        if release:
            stream.send([(self._release_lock, [self.keys.lock(c)], [t], _Release(c, t))
                         for c, t in round_.held.items()])
        refused_claims: list = []
        unreleased: list = []
        for what, reply in stream.replies():
            if isinstance(what, _Release):
                if isinstance(reply, NoScriptError):  # after the commits all the same: release it again
                    unreleased.append((self._release_lock, [self.keys.lock(what.contact)], [what.token]))
                elif isinstance(reply, Exception):  # its lock, if Redis kept it, lapses after lock_ttl
                    log.warning("a batch's lock release failed: %s", reply)
                continue
            if isinstance(reply, NoScriptError) or reply == -1:
                # nothing written (-1: its contact record changed under it):
                # its claims go back before it runs again
                refused_claims += what.claims
            elif isinstance(reply, Exception):  # written or not, unknown: its claims stay
                log.warning("a batched commit of a step failed: %s", reply)
            else:
                continue
            round_.result.failed.add(what.contact)
        if refused_claims:
            self.give_back_claims(refused_claims)
        if unreleased:
            self.run_scripts(unreleased)
