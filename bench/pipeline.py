"""The message pipeline, inbound to outbox, in one process on one core (one
thread, not pinned: pinning this process to a CPU made each Redis round trip
several times slower here, as it then shares that CPU with the network).

Run from the repo root (Redis at ``REDIS_URL_BENCH``, default
``redis://127.0.0.1:6379/15``; the bench writes under a key prefix of its own
and deletes it afterwards):

    .venv/bin/python bench/pipeline.py            # ~20 s
    .venv/bin/python bench/pipeline.py --quick    # a smoke run

stdout holds only ``name: value`` lines; progress goes to stderr.

What one message costs here is everything between a provider's webhook and the
outbox: record the inbound (idempotent on the provider id), take the contact's
lock, read the pending inbound, run the engine step (the typical
prompt-and-answer step of bench/flows/bench.yaml), commit session + outbox row
+ "handled" mark in one store transaction, release the lock. Only the HTTP
parsing and the provider call are left out (those are ``bench/webhook.py``'s).
Many contacts take turns, as on a live line, and the clock moves one second per
message so no contact trips the hourly loop guard.

On Redis the line runs as the scaled profile does by default
(``INBOUND_STEP=worker``): each message is queued as the webhook queues it (one
script: record it and set its contact's drain timer), and after every turn of
all contacts the worker's ``fire_due`` steps what piled up, one step batch a
round (the contacts' locks and loads in one pipeline, the commits sent with the
releases). All of it runs in this one thread, one after the other.

Figures:
* ``pipeline_sqlite_msgs_per_s``: the embedded profile (stepped as received),
  median of the runs (target 1,500);
* ``pipeline_redis_msgs_per_s``: the Redis profile's default path above,
  queue and step both counted, median of the runs (target 3,000);
  ``pipeline_redis_worker_msgs_per_s`` is the worker's share of the same runs
  alone (what one worker process keeps up with), and
  ``pipeline_redis_inline_msgs_per_s`` the step inside the request instead
  (``INBOUND_STEP=webhook``: receive, step and commit, two round trips);
* ``redis_bytes_per_session``: ``MEMORY USAGE`` of one contact's session key
  after its conversation has run a while (target < 2 KB), and
  ``redis_bytes_per_contact`` for all of that contact's keys (contact record,
  session, inbound log and its indexes), for context.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import ANSWERS, PRIME_ANSWER, build_flowset  # noqa: E402  (bench/engine.py)

from bot.conversation import Conductor  # noqa: E402
from bot.engine.runner import Engine, Settings  # noqa: E402
from bot.pipeline import Inbound, Pipeline  # noqa: E402
from bot.runtime import UuidIds  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL_BENCH", "redis://127.0.0.1:6379/15")
START = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


class Clock:
    """One second per message: each of N contacts answers every N seconds."""

    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(seconds=1)


def contact(i: int) -> str:
    return f"+1415555{i:04d}"


class Line:
    """A pipeline on one store with ``contacts`` people each inside the bench loop.

    ``worker``: the scaled profile's path (``INBOUND_STEP=worker``): each
    message is queued as the webhook queues it, and after every turn of all
    contacts (what piles up between a busy worker's rounds) the worker's
    ``fire_due`` steps the lot; otherwise each message is stepped as it is
    received (``INBOUND_STEP=webhook``)."""

    def __init__(self, store, engine: Engine, contacts: int, worker: bool = False):
        self.store = store
        self.clock = Clock()
        conductor = Conductor(engine, store, UuidIds())
        self.pipe = Pipeline(store, conductor, self.clock)
        self.worker = Pipeline(store, conductor, self.clock, defer=True) if worker else None
        self.contacts = [contact(i) for i in range(contacts)]
        self.turn = {c: 0 for c in self.contacts}
        self.n = 0
        self.worker_seconds = 0.0  # of the last run, the worker's share
        with store.transaction() as tx:
            for c in self.contacts:
                tx.upsert_contact(c, lang="en")
        for c in self.contacts:  # into the loop: BENCH starts it, the prime answer leaves it on "hours"
            self.send(c, "BENCH")
            self.send(c, PRIME_ANSWER)

    def send(self, who: str, text: str, pipe: Pipeline | None = None) -> int:
        self.n += 1
        self.clock.tick()
        return len((pipe or self.pipe).inbound(Inbound("sms", f"B{self.n}", who, text)).sent)

    def run(self, messages: int) -> float:
        """Seconds for ``messages`` answers, contacts taking turns."""
        people = self.contacts
        self.worker_seconds = 0.0
        t0 = time.perf_counter()
        sent = 0
        for i in range(messages):
            who = people[i % len(people)]
            k = self.turn[who]
            self.turn[who] = k + 1
            sent += self.send(who, ANSWERS[k % len(ANSWERS)], self.worker)
            if self.worker is not None and ((i + 1) % len(people) == 0 or i + 1 == messages):
                w0 = time.perf_counter()
                sent += len(self.worker.fire_due())
                self.worker_seconds += time.perf_counter() - w0
        elapsed = time.perf_counter() - t0
        if sent != messages:  # every answer is valid: exactly one prompt back each
            raise SystemExit(f"expected {messages} replies, the pipeline queued {sent}")
        return elapsed


def sqlite_store(folder: str):
    from bot.store.sqlite import SQLiteStore

    return SQLiteStore(os.path.join(folder, f"bench-{uuid.uuid4().hex[:6]}.db"))


def redis_store(prefix: str):
    from bot.store.redis_store import RedisStore

    store = RedisStore(REDIS_URL, prefix=prefix)
    if not store.ping():
        raise SystemExit(f"Redis at {REDIS_URL} does not answer")
    return store


def drop_prefix(store) -> None:
    for key in store.r.scan_iter(match=f"{store.prefix}:*", count=1000):
        store.r.delete(key)


def measure(make, engine: Engine, contacts: int, messages: int, repeats: int, name: str,
            worker: bool = False) -> tuple[float, float, object]:
    """Medians of the runs: msgs/s, and msgs/s of the worker's share alone (0 inline)."""
    rates, worker_rates = [], []
    line = None
    for r in range(repeats):
        store = make()
        line = Line(store, engine, contacts, worker=worker)
        elapsed = line.run(messages)
        rates.append(messages / elapsed)
        worker_rates.append(messages / line.worker_seconds if worker else 0.0)
        log(f"{name} run {r + 1}: {messages / elapsed:,.0f} msgs/s"
            + (f" (the worker's share alone: {worker_rates[-1]:,.0f} msgs/s)" if worker else ""))
        if r < repeats - 1 and hasattr(store, "r"):
            drop_prefix(store)
    return statistics.median(rates), statistics.median(worker_rates), line


def redis_sizes(store, who: str) -> tuple[int, int]:
    keys = store.keys
    session = store.r.memory_usage(keys.session(who)) or 0
    total = sum(store.r.memory_usage(k) or 0 for k in keys.contact_keys(who) if store.r.exists(k))
    return session, total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smoke run")
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--contacts", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    if args.quick:
        args.messages, args.contacts, args.repeats = 300, 50, 1
    engine = Engine(build_flowset(), Settings())
    with tempfile.TemporaryDirectory() as folder:
        rate, _, _ = measure(lambda: sqlite_store(folder), engine, args.contacts, args.messages, args.repeats,
                             "sqlite")
        print(f"pipeline_sqlite_msgs_per_s: {rate:.0f}", flush=True)
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    inline, _, line = measure(lambda: redis_store(prefix), engine, args.contacts, args.messages, args.repeats,
                              "redis, stepped in the webhook")
    drop_prefix(line.store)
    rate, worker_rate, line = measure(lambda: redis_store(prefix), engine, args.contacts, args.messages,
                                      args.repeats, "redis, queued and stepped by a worker", worker=True)
    try:
        print(f"pipeline_redis_msgs_per_s: {rate:.0f}", flush=True)
        print(f"pipeline_redis_worker_msgs_per_s: {worker_rate:.0f}", flush=True)
        print(f"pipeline_redis_inline_msgs_per_s: {inline:.0f}", flush=True)
        session, total = redis_sizes(line.store, line.contacts[0])
        print(f"redis_bytes_per_session: {session}")
        print(f"redis_bytes_per_contact: {total}")
    finally:
        drop_prefix(line.store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
