import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("REDIS_URL_TESTS", "redis://127.0.0.1:6379/15")


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """``vecina`` on a SQLite file of the test's own: ``cli("members", "list")``
    runs the command; ``cli.store()`` opens the file it wrote."""
    from click.testing import CliRunner

    from bot.cli import main
    from bot.store.sqlite import SQLiteStore

    monkeypatch.setenv("VECINA_DB", str(tmp_path / "v.db"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    invoke.store = lambda: SQLiteStore(str(tmp_path / "v.db"))
    return invoke
