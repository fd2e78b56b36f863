"""Every transcript under tests/transcripts/ passes (the same runner as `vecina test`)."""
import pytest

from bot import transcripts
from support import ROOT, engine

FILES = transcripts.find([ROOT / "tests" / "transcripts"])


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT / "tests" / "transcripts")) for p in FILES])
def test_transcript(path):
    result = transcripts.run(path, engine())
    assert result.passed, "\n".join(result.failures)


def test_every_flow_has_transcripts_in_both_languages():
    import yaml

    seen = {}
    for path in FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        langs = set()
        for c in (data.get("contacts") or {}).values():
            if c and c.get("lang"):
                langs.add(c["lang"])
        # A transcript without a preset language is in the language of its first text.
        result = transcripts.run(path, engine())
        first = next((m for step in result.actual for _to, m in step), "")
        langs.add("es" if any(w in first for w in ("Bienvenido", "¿", "Tus datos", "Listo")) else "en")
        seen.setdefault(path.parent.name, set()).update(langs)
    for folder in ("main", "language", "profile", "keywords"):
        assert seen.get(folder) == {"en", "es"}, f"{folder}: transcripts in {seen.get(folder)}"


def test_a_wrong_expectation_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('steps:\n  - from: "+14155552671"\n    text: "hi"\n    expect:\n      - text: "nope"\n')
    result = transcripts.run(bad, engine())
    assert not result.passed
    assert "expected" in result.failures[0]
    assert "unexpected message" in result.failures[-1]


def test_update_rewrites_expectations(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text('description: x\nsteps:\n  - from: "+14155552671"\n    text: "hola"\n')
    first = transcripts.run(path, engine())
    assert not first.passed
    transcripts.update(path, first)
    assert transcripts.run(path, engine()).passed
