"""What the roster commands share: the store, a number from the command line,
and how a CSV import ends."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import from_env
from ..members import MemberError, normalise_number


def open_store():
    from ..runtime import open_store as open_configured

    return open_configured(from_env())


def number_arg(raw: str, what: str = "") -> str:
    """``raw`` as E.164 in the line's region, or a usage error naming ``what``."""
    try:
        return normalise_number(raw, from_env().default_region)
    except MemberError as exc:
        raise click.UsageError(f"{what}: {exc}" if what else str(exc)) from None


def finish_import(path: Path, added: int, updated: int, errors: list[tuple[int, str]]) -> None:
    """Bad rows as ``file:line: reason`` on stderr, the totals, exit 1 when any row was bad."""
    for line, error in errors:
        click.echo(f"{path}:{line}: {error}", err=True)
    click.echo(f"{added} added, {updated} updated, {len(errors)} bad rows")
    sys.exit(1 if errors else 0)
