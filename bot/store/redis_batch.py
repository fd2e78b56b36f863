"""A worker's round of due timers on one Redis, in a few round trips in all
(``Store.step_batch``; the contract is in ``base.py``).

Stepped one by one, each drain costs two round trips in a row: lock and load,
then commit. On this machine a round trip costs the worker more CPU than the
step itself (system calls, redis-py's packing and parsing), so a worker whose
backlog is many contacts' messages spends most of its time on them. A batch
locks and loads every contact of the round in one pipeline, runs the steps,
and sends all their commits (each its own ``APPLY`` script, so each step is
still all or nothing) with the locks' release in one more.

What keeps that as safe as stepping one by one:

* Read your writes. A commit waits in the batch only until this thread's next
  read of Redis (``RedisStore.r`` sends the waiting commits first), so a step
  that reads what an earlier step of the batch wrote (a record, another
  contact) sees it, exactly as it would have one by one.
* What was loaded with a lock is used once, by its own contact's step, and
  dropped when an earlier commit of the batch rewrote that contact.
* Other processes may write a contact's record without its lock (a status
  callback's opt-out, a coordinator's edit), and a batch holds what it loaded
  for longer than one step does. So each batched commit CHECKs that every
  contact record it rewrites is still the one it read; if not, the whole
  commit is refused, the claims the step won are given back, and the
  contact is stepped again from fresh reads (``StepBatch.failed``).
* Locks are released only after the commits are written: in the same
  pipeline, after them.

Redis Cluster (``per_slot``) commits a step as one MULTI/EXEC per slot, which
this does not batch: there every timer takes its own lock, as before.
"""
from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from redis.exceptions import NoScriptError

from .base import StepBatch, unbatched

log = logging.getLogger(__name__)


class _Commit(NamedTuple):
    """A batched step's commit, waiting to be sent."""

    contact: str
    keys: list  # APPLY's KEYS
    args: list  # and ARGV
    claims: list  # (kind, id, claimer) the step won: given back if the commit is refused


@dataclass
class _Round:
    held: dict[str, str]  # contact -> the batch's lock token
    loaded: dict[str, tuple]  # contact -> LOCK_AND_LOAD's reply, until its step takes it
    result: StepBatch
    waiting: list[_Commit] = field(default_factory=list)


class RedisBatching:
    """``RedisStore``'s step batches (the store's ``_local``, ``keys``, scripts and ``_pooled`` pool)."""

    @contextmanager
    def step_batch(self, contacts: Iterable[str]):
        local = self._local
        if self.per_slot or getattr(local, "round", None) is not None:
            with unbatched() as nothing:
                yield nothing
            return
        tokens = {c: uuid.uuid4().hex for c in dict.fromkeys(contacts)}
        ttl = int(self.lock_ttl * 1000)
        replies = self.run_scripts([(self._lock_and_load, self._lock_keys(c), [t, ttl]) for c, t in tokens.items()])
        if any(isinstance(reply, Exception) for reply in replies):  # the round goes nowhere; its timers go back
            raise next(reply for reply in replies if isinstance(reply, Exception))
        held = {c: t for (c, t), got in zip(tokens.items(), replies) if got}
        round_ = _Round(held, {c: got for c, got in zip(tokens, replies) if got}, StepBatch(frozenset(held)))
        local.round = round_
        try:
            yield round_.result
        finally:
            local.round = None
            self._send_waiting(round_, release=True)

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
        """Keep a step's commit for later. ``known``: its own contact's record
        and session as the commit leaves them, which that contact's next step
        reads first (one contact's backlog is several steps in a row).
        ``claims``: what the step won, given back if its commit is refused."""
        local = self._local
        round_, held = local.round, local.held[0]
        round_.waiting.append(_Commit(held, keys, args, claims))
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
        """Before this thread reads Redis: the batch's commits so far."""
        round_ = getattr(self._local, "round", None)
        if round_ is not None and round_.waiting:
            self._send_waiting(round_, release=False)

    def _send_waiting(self, round_: _Round, release: bool) -> None:
        waiting, round_.waiting = round_.waiting, []
        if not waiting and not release:
            return
        calls = [(self._apply, commit.keys, commit.args) for commit in waiting]
        if release:  # after the commits: a lock is free only once its step is written
            calls += [(self._release_lock, [self.keys.lock(c)], [t]) for c, t in round_.held.items()]
        try:
            replies = self.run_scripts(calls)
        except Exception as exc:  # noqa: BLE001 - nothing known written: every step goes again
            # (their locks, if Redis kept them, lapse after lock_ttl)
            log.warning("a batch of %d commits failed: %s", len(waiting), exc)
            round_.result.failed.update(commit.contact for commit in waiting)
            return
        refused_claims: list = []
        for commit, reply in zip(waiting, replies):
            if isinstance(reply, Exception) or reply == -1:  # -1: its contact record changed under it
                if isinstance(reply, Exception):  # written or not, unknown: its claims stay
                    log.warning("a batched commit of a step failed: %s", reply)
                else:  # refused, nothing written: its claims go back before it runs again
                    refused_claims += commit.claims
                round_.result.failed.add(commit.contact)
        if refused_claims:
            self.give_back_claims(refused_claims)
