"""Fixtures for the coordinator's web: an app on a copy of the core flows.

The shipped flows and their transcripts are copied to a temporary line folder
(only the core ones while a service being written does not lint yet), plus a
transcript of our own; the app runs with no jobs thread unless a test starts one.
"""
from __future__ import annotations

import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

from bot.config import Config

ROOT = Path(__file__).resolve().parent.parent.parent
CORE_FLOWS = ("main", "language", "profile")
from web_support import PASSWORD, login, token_of  # noqa: F401 - used by the fixtures


@lru_cache(maxsize=1)
def flow_files() -> tuple[Path, ...]:
    """Every shipped flow when they lint clean together; else (services still
    being written) the core flows and the flows they hand over to."""
    from bot.engine.problems import ERROR
    from bot.flowfiles import read_flowset

    every = tuple(sorted((ROOT / "flows").glob("*.yaml")))
    _, problems = read_flowset(ROOT / "flows", ROOT / "locales")
    if not any(p.severity == ERROR for p in problems):
        return every
    names, todo = set(), list(CORE_FLOWS)
    while todo:
        name = todo.pop()
        path = ROOT / "flows" / f"{name}.yaml"
        if name in names or not path.exists():
            continue
        names.add(name)
        todo += re.findall(r"^\s*flow:\s*([\w-]+)\s*$", path.read_text(encoding="utf-8"), re.M)
    return tuple(ROOT / "flows" / f"{n}.yaml" for n in sorted(names))


# A transcript that holds whatever the menu offers: the keys of what a first text gets.
HOLA = """description: a first hola gets the welcome and the menu
steps:
- from: '+14155550100'
  text: hola
  expect:
  - key: main.welcome
  - key: main.menu
"""


@pytest.fixture
def line(tmp_path) -> Config:
    flows = tmp_path / "line" / "flows"
    flows.mkdir(parents=True)
    scripts = tmp_path / "line" / "tests" / "transcripts"
    for path in flow_files():
        shutil.copy(path, flows / path.name)
        src = ROOT / "tests" / "transcripts" / path.stem
        if src.is_dir():
            shutil.copytree(src, scripts / path.stem)
    (scripts / "main").mkdir(parents=True, exist_ok=True)
    (scripts / "main" / "web_hola.yaml").write_text(HOLA, encoding="utf-8")
    return Config(db_path=str(tmp_path / "vecina.db"), flows_dir=str(flows), locales_dir=str(ROOT / "locales"))


@pytest.fixture
def make_app(line):
    apps = []

    def make(password: str | None = PASSWORD, jobs: bool = False, cfg: Config | None = None, **config):
        from app import create_app

        settings = {"VECINA_CONFIG": cfg or line, "VECINA_JOBS": jobs, "TESTING": True,
                    "ADMIN_PASSWORD": password or "", **config}
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        rt = app.extensions["vecina"]
        if hasattr(rt.jobs, "stop"):
            rt.jobs.stop()
        if hasattr(rt.store, "close"):
            rt.store.close()


@pytest.fixture
def admin(make_app):
    """A test client logged in as the coordinator, and its CSRF token."""
    app = make_app()
    client = app.test_client()
    res = login(client)
    assert res.status_code == 302
    token = token_of(client.get("/admin/members").text)
    return app, client, token
