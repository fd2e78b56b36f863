"""The web app, the embedded jobs thread and restarts, on durable stores."""
import shutil
import time
from datetime import timedelta

import pytest

from bot.config import Config
from bot.pipeline import Inbound
from stores import DURABLE
from support import PARENT, ROOT, WAITER


def config(tmp_path, **kw):
    return Config(db_path=str(tmp_path / "vecina.db"), **kw)


def test_healthz_answers_200_on_the_embedded_profile(tmp_path):
    from app import create_app

    app = create_app({"VECINA_CONFIG": config(tmp_path), "VECINA_JOBS": False, "TESTING": True})
    res = app.test_client().get("/healthz")
    assert res.status_code == 200 and res.json == {"ok": True, "profile": "embedded"}


def test_healthz_is_503_when_the_store_does_not_answer(tmp_path):
    from app import create_app

    class DeadStore:
        def ping(self):
            raise ConnectionError("gone")

    app = create_app({"VECINA_CONFIG": config(tmp_path), "VECINA_JOBS": False, "VECINA_STORE": DeadStore()})
    assert app.test_client().get("/healthz").status_code == 503


def test_there_is_no_module_level_app():
    import app as module

    assert not any(type(v).__name__ == "Flask" for v in vars(module).values())


def test_inbound_through_the_app_is_sent_by_the_embedded_thread(tmp_path):
    from app import create_app
    from bot.web import accept

    app = create_app({"VECINA_CONFIG": config(tmp_path)})
    rt = app.extensions["vecina"]
    try:
        with app.app_context():
            assert accept(Inbound("sim", "x1", PARENT, "hola")).duplicate is False
        deadline = time.time() + 5
        while time.time() < deadline:
            rows = rt.store.list_outbound(to=PARENT)
            if rows and all(m["status"] == "recorded" for m in rows):
                break
            time.sleep(0.05)
        assert [m["status"] for m in rt.store.list_outbound(to=PARENT)] == ["recorded", "recorded"]
    finally:
        rt.jobs.stop()


def test_with_the_step_in_the_worker_the_embedded_thread_steps_and_sends(tmp_path):
    """INBOUND_STEP=worker on the embedded profile: the webhook's record wakes
    the jobs thread, which steps the message and sends the reply."""
    from app import create_app
    from bot.web import accept

    app = create_app({"VECINA_CONFIG": config(tmp_path, inbound_step="worker")})
    rt = app.extensions["vecina"]
    try:
        with app.app_context():
            assert accept(Inbound("sms", "SM1", PARENT, "hola")).sent == []
        deadline = time.time() + 10
        while time.time() < deadline:
            rows = rt.store.list_outbound(to=PARENT)
            if len(rows) == 2 and all(m["status"] == "recorded" for m in rows):
                break
            time.sleep(0.05)
        assert [m["key"] for m in rt.store.list_outbound(to=PARENT)] == ["main.welcome", "main.menu"]
        assert rt.store.pending_inbound(PARENT) == []
    finally:
        rt.jobs.stop()


def test_inbound_step_is_read_from_the_environment_and_checked(monkeypatch):
    from bot.config import from_env

    monkeypatch.delenv("INBOUND_STEP", raising=False)
    assert from_env(dotenv=False).step_in_worker is False  # embedded: in the request
    assert from_env({"redis_url": "redis://127.0.0.1:6379/15"}, dotenv=False).step_in_worker is True
    monkeypatch.setenv("INBOUND_STEP", " Webhook ")
    assert from_env({"redis_url": "redis://127.0.0.1:6379/15"}, dotenv=False).step_in_worker is False
    monkeypatch.setenv("INBOUND_STEP", "later")
    with pytest.raises(ValueError, match="INBOUND_STEP must be 'webhook' or 'worker'"):
        from_env(dotenv=False)


def test_outbox_retry_hours_is_read_from_the_environment_and_checked(monkeypatch):
    from bot.config import from_env

    monkeypatch.delenv("OUTBOX_RETRY_HOURS", raising=False)
    assert from_env(dotenv=False).outbox_retry_seconds == 24 * 3600
    monkeypatch.setenv("OUTBOX_RETRY_HOURS", "1.5")
    assert from_env(dotenv=False).outbox_retry_seconds == 5400
    monkeypatch.setenv("OUTBOX_RETRY_HOURS", "0")
    assert from_env(dotenv=False).outbox_retry_seconds == 0
    for bad in ("a day", "-1", "inf", "nan"):
        monkeypatch.setenv("OUTBOX_RETRY_HOURS", bad)
        with pytest.raises(ValueError, match="OUTBOX_RETRY_HOURS must be a number of hours"):
            from_env(dotenv=False)


def reopen(store):
    """A new store object on the same data, as a restarted process would open."""
    from stores import REDIS_URL

    if type(store).__name__ == "SQLiteStore":
        return type(store)(store.path)
    return type(store)(REDIS_URL, prefix=store.prefix)


@pytest.mark.parametrize("factory", DURABLE)
def test_timers_fire_after_a_restart(factory, tmp_path):
    from bot import runtime as rt_mod

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "waiter.yaml").write_text(WAITER)
    store = factory(tmp_path)
    cfg = Config(db_path=str(tmp_path / "vecina.db"), flows_dir=str(flows), locales_dir=str(ROOT / "locales"))
    first = rt_mod.build(cfg, store=store, start_jobs=False)
    first.pipeline.inbound(Inbound("sms", "a", PARENT, "WAITER"))
    first.pipeline.inbound(Inbound("sms", "b", PARENT, "Ana"))
    del first  # the process goes away; the timer stays in the store
    second = rt_mod.build(cfg, store=reopen(store), start_jobs=False)
    later = second.now() + timedelta(minutes=16)
    second.pipeline.clock = lambda: later
    sent = second.pipeline.tick()
    assert [m["key"] for m in sent] == ["common.unavailable"]  # the on_timeout state
