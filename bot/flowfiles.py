"""Read flows/ and locales/ from disk into a checked FlowSet; hot reload.

The engine compiles texts; this module does the file I/O and keeps the last
good set live: an edit that fails lint is refused with its errors and the
running line keeps what it had.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .engine.flowset import FlowSet, build
from .engine.problems import ERROR, FlowError, Problem
from .engine.runner import Engine, Settings

ROOT = Path(__file__).resolve().parent.parent


def _texts(folder: Path, rel_to: Path) -> dict[str, str]:
    out = {}
    if folder.is_file():
        files = [folder]
    else:
        files = sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("_"))
    for p in files:
        try:
            name = str(p.relative_to(rel_to))
        except ValueError:
            name = str(p)
        out[name] = p.read_text(encoding="utf-8")
    return out


def is_locale_file(path: Path | str) -> bool:
    """``locales/es.yaml`` is a language; ``glossary.yaml`` and ``_draft.yaml`` are not."""
    p = Path(path)
    return p.suffix == ".yaml" and p.stem.isalpha() and len(p.stem) <= 3 and not p.name.startswith("_")


def read_flowset(flows_dir: Path | str | None = None, locales_dir: Path | str | None = None,
                 default_lang: str = "en", currency: str = "USD", lint: bool = True,
                 region: str = "US") -> tuple[FlowSet, list[Problem]]:
    flows_dir = Path(flows_dir or ROOT / "flows")
    locales_dir = Path(locales_dir or (flows_dir.parent if flows_dir.is_file() else flows_dir).parent / "locales")
    if not locales_dir.exists():
        locales_dir = ROOT / "locales"
    rel = Path.cwd()
    fs = build(_texts(flows_dir, rel), {k: v for k, v in _texts(locales_dir, rel).items() if is_locale_file(k)},
               default_lang=default_lang, currency=currency, region=region)
    problems = list(fs.problems)
    if lint and fs.flows:
        from .lint import lint as run_lint

        problems = run_lint(fs)
    return fs, problems


def _stamp(*folders: Path) -> tuple:
    items = []
    for folder in folders:
        for p in sorted(folder.glob("*.yaml")):
            st = p.stat()
            items.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(items)


@dataclass
class Reload:
    ok: bool
    problems: list


class LiveFlows:
    """The engine currently live, re-checked when flow or locale files change."""

    def __init__(self, flows_dir: Path | str | None = None, locales_dir: Path | str | None = None,
                 settings: Settings | None = None, currency: str = "USD"):
        self.flows_dir = Path(flows_dir or ROOT / "flows")
        self.locales_dir = Path(locales_dir or ROOT / "locales")
        self.settings = settings or Settings()
        self.currency = currency
        self._lock = threading.Lock()
        self.last_problems: list[Problem] = []
        fs, problems = read_flowset(self.flows_dir, self.locales_dir, self.settings.default_lang, currency,
                                   region=self.settings.region)
        if any(p.severity == ERROR for p in problems):
            raise FlowError(problems)
        self._engine = Engine(fs, self.settings)
        self._stamp = _stamp(self.flows_dir, self.locales_dir)
        self._checked = time.monotonic()

    #: how often the files are looked at (a glob and a stat per file: too
    #: dear for every message, and an edit live within a second is plenty)
    CHECK_EVERY = 1.0

    def engine(self) -> Engine:
        """The live engine; picks up edited files first (at most one look per CHECK_EVERY)."""
        now = time.monotonic()
        if now - self._checked >= self.CHECK_EVERY:
            self._checked = now
            stamp = _stamp(self.flows_dir, self.locales_dir)
            if stamp != self._stamp:
                self.reload(stamp)
        return self._engine

    __call__ = engine

    def reload(self, stamp: tuple | None = None) -> Reload:
        with self._lock:
            stamp = stamp or _stamp(self.flows_dir, self.locales_dir)
            fs, problems = read_flowset(self.flows_dir, self.locales_dir, self.settings.default_lang, self.currency,
                                        region=self.settings.region)
            self._stamp = stamp
            self.last_problems = problems
            if any(p.severity == ERROR for p in problems):
                return Reload(False, problems)  # the last good set stays live
            self._engine = Engine(fs, self.settings)
            return Reload(True, problems)
