"""Wiring: the store, the live flows, the conductor, the pipeline and the jobs
for one of the two profiles (DESIGN.md, "Runtime profiles").

* embedded (nothing set): SQLite file, and a worker thread inside the web
  process that fires timers and sends the outbox;
* scaled (``REDIS_URL``): Redis, and RQ jobs run by ``worker.py`` processes.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import Config
from .conversation import Conductor
from .flowfiles import LiveFlows
from .outbox import OutboxWorker
from .pipeline import Pipeline
from .services.send_gates import SEND_GATES
from .services.startup import schedule_recurring


class UuidIds:
    """Ids for the live line: unique across processes and restarts. 64 random
    bits as 16 hex digits (the first 16 of a uuid4's, which hold 60, took
    four times as long, and every reply takes an id)."""

    def next(self, prefix: str) -> str:
        return f"{prefix}{os.urandom(8).hex()}"


def open_store(cfg: Config) -> Any:
    if cfg.redis_url:
        from .store.redis_store import RedisStore

        return RedisStore(cfg.redis_url, prefix=cfg.redis_prefix)
    from .store.sqlite import SQLiteStore

    return SQLiteStore(cfg.db_path)


@dataclass
class Runtime:
    cfg: Config
    store: Any
    flows: LiveFlows
    conductor: Conductor
    pipeline: Pipeline
    outbox: OutboxWorker
    jobs: Any

    def now(self) -> datetime:
        return datetime.now(self.cfg.tz)


def sweep(rt: "Runtime") -> None:
    """Put back what a dead process left without its timer: timers that lost
    their schedule entry (Redis: a crash between two writes), and queued
    messages whose drain was claimed but never committed (every store)."""
    if hasattr(rt.store, "reschedule_orphan_timers"):
        rt.store.reschedule_orphan_timers()
    rt.store.requeue_stranded_inbound(rt.pipeline.clock())


class EmbeddedJobs:
    """A thread in the web process: timers and the outbox, woken on demand."""

    def __init__(self, interval: float = 0.5, sweep_every: float = 300.0):
        self.interval = interval
        self.sweep_every = sweep_every  # how often run_once calls sweep(); the first round does
        self._next_sweep = float("-inf")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runtime: Runtime | None = None
        self.errors = 0

    def kick(self) -> None:
        self._wake.set()

    def start(self, runtime: Runtime) -> None:
        self.runtime = runtime
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="vecina-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def run_once(self) -> None:
        rt = self.runtime
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self.sweep_every
            sweep(rt)
        rt.pipeline.tick()
        while rt.outbox.run_once():
            pass

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep the line alive; the next round retries
                self.errors += 1
            self._wake.wait(self.interval)
            self._wake.clear()


def build(cfg: Config, store: Any | None = None, senders: dict | None = None, start_jobs: bool = True) -> Runtime:
    store = store if store is not None else open_store(cfg)
    flows = LiveFlows(cfg.flows_dir, cfg.locales_dir, cfg.engine_settings(), cfg.currency)
    ids = UuidIds()
    conductor = Conductor(flows, store, ids, settings=cfg.service_settings())
    clock = lambda: datetime.now(cfg.tz)  # noqa: E731
    if senders is None:
        from .channels import senders as channel_senders

        senders = channel_senders(cfg)
    from .translate.wiring import outbox_translation

    outbox = OutboxWorker(store, senders, clock, lease_seconds=float(cfg.outbox_lease_seconds),
                          prepare=outbox_translation(cfg.service_settings(), store, lambda: flows.engine().catalog, clock),
                          gates=SEND_GATES, retry_for=cfg.outbox_retry_seconds)
    if cfg.redis_url:
        from .jobs_rq import RQJobs, queue_name

        jobs: Any = RQJobs(cfg.redis_url, queue_name(cfg))
    else:
        jobs = EmbeddedJobs()
    # On Redis a queued message rings the store's wake list itself; an RQ send
    # job for it would find nothing to send.
    wake = (lambda: None) if cfg.redis_url else jobs.kick
    pipeline = Pipeline(store, conductor, clock, kick=jobs.kick, defer=cfg.step_in_worker, wake=wake)
    rt = Runtime(cfg, store, flows, conductor, pipeline, outbox, jobs)
    schedule_recurring(store, clock())  # fixed job keys: every start-up replaces the same jobs
    if start_jobs and isinstance(jobs, EmbeddedJobs):
        jobs.start(rt)
    return rt
