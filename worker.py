"""The scaled profile's worker: an RQ worker (with its scheduler) on REDIS_URL,
plus a ticker thread for timers and the outbox and a stepper thread for the
messages webhooks queue. Run any number of them
(Procfile ``worker``). SIGTERM finishes the current job, then exits."""
from __future__ import annotations

import signal
import sys
import threading

from bot.config import from_env


def main() -> int:
    cfg = from_env()
    if not cfg.redis_url:
        print("worker.py runs the scaled profile: set REDIS_URL. The embedded profile "
              "(no REDIS_URL) runs its jobs inside the web process.", file=sys.stderr)
        return 2
    from redis import Redis
    from rq import Queue, Worker

    from bot.jobs_rq import queue_name, runtime, step_forever, tick_forever

    runtime()  # fail fast on bad flows or settings
    stop = threading.Event()
    threads = [threading.Thread(target=tick_forever, args=(stop,), name="vecina-ticker", daemon=True),
               threading.Thread(target=step_forever, args=(stop,), name="vecina-stepper", daemon=True)]
    for thread in threads:
        thread.start()
    conn = Redis.from_url(cfg.redis_url)
    worker = Worker([Queue(queue_name(cfg), connection=conn)], connection=conn)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        stop.set()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)
    try:
        worker.work(with_scheduler=True)  # RQ handles SIGTERM: warm shutdown
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
