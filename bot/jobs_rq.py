"""Jobs on the scaled profile: RQ queues on Redis, run by ``worker.py``.

``kick()`` (called by the web process after a step queued messages) enqueues a
``send_outbox`` job. Each worker process also runs a ticker thread that fires
due timers and sends whatever is leasable every second, so neither a lost job
nor a dead worker strands a message: outbox leases are the sweeper. Every
five minutes it also puts back timers that lost their schedule entry.

A stepper thread waits on the store's wake list (``wait_for_work``): a
webhook that queued a message for the worker to step (``INBOUND_STEP=worker``)
rings it, and the message is stepped at once.
"""
from __future__ import annotations

import threading
import time

def queue_name(cfg) -> str:
    """One queue per key prefix: two lines sharing a Redis never run each other's jobs."""
    return f"vecina-{cfg.redis_prefix}"

_runtime = None
_lock = threading.Lock()


class RQJobs:
    def __init__(self, redis_url: str, queue: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=1)
        self.queue = Queue(queue, connection=self.redis)
        self._last_kick = float("-inf")

    #: at most one send job enqueued per process per this many seconds: a job
    #: drains the whole outbox, so one in flight covers every message queued
    #: meanwhile, and the workers' tickers send anything left within a second.
    KICK_EVERY = 0.2

    def kick(self) -> None:
        now = time.monotonic()
        if now - self._last_kick < self.KICK_EVERY:
            return
        self._last_kick = now
        try:
            self.queue.enqueue("bot.jobs_rq.send_outbox", job_timeout=120, result_ttl=0, failure_ttl=3600)
        except Exception:
            pass  # the worker's ticker sends it within a second anyway


def runtime():
    """This worker process's runtime (built once, without the embedded thread)."""
    global _runtime
    with _lock:
        if _runtime is None:
            from . import runtime as rt_mod
            from .config import from_env

            _runtime = rt_mod.build(from_env(), start_jobs=False)
        return _runtime


def send_outbox() -> int:
    rt = runtime()
    total = 0
    while True:
        n = rt.outbox.run_once()
        total += n
        if not n:
            return total


#: how often a worker puts back timers whose data lost its schedule entry (a
#: process that died between claiming a timer and taking its data, or between
#: two per-slot commits on Cluster; a scan of every contact's timers) and sets
#: drains for pending messages that have none (a scan of the pending lists)
ORPHAN_SWEEP_SECONDS = 300.0


def tick_forever(stop: threading.Event, interval: float = 1.0, sweep_every: float = ORPHAN_SWEEP_SECONDS) -> None:
    from .runtime import sweep

    rt = runtime()
    next_sweep = time.monotonic()
    while not stop.is_set():
        try:
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + sweep_every
                sweep(rt)
            rt.pipeline.tick()
            send_outbox()
        except Exception:
            pass  # Redis away: try again next round
        stop.wait(interval)


def step_forever(stop: threading.Event, interval: float = 1.0) -> None:
    """Step what webhooks queued (and any due timer) as soon as one rings the
    store's wake list: a thread of its own, so a slow send or translation in
    the ticker never holds up the next person's reply."""
    rt = runtime()
    while not stop.is_set():
        try:
            rt.pipeline.tick()
            if wait_for_work(rt.store, interval) is None:
                stop.wait(interval)
        except Exception:
            stop.wait(interval)  # Redis away: try again next round


def wait_for_work(store, timeout: float) -> bool | None:
    """Wait up to ``timeout`` for the store's wake list (True: rung); None
    when the store has none (the caller sleeps instead)."""
    wait = getattr(store, "wait_for_work", None)
    return bool(wait(timeout)) if wait is not None else None
