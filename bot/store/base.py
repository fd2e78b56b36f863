"""The store interface: one contract, implemented by SQLite (embedded) and Redis
(scaled). ``tests/store_contract.py`` runs the same suite against both.

Values crossing this interface are plain: dicts of JSON-safe values, except
datetimes (timezone-aware) which every implementation stores and gives back as
aware datetimes (UTC is fine), and :class:`~bot.engine.model.Session`.

Two levels:

* :class:`Store` methods are each atomic on their own (idempotent inbound
  recording, timer claiming, outbox leasing, record claims, the contact lock).
* :meth:`Store.transaction` yields a :class:`Tx`: the reads and writes of one
  conversation step. Writes become visible together at the end of the
  ``with`` block, or not at all if it raises. (Redis buffers them and commits
  with MULTI/EXEC; SQLite uses one ``BEGIN IMMEDIATE`` transaction.) Reads
  inside a Tx see the Tx's own earlier writes. A nested ``transaction()`` on
  the same thread joins the outer one.
* Writers that do not hold a contact's lock (a status callback's opt-out, a
  coordinator's edit) may change a contact record that a step holding the
  lock has read. A commit never undoes that: it keeps every field it did not
  itself change from what it read as the other writer left it (SQLite: the
  write lock taken at ``BEGIN IMMEDIATE`` orders the two; Redis: the commit
  checks each record it rewrites and lays its own changes over one that
  changed, ``redis_tx.py``).
* Every :class:`Tx` method is also a method of the store itself, run as its
  own small transaction when called outside one (the conductor reads
  ``store.get_contact`` and writes ``store.audit`` that way).

Dicts a store returns are copies: changing them never changes the store.

Records: services keep their own kinds of record (``childcare.request``,
``cleaning.task``, ``ledger.entry``, ``peer.post`` …) without touching the
store core: a record is ``(kind, id) -> data dict`` plus a few declared index
fields to find it by (``find_records(kind, field=value)``): equality on
top-level fields, type-sensitive (``2`` is not ``"2"``), several fields ANDed.
Records come back exactly as stored (no id or kind added).
"""
from __future__ import annotations

import hashlib

from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Protocol

from ..engine.model import Session


# what an erased text reads (data rights, retention)
ERASED = "[erased]"
#: an outbox message not yet handed to its provider (``unsent_before``), and the fields it reads
UNSENT = frozenset({"queued", "sending"})
UNSENT_FIELDS = ("id", "status", "channel", "attempts", "retry_at", "lease_until")


class StoreConflict(RuntimeError):
    """A commit that kept meeting records changed under it (other writers
    without the contact's lock, many times in a row) and gave up: nothing of
    it was written. Like a store outage, the step fails whole and goes again."""


class Tx(Protocol):
    # contacts (dicts as in bot.store.contacts.new_record)
    def get_contact(self, contact_id: str) -> dict | None: ...
    def upsert_contact(self, contact_id: str, **changes: Any) -> dict: ...
    # sessions
    def get_session(self, contact_id: str) -> Session | None: ...
    def save_session(self, session: Session) -> None: ...
    # timers: fire ``event`` with ``data`` into ``contact``'s session at ``at``
    def add_timer(self, timer_id: str, contact: str, at: datetime, event: str, data: dict) -> None: ...
    def cancel_timer(self, timer_id: str) -> None: ...
    # outbox: msg has id, to, text, key, choices, lang, channel, status="queued", created_at
    def add_outbound(self, msg: dict) -> None: ...
    # inbound log: the step that handled a message marks it, in its own transaction
    def mark_inbound_done(self, contact: str, seq: int) -> None: ...
    # records and audit
    def add_record(self, kind: str, data: dict) -> None:
        """put_record under ``data["id"]`` when it has one, else under a fresh id."""
    def put_record(self, kind: str, record_id: str, data: dict) -> None: ...
    def get_record(self, kind: str, record_id: str) -> dict | None: ...
    def audit(self, entry: dict) -> None: ...
    # Store-level reads and the claim, also available inside a step (actions
    # get the Tx). find_records sees the step's own writes of records that
    # carry an ``id`` field; claim is atomic at once, not at commit.
    def find_records(self, kind: str, **where: Any) -> list[dict]: ...
    def list_contacts(self, role: str | None = None) -> list[dict]: ...
    def claim(self, kind: str, record_id: str, claimer: str) -> bool: ...


class Store(Protocol):
    def ping(self) -> bool:
        """True when the store answers (GET /healthz)."""

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def contact_lock(self, contact_id: str, timeout: float = 10.0) -> AbstractContextManager[None]:
        """One step per contact at a time, across threads and processes.

        Raises :class:`TimeoutError` when not acquired within ``timeout``
        seconds. Take it before opening a transaction, never inside one."""

    # inbound log: idempotent on (channel, provider_id)
    def record_inbound(self, channel: str, provider_id: str, contact: str, text: str,
                       received_at: datetime, meta: dict | None = None) -> int | None:
        """Log an inbound message; its per-contact sequence number, or None when
        this (channel, provider_id) was seen before (a provider retry)."""

    def receive(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                meta: dict | None = None, timeout: float = 10.0) -> AbstractContextManager[int | None]:
        """``record_inbound`` then ``contact_lock``: a context manager that holds
        the contact's lock and yields the new message's sequence number (None
        for a repeat). What the pipeline does with every inbound; Redis does
        both in one round trip. The other stores use :func:`receive_then_lock`."""

    def queue_inbound(self, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                      meta: dict | None = None) -> int | None:
        """``record_inbound`` and, in the same commit, the contact's drain timer
        (:func:`drain_timer_id`, event :data:`DRAIN_EVENT`) due at
        ``received_at``: a worker's ``Pipeline.fire_due`` then steps every
        pending message of the contact under its lock. For a webhook that
        answers before the step (``INBOUND_STEP=worker``). The timer is set for
        a repeat too: a first attempt that failed after recording is drained
        all the same. Redis also wakes a waiting worker (:meth:`wait_for_work`).
        The other stores use :func:`queue_then_drain`."""

    def requeue_stranded_inbound(self, now: datetime) -> int:
        """Sweeper: a drain timer due ``now`` for every contact with pending
        inbound messages and none set (a worker died after claiming the drain,
        before its step committed). Returns how many were set."""

    def release_with_commit(self, contact: str) -> None:
        """The step about to run is the last of this lock's hold: its commit may
        release the contact's lock too (Redis: one round trip fewer per message).
        A commit without that step's handled mark, or a failed one, leaves the
        lock to the context manager as usual. The other stores do nothing."""

    def step_batch(self, contacts: Iterable[str]) -> AbstractContextManager["StepBatch"]:
        """A worker's round of due timers, stepped with a few round trips in all
        rather than two per step. Inside it, ``contact_lock`` of a contact in
        ``StepBatch.locked`` costs nothing (the batch took every lock it could
        in one round trip, and loaded what each step reads first), and the
        steps' commits go out together: on this thread a read sends them
        first, so every step still sees the ones before it; the rest go, and
        the locks are released, when the block ends. A commit whose contact's
        record changed under it (a status callback, a coordinator's edit) is
        refused whole; its contact lands in ``StepBatch.failed`` after the
        block, to be stepped again. Step only ``locked`` contacts inside the
        block: the others are held by someone else, and waiting on them while
        holding the batch's locks could deadlock two workers. Redis on one
        server batches; per-slot Redis, SQLite and memory use
        :func:`unbatched` (nothing locked: every timer takes its own lock)."""

    def pending_inbound(self, contact: str) -> list[dict]:
        """Inbound messages of ``contact`` not yet handled, in arrival order:
        dicts with channel, provider_id, contact, seq, text, received_at, meta."""


    # timers
    def get_timer(self, timer_id: str) -> dict | None:
        """A scheduled timer ({id, contact, at, event, data}) without claiming
        it, or None (fired, cancelled, never set): the board shows when a
        job is due."""

    def claim_due_timers(self, now: datetime, limit: int = 100) -> list[dict]:
        """Remove and return timers due at ``now`` (``at <= now``), earliest first, as
        dicts with id, contact, at, event, data; each is returned to one caller only.
        Adding a timer with an existing id replaces it."""

    # outbox
    def lease_outbound(self, now: datetime, lease_seconds: float, limit: int = 50) -> list[dict]:
        """Queued messages (and 'sending' ones whose lease ran out) become
        'sending' with a lease, oldest first; each goes to one caller only.
        A 'queued' message with a ``retry_at`` waits until then. Returned dicts
        are the message plus status, lease_until, attempts, retry_at."""

    def mark_outbound(self, msg_id: str, status: str, now: datetime, **fields: Any) -> None:
        """Set status ('sent', 'failed', 'queued' for a retry at ``retry_at``,
        'delivered'…) and fields such as provider_id, error, attempts. Any status
        but 'sending' clears lease_until. An unknown id is ignored."""

    def list_outbound(self, to: str | None = None, status: str | None = None, limit: int = 1000) -> list[dict]:
        """The newest ``limit`` matching messages, oldest first."""

    def unsent_before(self, to: str, msg_id: str, limit: int = 10) -> list[dict]:
        """``to``'s messages written before ``msg_id`` and still 'queued' or
        'sending', among their newest ``limit``, oldest first: each with id,
        status, channel, attempts, retry_at and lease_until only (the outbox's
        per-person order, read as each message is sent). Empty when ``msg_id``
        is not among them."""

    # pacing (send rates shared by every worker process)
    def rate_wait(self, key: str, interval: float, now: datetime, burst: int = 1) -> float:
        """A generic cell rate limiter (GCRA): 0.0 when a send under ``key`` may go
        now (and it is counted), else the seconds to wait (nothing counted).
        ``interval`` is the seconds between sends at the steady rate; ``burst``
        sends may go back to back."""

    # records
    def claim(self, kind: str, record_id: str, claimer: str) -> bool:
        """Atomically claim a record: True for the first caller only (even the same claimer
        gets False the second time). A claim won inside a transaction that
        then writes nothing (it raised, or its commit was refused) is given
        back: the step run again, or a rival, can win it."""

    def find_records(self, kind: str, **where: Any) -> list[dict]: ...

    # members
    def list_contacts(self, role: str | None = None) -> list[dict]: ...
    def remove_contact(self, contact_id: str) -> bool:
        """Off the roster: their record, session, timers and inbound log go
        (nothing of theirs is left to step them again); True if they were on it."""
    def audit_entries(self, contact: str | None = None) -> Iterable[dict]: ...

    # removal (the admin's Data rights page, bot/web/rights.py)
    def delete_record(self, kind: str, record_id: str) -> bool:
        """Remove one record (and its claim); True when it existed. Atomic on its own."""

    def inbound_log(self, contact: str) -> list[dict]:
        """Every inbound message of ``contact`` the store still holds, in arrival
        order, as :meth:`pending_inbound` gives them plus ``done``: the pending
        ones always; handled ones while the store keeps them (SQLite and memory
        do; Redis drops a message once handled). For a member's data export."""

    def record_kinds(self) -> list[str]:
        """Every record kind with at least one record, sorted."""

    def forget_contact(self, contact_id: str, token: str) -> None:
        # (also: outbox rows to others that this contact's steps wrote, field
        # ``by``, keep their status and times but their text becomes ERASED)
        """Erase what the store core holds of a contact: its record, session,
        timers, inbound log and the outbox rows to it. Audit entries and record
        claims are kept with ``token`` in place of the id (see :func:`pseudonymise`). Running it
        again (after an interruption) finishes the job."""

    # retention (peer support's PEER_RETENTION_DAYS, bot/services/peer_erase.py)
    def erase_outbound_texts(self, key_prefix: str | tuple[str, ...], before: datetime, text: str = "") -> int:
        """Put ``text`` in place of the text of every outbox row whose ``key``
        starts with ``key_prefix`` (or one of several: one walk for all),
        created before ``before``, and no longer
        waiting to go (status neither 'queued' nor 'sending'). Status, times and
        every other field stay. How many rows changed."""

    def erase_inbound_text(self, contact: str, seq: int, text: str = "") -> bool:
        """Put ``text`` in place of the text of ``contact``'s inbound message
        ``seq``, if the store still holds it; everything else stays. True when
        it changed."""


def unsent_among(newest: list[dict], msg_id: str) -> list[dict]:
    """:meth:`Store.unsent_before` from a person's newest messages (oldest
    first, each with the ``UNSENT_FIELDS``): those before ``msg_id`` still to go."""
    ids = [m["id"] for m in newest]
    if msg_id not in ids:
        return []
    return [{k: m.get(k) for k in UNSENT_FIELDS} for m in newest[:ids.index(msg_id)] if m["status"] in UNSENT]


def pseudonymise(value: Any, contact_id: str, token: str) -> Any:
    """``value`` with every string equal to ``contact_id`` (at any depth) replaced by ``token``."""
    if isinstance(value, str):
        return token if value == contact_id else value
    if isinstance(value, dict):
        return {k: pseudonymise(v, contact_id, token) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(pseudonymise(v, contact_id, token) for v in value)
    return value


@dataclass
class StepBatch:
    """What :meth:`Store.step_batch` holds."""

    locked: frozenset = frozenset()  # contacts whose lock the batch holds: step these inside it
    failed: set = field(default_factory=set)  # after the block: contacts whose step did not commit


@contextmanager
def unbatched(contacts: Iterable[str] = ()):
    """:meth:`Store.step_batch` for a store that commits each step on its own."""
    yield StepBatch()


#: the timer event that steps a contact's pending inbound messages
DRAIN_EVENT = "inbound.drain"


def drain_timer_id(contact: str) -> str:
    """One drain timer per contact (a second message only moves it), named
    without the number so logs of timers never show it."""
    return "in:" + hashlib.blake2b(contact.encode(), digest_size=8).hexdigest()


def queue_then_drain(store, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                     meta: dict | None = None) -> int | None:
    """:meth:`Store.queue_inbound` from the primitives, in one transaction."""
    with store.transaction() as tx:
        seq = tx.record_inbound(channel, provider_id, contact, text, received_at, meta)
        tx.add_timer(drain_timer_id(contact), contact, received_at, DRAIN_EVENT, {})
    return seq


def requeue_drains(store, contacts, now: datetime) -> int:
    """:meth:`Store.requeue_stranded_inbound` for ``contacts`` (those with pending messages)."""
    n = 0
    for contact in contacts:
        if store.get_timer(drain_timer_id(contact)) is None:
            store.add_timer(drain_timer_id(contact), contact, now, DRAIN_EVENT, {})
            n += 1
    return n


@contextmanager
def receive_then_lock(store, channel: str, provider_id: str, contact: str, text: str, received_at: datetime,
                      meta: dict | None = None, timeout: float = 10.0):
    """:meth:`Store.receive` from the two primitives."""
    seq = store.record_inbound(channel, provider_id, contact, text, received_at, meta)
    with store.contact_lock(contact, timeout=timeout):
        yield seq
