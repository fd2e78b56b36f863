"""vecina roster import|grace: class lists and grace windows for school alerts."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..config import from_env
from .common import finish_import, number_arg, open_store


@click.group()
def roster() -> None:
    """Class rosters for school alerts."""


@roster.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--teacher", help="The teacher's or carer's number (given the teacher role); "
                                "a 'teacher' column overrides it per row.")
def import_(path: Path, teacher: str | None) -> None:
    """Import a class roster CSV (code, name, parent, lang, school[, teacher, age]).

    Good rows are kept, bad rows are reported by line; importing again updates
    the same students. A parent's own language choice is never overwritten."""
    from tqdm import tqdm

    from ..services.school_roster import read_roster, save_student

    cfg = from_env()
    if teacher:
        teacher = number_arg(teacher, "--teacher")
    store = open_store()
    text = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    added = updated = 0
    errors = []
    rows = read_roster(text, cfg.default_region, teacher)
    for line, student, error in tqdm(rows, total=max(len(text) - 1, 0), disable=len(text) < 500,
                                     file=sys.stderr, unit="row"):
        if error:
            errors.append((line, error))
            continue
        with store.transaction() as tx:
            if save_student(tx, student, datetime.now(timezone.utc)):
                added += 1
            else:
                updated += 1
    if added or updated:
        store.audit({"at": datetime.now(timezone.utc), "contact": teacher or "cli", "what": "school.roster_imported",
                     "data": {"file": path.name, "added": added, "updated": updated, "bad": len(errors)}})
    finish_import(path, added, updated, errors)


@roster.command("grace")
@click.argument("school")
@click.argument("minutes", type=click.IntRange(0, 240), required=False)
def grace(school: str, minutes: int | None) -> None:
    """Show or set a school's own grace window in minutes (else SCHOOL_GRACE_MINUTES).

    The school is named as in the roster (case and accents do not matter)."""
    from ..services.school import grace_minutes, school_key

    cfg = from_env()
    store = open_store()
    key = school_key(school)
    if not key:
        raise click.UsageError("name the school")
    if minutes is not None:
        with store.transaction() as tx:
            tx.put_record("school.settings", key, {"id": key, "school": " ".join(school.split()),
                                                   "grace_minutes": minutes})
            tx.audit({"at": datetime.now(timezone.utc), "contact": "cli", "what": "school.grace_set",
                      "data": {"school": key, "minutes": minutes}})
    click.echo(f"{' '.join(school.split())}: {grace_minutes(store, cfg.extra, school)} min")
