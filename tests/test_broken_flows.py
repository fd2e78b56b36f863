"""Each broken flow in tests/broken_flows/ must give the error its first line names."""
from pathlib import Path

import pytest

from bot.engine.flowset import build
from bot.lint import lint
from support import ROOT, texts

BROKEN = sorted((ROOT / "tests" / "broken_flows").glob("*.yaml"))


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: LINE:COL: message'"
    return first[len("# expect: "):]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_flow_gives_its_error(path):
    flows = texts(ROOT / "flows")
    name = f"flows/{path.name}"
    flows[name] = path.read_text(encoding="utf-8")
    problems = lint(build(flows, texts(ROOT / "locales")))
    mine = [f"{p.line}:{p.col}: {p.message}" for p in problems if p.file == name and p.severity == "error"]
    want = expected(path)
    assert any(m.startswith(want) for m in mine), f"wanted {want!r}, got {mine}"


def test_shipped_flows_have_no_errors():
    problems = lint(build(texts(ROOT / "flows"), texts(ROOT / "locales")))
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == []


def test_every_broken_flow_has_a_distinct_message():
    msgs = [expected(p).split(": ", 1)[1] for p in BROKEN]
    assert len(set(msgs)) == len(msgs)
