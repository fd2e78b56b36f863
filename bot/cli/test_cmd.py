"""vecina test [PATH…]: run transcript tests (default tests/transcripts/)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import transcripts
from ..config import ROOT, from_env
from ..flowfiles import LiveFlows


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--update", is_flag=True, help="Rewrite each transcript's expectations with what the line now sends.")
def test(paths, update: bool) -> None:
    """Play each transcript against the flows and compare every message."""
    cfg = from_env()
    live = LiveFlows(cfg.flows_dir, cfg.locales_dir, cfg.engine_settings(), cfg.currency)
    files = transcripts.find(paths or [ROOT / "tests" / "transcripts"])
    failed = updated = 0
    for path in files:
        try:
            result = transcripts.run(path, live.engine(), cfg.timezone)
        except transcripts.TranscriptError as exc:
            click.echo(f"ERROR {path}: {exc}")
            failed += 1
            continue
        if update and not result.passed:
            transcripts.update(path, result)
            click.echo(f"UPDATED {path}")
            updated += 1
            continue
        click.echo(f"{'PASS' if result.passed else 'FAIL'} {path}" + (f"  {result.description}" if result.description else ""))
        for failure in result.failures:
            click.echo("  " + failure.replace("\n", "\n  "))
        failed += not result.passed
    if updated:
        click.echo(f"{updated} updated: review the diff before committing")
    click.echo(f"{len(files) - failed - updated} passed, {failed} failed")
    sys.exit(1 if failed else 0)
