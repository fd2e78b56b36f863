"""The engine is pure: it imports no I/O library and nothing else of bot/."""
import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "bot" / "engine"
FORBIDDEN = {"flask", "redis", "rq", "twilio", "telegram", "requests", "httpx", "urllib", "socket", "sqlite3",
             "os", "subprocess", "random", "time", "threading", "asyncio", "logging", "dateparser", "lingua",
             "deep_translator", "werkzeug", "dotenv"}
ALLOWED_THIRD_PARTY = {"yaml", "babel", "phonenumbers"}


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: must stay inside bot/engine
                depth = len(path.relative_to(ENGINE).parts) - 1
                if node.level > depth + 1:
                    yield "bot." + (node.module or ""), node.lineno
                continue
            yield node.module or "", node.lineno


def test_engine_imports_no_io():
    bad = []
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for name, line in imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN or top == "bot" or (top not in ALLOWED_THIRD_PARTY and not _stdlib(top)):
                bad.append(f"{path.relative_to(ENGINE.parent.parent)}:{line}: imports {name}")
    assert bad == []


def _stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names or name == "__future__"


def test_the_scan_catches_a_forbidden_import(tmp_path):
    # Guard the guard: a file importing redis is reported.
    fake = ENGINE / "_purity_probe.py"
    fake.write_text("import redis\nfrom flask import Flask\n")
    try:
        found = [n for n, _ in imports(fake)]
        assert "redis" in found and "flask" in found
    finally:
        fake.unlink()
