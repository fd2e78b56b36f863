"""Every action type is documented with its YAML use and has tests of its own."""
from pathlib import Path

from bot.actions import load

HERE = Path(__file__).resolve().parent


def test_every_action_has_its_own_test_file():
    missing = [name for name in load() if not (HERE / "actions" / f"test_{name}.py").exists()]
    assert missing == [], f"write tests/actions/test_<name>.py for: {missing}"


def test_every_action_docstring_shows_its_yaml_use():
    import importlib

    for name, action in load().items():
        doc = importlib.import_module(type(action).__module__).__doc__ or ""
        assert f"call: {name}" in doc, f"bot/actions/{name}.py: docstring must show `call: {name}` in YAML"
        assert "Results:" in doc, f"bot/actions/{name}.py: docstring must list its results"


def test_module_name_matches_action_name():
    for name, action in load().items():
        assert type(action).__module__.endswith(f".{name}")
