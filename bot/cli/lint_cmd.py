"""vecina lint [PATH]: check flows and locales; exit 1 on any error."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..config import from_env
from ..engine.problems import ERROR
from ..flowfiles import read_flowset


@click.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--locales", "locales_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Locale folder (default: locales/ beside the flows folder).")
@click.option("--quiet", "-q", is_flag=True, help="Errors only, no warnings.")
def lint(path: Path | None, locales_dir: Path | None, quiet: bool) -> None:
    """Check every flow in PATH (a folder or one file; default flows/).

    Prints each problem as file:line:col: message. Errors (exit 1) stop a flow
    going live; warnings (exit 0) are about SMS segments and USSD screens.
    """
    cfg = from_env()
    started = time.perf_counter()
    flows_dir = path or Path(cfg.flows_dir)
    if locales_dir is None:
        base = flows_dir.parent if flows_dir.is_dir() else flows_dir.parent.parent
        locales_dir = base / "locales" if (base / "locales").is_dir() else Path(cfg.locales_dir)
    if flows_dir.is_file():
        # One file is checked with its siblings so jumps to other flows resolve.
        fs, problems = read_flowset(flows_dir.parent, locales_dir, cfg.default_lang, cfg.currency, region=cfg.default_region)
        problems = [p for p in problems if Path(p.file).name == flows_dir.name or p.file.endswith(".yaml")
                    and "locales" in Path(p.file).parts]
    else:
        fs, problems = read_flowset(flows_dir, locales_dir, cfg.default_lang, cfg.currency, region=cfg.default_region)
    errors = [p for p in problems if p.severity == ERROR]
    for p in problems:
        if quiet and p.severity != ERROR:
            continue
        click.echo(str(p), err=False)
    took = (time.perf_counter() - started) * 1000
    warnings = len(problems) - len(errors)
    click.echo(f"{len(fs.flows)} flows, {len(errors)} errors, {warnings} warnings ({took:.0f} ms)", err=True)
    sys.exit(1 if errors else 0)
