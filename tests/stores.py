"""Store factories for tests that run against every store (real Redis, never a mock)."""
from __future__ import annotations

import os
import uuid

import pytest

REDIS_URL = os.environ.get("REDIS_URL_TESTS", "redis://127.0.0.1:6379/15")


def memory_store(tmp_path):
    from bot.store.memory import MemoryStore

    return MemoryStore()


def sqlite_store(tmp_path):
    from bot.store.sqlite import SQLiteStore

    return SQLiteStore(str(tmp_path / f"vecina-{uuid.uuid4().hex[:6]}.db"))


def redis_store(tmp_path):
    import redis

    from bot.store.redis_store import RedisStore

    conn = redis.Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except redis.ConnectionError as exc:  # CI must fail, never skip, without Redis
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); `make test` starts one")
    # A key prefix of its own per test: parallel runs on the same db never meet.
    return RedisStore(REDIS_URL, prefix=f"t{uuid.uuid4().hex[:8]}")


def available():
    out = [pytest.param(memory_store, id="memory")]
    for name, factory in (("sqlite", sqlite_store), ("redis", redis_store)):
        module = {"sqlite": "bot.store.sqlite", "redis": "bot.store.redis_store"}[name]
        try:
            __import__(module)
        except ImportError:
            continue
        out.append(pytest.param(factory, id=name))
    return out


DURABLE = [p for p in available() if p.id != "memory"]
