"""Webhook throughput and latency under gunicorn, on the scaled (Redis) profile.

Run from the repo root (Redis at ``REDIS_URL_BENCH``, default
``redis://127.0.0.1:6379/15``; the bench writes under a key prefix of its own
and deletes it afterwards):

    .venv/bin/python bench/webhook.py            # ~1 minute
    .venv/bin/python bench/webhook.py --quick    # a smoke run

stdout holds only ``name: value`` lines; progress goes to stderr.

Both servers run with the same gunicorn settings (the Procfile's defaults: 2
workers x 8 threads, gthread). The load generator is this process, on
loopback, with keep-alive connections; every Twilio POST is signed with
twilio's own ``RequestValidator`` (signatures computed before the clock starts).

Figures:
* ``webhook_ratio_vs_bare_flask``: requests/s of ``POST /sms/twilio`` (a
  signed inbound: verify, record it with its drain timer in one round trip,
  answer; the scaled profile's ``INBOUND_STEP=worker``) over a bare Flask
  endpoint answering 204, closed loop, measured in the same run (target >=
  0.6); both rates are printed too. ``--inbound-step webhook`` measures the
  step inside the request instead (lock, engine step, outbox, kick);
* ``worker_msgs_per_s``: after the closed loop, the backlog it left stepped by
  one worker's ``Pipeline.fire_due`` in this process (claim the drain timers,
  lock, step, commit), messages per second: whether workers keep up, for
  context;
* ``webhook_p99_ms_at_300rps``: open loop at 300 requests/s; latency counted
  from each request's scheduled time, so a stall is not hidden (target < 50);
* ``ussd_p99_ms_50_sessions``: 50 USSD sessions open at once, each a dial
  and three answers, a person's pause (about a second) before each request,
  the dial too (target < 100); ``ussd_p99_ms_50_sessions_no_pauses`` is the
  same with no pauses at all: the 50 first dials leave together and 50
  requests stay in flight against 16 server threads (a stress figure:
  queueing, not one answer's cost, sets it).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("REDIS_URL_BENCH", "redis://127.0.0.1:6379/15")
TOKEN = "bench-auth-token"
GUNICORN = ["--workers", "2", "--threads", "8", "--worker-class", "gthread", "--timeout", "30",
            "--keep-alive", "30", "--log-level", "warning"]
# Valid NANP numbers, as real senders' are, in two ranges that never meet: a
# USSD answer to a contact with texts still queued (the open loop's are) would
# first step those texts, and measure them too.
SMS_SENDERS = 3_000_000  # +1415300xxxx
USSD_CALLERS = 2_000_000  # +1415200xxxx


def bench_number(first: int, k: int) -> str:
    return f"+1415{first + k:07d}"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, app: str, env: dict, chdir: Path = ROOT, port: int | None = None):
        self.port = port or free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
             *GUNICORN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                c.getresponse().read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"gunicorn {app} exited: {self.proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        raise SystemExit(f"gunicorn {app} did not answer")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def twilio_requests(port: int, n: int, numbers: int = 2000) -> list[tuple[bytes, dict]]:
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    url = f"http://127.0.0.1:{port}/sms/twilio"
    run = uuid.uuid4().hex[:6]
    out = []
    for i in range(n):
        params = {"MessageSid": f"SM{run}{i:08d}", "From": bench_number(SMS_SENDERS, i % numbers), "To": "+14155550000",
                  "Body": "MENU" if i >= numbers else "hola", "AccountSid": "ACbench", "NumMedia": "0"}
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": validator.compute_signature(url, params)}
        out.append((urlencode(params).encode(), headers))
    return out


class Client:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: bytes, headers: dict) -> int:
        for attempt in range(2):
            try:
                self.conn.request("POST", path, body=body, headers=headers)
                res = self.conn.getresponse()
                res.read()
                return res.status
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        return 0


def closed_loop(port: int, path: str, requests, threads: int, seconds: float) -> float:
    """Requests/s with ``threads`` clients each sending back to back, taking
    requests from the iterator ``requests`` (what is left stays for the next call)."""
    stop = time.perf_counter() + seconds
    counts = [0] * threads
    bad = []
    lock = threading.Lock()
    cursor = iter(requests)

    def worker(k: int):
        client = Client(port)
        while time.perf_counter() < stop:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            body, headers = item
            status = client.post(path, body, headers)
            if status >= 300:
                bad.append(status)
            counts[k] += 1

    t0 = time.perf_counter()
    run_threads(worker, threads, bad, path)
    return sum(counts) / (time.perf_counter() - t0)


def open_loop(port: int, path: str, requests: list, rate: float, seconds: float, threads: int = 32) -> list[float]:
    """Latencies (ms) at a fixed arrival rate, each from its scheduled start."""
    n = min(int(rate * seconds), len(requests))
    start = time.perf_counter() + 0.2
    latencies: list[float] = []
    lock = threading.Lock()
    bad = []

    def worker(k: int):
        client = Client(port)
        for i in range(k, n, threads):
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            body, headers = requests[i]
            status = client.post(path, body, headers)
            took = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(took)
                if status >= 300:
                    bad.append(status)

    run_threads(worker, threads, bad, path)
    return latencies


def ussd_sessions(port: int, sessions: int, rounds: int, think: float = 0.0) -> list[float]:
    """People in USSD sessions at once: dial, then three answers. ``think`` is
    the mean pause before each request (a person reading the screen and
    pressing keys, or dialling: 0.5x to 1.5x of it), so the people dial at
    moments of their own, as they would, not all in the same millisecond; 0
    sends everything back to back, the 50 first dials at once included."""
    import random

    latencies: list[float] = []
    lock = threading.Lock()
    bad = []
    run = uuid.uuid4().hex[:6]
    steps = ["", "1", "1*1", "1*1*2"]

    def person(k: int):
        client = Client(port)
        pause = random.Random(k)
        for r in range(rounds):
            sid = f"ATUid_{run}_{k}_{r}"
            for text in steps:
                if think:
                    time.sleep(think * pause.uniform(0.5, 1.5))
                body = urlencode({"sessionId": sid, "serviceCode": "*384*1#",
                                  "phoneNumber": bench_number(USSD_CALLERS, k), "networkCode": "63902",
                                  "text": text}).encode()
                t0 = time.perf_counter()
                status = client.post("/ussd", body, {"Content-Type": "application/x-www-form-urlencoded"})
                took = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(took)
                    if status >= 300:
                        bad.append(status)

    run_threads(person, sessions, bad, "/ussd")
    return latencies


def run_threads(target, n: int, bad: list, path: str) -> None:
    """Run ``target(k)`` in n threads; any non-2xx answer they noted ends the bench."""
    ts = [threading.Thread(target=target, args=(k,)) for k in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if bad:
        raise SystemExit(f"{path}: {len(bad)} answers were not 2xx (e.g. {bad[:5]})")


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def drain_backlog(env: dict) -> tuple[float, int]:
    """Step what the closed loop queued, as one worker does: (messages/s, messages)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        sys.path.insert(0, str(ROOT))
        from bot.config import from_env
        from bot.runtime import build

        rt = build(from_env(dotenv=False), start_jobs=False)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    k = rt.store.keys

    def pending() -> int:
        return sum(rt.store.r.zcard(key) for key in rt.store.r.scan_iter(match=k.inbound_pending("*"), count=1000))

    queued = pending()
    t0 = time.perf_counter()
    while rt.pipeline.fire_due():
        pass
    elapsed = time.perf_counter() - t0
    if left := pending():
        raise SystemExit(f"the worker left {left} of {queued} queued messages unstepped")
    rt.store.close()
    return queued / elapsed, queued


def drop_prefix(prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    for key in r.scan_iter(match=f"{prefix}:*", count=1000):
        r.delete(key)
    for key in r.scan_iter(match=f"rq:*vecina-{prefix}*", count=1000):
        r.delete(key)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=16.0, help="closed-loop seconds per server, over all turns")
    ap.add_argument("--turns", type=int, default=4, help="turns each server is measured in, alternating")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--inbound-step", choices=("worker", "webhook"), default="worker",
                    help="INBOUND_STEP of the line under test (default: the scaled profile's own, worker)")
    args = ap.parse_args(argv)
    seconds = 2.0 if args.quick else args.seconds
    args.turns = 1 if args.quick else max(1, args.turns)
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_", "USSD_", "REDIS_"))}

    port = free_port()
    env = {**base_env, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix, "TWILIO_AUTH_TOKEN": TOKEN,
           "PUBLIC_URL": f"http://127.0.0.1:{port}", "INBOUND_STEP": args.inbound_step}
    bare = line = None
    try:
        # Both servers up at once, measured in turns (bare, line, bare, line…):
        # both see the same machine, and each turn opens new connections, so
        # how gunicorn happens to spread 8 keep-alive clients over its 2
        # processes is drawn again every turn instead of once per run.
        bare = Server("bare_app:create_app()", base_env, chdir=BENCH)
        line = Server("app:create_app()", env, port=port)  # PUBLIC_URL (what Twilio signs) names this port
        bare_reqs = twilio_requests(bare.port, 200_000 if not args.quick else 20_000)
        reqs = twilio_requests(line.port, 80_000 if not args.quick else 8_000)
        bare_reqs, reqs = iter(bare_reqs), iter(reqs)  # every request is sent once, across the turns
        closed_loop(bare.port, "/sms/twilio", itertools.islice(bare_reqs, 2000), args.clients, 1.0)  # warm-up
        closed_loop(line.port, "/sms/twilio", itertools.islice(reqs, 2000), args.clients, 1.0)  # warm-up: first texts
        turn = seconds / args.turns
        bare_rates, rates = [], []
        for k in range(args.turns):
            bare_rates.append(closed_loop(bare.port, "/sms/twilio", bare_reqs, args.clients, turn))
            rates.append(closed_loop(line.port, "/sms/twilio", reqs, args.clients, turn))
            log(f"turn {k + 1}: bare flask {bare_rates[-1]:,.0f} req/s, /sms/twilio {rates[-1]:,.0f} req/s")
        bare.stop()
        bare = None
        ratio = statistics.median(r / b for r, b in zip(rates, bare_rates))
        print(f"bare_flask_rps: {statistics.median(bare_rates):.0f}")
        print(f"webhook_rps: {statistics.median(rates):.0f}")
        print(f"webhook_ratio_vs_bare_flask: {ratio:.2f}", flush=True)
        if args.inbound_step == "worker":
            rate, steps = drain_backlog(env)
            log(f"worker: {steps:,} queued messages stepped at {rate:,.0f} msgs/s")
            print(f"worker_msgs_per_s: {rate:.0f}", flush=True)

        more = twilio_requests(line.port, int(300 * 8) + 10)
        lat = open_loop(line.port, "/sms/twilio", more, 300.0, 8.0 if not args.quick else 2.0)
        log(f"300 rps: median {statistics.median(lat):.1f} ms, p99 {p99(lat):.1f} ms over {len(lat)} requests")
        print(f"webhook_p99_ms_at_300rps: {p99(lat):.1f}", flush=True)

        ussd = ussd_sessions(line.port, 50, 2 if args.quick else 5, think=1.0)
        log(f"ussd: median {statistics.median(ussd):.1f} ms, p99 {p99(ussd):.1f} ms over {len(ussd)} requests")
        print(f"ussd_p99_ms_50_sessions: {p99(ussd):.1f}", flush=True)
        stress = ussd_sessions(line.port, 50, 2 if args.quick else 5)
        log(f"ussd, no pauses: median {statistics.median(stress):.1f} ms, p99 {p99(stress):.1f} ms")
        print(f"ussd_p99_ms_50_sessions_no_pauses: {p99(stress):.1f}", flush=True)
    finally:
        for server in (bare, line):
            if server is not None:
                server.stop()
        drop_prefix(prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
