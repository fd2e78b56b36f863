"""Reliability with real processes: a worker killed mid-batch, Redis going away.

The provider here is the real python-telegram-bot client talking to the local
fake Bot API (tests/fake_telegram.py), slowed down so a batch is still being
sent when the worker is killed.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

import pytest

from fake_telegram import FakeTelegram
from stores import REDIS_URL
from support import ROOT

SECRET = "s3cret-token"
BATCH = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Profile:
    """The environment and store of one runtime profile, and how its worker runs."""

    def __init__(self, name: str, tmp_path, fake: FakeTelegram):
        self.name = name
        self.env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url,
                    "OUTBOX_LEASE_SECONDS": "2", "PYTHONUNBUFFERED": "1"}
        for key in ("REDIS_URL", "VECINA_DB", "REDIS_PREFIX"):
            self.env.pop(key, None)
        if name == "sqlite":
            from bot.store.sqlite import SQLiteStore

            self.env["VECINA_DB"] = str(tmp_path / "line.db")
            self.store = SQLiteStore(self.env["VECINA_DB"])
            self.port = free_port()
            # embedded profile: the worker is the web process's jobs thread
            self.cmd = [sys.executable, "-m", "bot", "serve", "--port", str(self.port)]
        else:
            from bot.store.redis_store import RedisStore

            prefix = f"t{uuid.uuid4().hex[:8]}"
            self.env.update(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix)
            self.store = RedisStore(REDIS_URL, prefix=prefix)
            self.cmd = [sys.executable, "worker.py"]

    def start(self) -> subprocess.Popen:
        # A session of its own, so a kill takes the whole worker (RQ's work
        # horse and scheduler processes too), as when a machine dies.
        return subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def cleanup(self) -> None:
        if self.name == "redis":
            for key in self.store.r.scan_iter(match=f"{self.store.prefix}:*", count=1000):
                self.store.r.delete(key)


@pytest.fixture
def fake():
    f = FakeTelegram().start()
    yield f
    f.stop()


def queue_batch(store, n: int) -> list[str]:
    now = datetime.now(timezone.utc)
    ids = []
    with store.transaction() as tx:
        for i in range(n):
            msg_id = f"m{i:03d}-{uuid.uuid4().hex[:6]}"
            tx.add_outbound({"id": msg_id, "to": f"tg:{1000 + i}", "text": f"message {i}", "key": None,
                             "choices": [], "lang": "en", "channel": "telegram", "status": "queued",
                             "created_at": now})
            ids.append(msg_id)
    return ids


@pytest.mark.parametrize("profile", ["sqlite", "redis"])
def test_a_worker_killed_mid_batch_loses_no_message(profile, tmp_path, fake):
    line = Profile(profile, tmp_path, fake)
    fake.delay = 0.05  # 40 messages take 2 s: the kill lands in the middle
    try:
        queue_batch(line.store, BATCH)
        first = line.start()
        try:
            wait_for(lambda: len(fake.calls("sendMessage")) >= 5, 30, "the first sends")
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        chats_before = {c["chat_id"] for c in fake.calls("sendMessage")}
        assert len(chats_before) < BATCH, "the batch finished before the kill: the test proves nothing"
        statuses = {m["status"] for m in line.store.list_outbound()}
        assert statuses & {"queued", "sending"}  # work left behind by the dead worker

        second = line.start()
        try:
            wait_for(lambda: all(m["status"] == "sent" for m in line.store.list_outbound()), 60,
                     "every message sent after the restart")
        finally:
            second.terminate()
            try:
                out, _ = second.communicate(timeout=20)
            finally:
                _kill_group(second)
        # every message reached the provider (a message leased at the kill may go twice, never zero times)
        chats = [int(c["chat_id"]) for c in fake.calls("sendMessage")]
        assert set(chats) == {1000 + i for i in range(BATCH)}
        assert len(chats) - BATCH <= 10  # at most the batch in flight at the kill is repeated
        assert second.returncode == 0 or profile == "sqlite", out.decode(errors="replace")[-2000:]
    finally:
        line.cleanup()


def test_worker_py_sends_a_reply_through_rq_and_stops_on_sigterm(tmp_path, fake):
    """The scaled profile end to end: the web app takes a Telegram update, an RQ
    job in worker.py sends the reply; SIGTERM stops the worker cleanly."""
    from app import create_app
    from bot.config import from_env

    line = Profile("redis", tmp_path, fake)
    worker = line.start()
    try:
        cfg = from_env({"redis_url": line.env["REDIS_URL"], "redis_prefix": line.env["REDIS_PREFIX"],
                        "telegram_bot_token": fake.token, "telegram_api_url": fake.url,
                        "telegram_secret_token": SECRET}, dotenv=False)
        app = create_app({"VECINA_CONFIG": cfg, "VECINA_STORE": line.store})
        update = {"update_id": 7001, "message": {"message_id": 1, "date": 0, "text": "hola",
                                                  "chat": {"id": 555, "type": "private"},
                                                  "from": {"id": 555, "is_bot": False, "first_name": "Ana"}}}
        res = app.test_client().post("/telegram/webhook", data=json.dumps(update), content_type="application/json",
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert res.status_code == 200
        sent = wait_for(lambda: [c for c in fake.calls("sendMessage") if int(c["chat_id"]) == 555], 30,
                        "the worker to send the reply")
        assert "Vecina" in sent[0]["text"] or "Bienvenid" in sent[0]["text"]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        _kill_group(worker)
        line.cleanup()


def _kill_group(proc: subprocess.Popen) -> None:
    """Nothing of a test's worker outlives the test (RQ forks helpers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


class OwnRedis:
    """A redis-server of this test's own on a free port, so it can be stopped."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
                                      "--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        import redis

        probe = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(probe), 10, "redis-server to start")
        return self

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def _pings(conn) -> bool:
    try:
        return bool(conn.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def test_redis_stopped_means_503_within_a_second_then_recovery(tmp_path, fake):
    from app import create_app
    from bot.config import from_env
    from bot.store.redis_store import RedisStore

    server = OwnRedis(tmp_path).start()
    try:
        cfg = from_env({"redis_url": server.url, "telegram_secret_token": SECRET}, dotenv=False)
        store = RedisStore(server.url)
        app = create_app({"VECINA_CONFIG": cfg, "VECINA_STORE": store})
        client = app.test_client()

        def post(update_id: int, text: str):
            update = {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                          "chat": {"id": 777, "type": "private"},
                                                          "from": {"id": 777, "is_bot": False, "first_name": "Li"}}}
            started = time.perf_counter()
            res = client.post("/telegram/webhook", data=json.dumps(update), content_type="application/json",
                              headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            return res.status_code, time.perf_counter() - started

        step = app.extensions["vecina"].pipeline.tick  # the worker's part (INBOUND_STEP=worker here)
        assert post(1, "hola")[0] == 200
        step()
        before = len(store.list_outbound(to="tg:777"))
        assert before >= 1
        server.stop()
        status, took = post(2, "MENU")
        assert status == 503 and took < 1.0, (status, took)
        assert client.get("/healthz").status_code == 503

        server.start()  # an empty Redis (no persistence in this test): the line still answers
        assert client.get("/healthz").status_code == 200
        status, _ = post(2, "MENU")  # the provider's retry of the refused update
        assert status == 200
        step()
        assert store.list_outbound(to="tg:777"), "the retried update was handled once Redis was back"

        server.proc.send_signal(signal.SIGSTOP)  # hung rather than gone: the same 503, as fast
        try:
            status, took = post(3, "HELP")
            assert status == 503 and took < 1.0, (status, took)
        finally:
            server.proc.send_signal(signal.SIGCONT)
        assert post(3, "HELP")[0] == 200
    finally:
        if server.proc and server.proc.poll() is None:
            server.proc.kill()
