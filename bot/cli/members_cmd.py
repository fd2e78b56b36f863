"""vecina members add|import|list|remove: the line's roster."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..config import from_env
from ..members import MemberError, member_fields, normalise_number, read_csv, save_member
from ..store.contacts import ROLES


def _store():
    from ..runtime import open_store

    return open_store(from_env())


@click.group()
def members() -> None:
    """Add, import, list and remove members."""


@members.command("add")
@click.argument("number")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--name")
@click.option("--lang", type=click.Choice(["en", "es"]))
@click.option("--area")
@click.option("--vetted", is_flag=True, default=None, help="A coordinator checked this helper.")
@click.option("--trained", is_flag=True, default=None, help="This peer finished the training.")
def add(number, roles, name, lang, area, vetted, trained) -> None:
    """Add a member, or update one already on the roster."""
    cfg = from_env()
    try:
        num = normalise_number(number, cfg.default_region)
        fields = member_fields(roles, name, lang, area, vetted, trained)
    except MemberError as exc:
        raise click.UsageError(str(exc)) from None
    store = _store()
    with store.transaction() as tx:
        existed = tx.get_contact(num) is not None
        tx.upsert_contact(num, **fields, **({} if existed else {"created_at": datetime.now(timezone.utc)}))
        tx.audit({"at": datetime.now(timezone.utc), "contact": num, "what": "member.added" if not existed
                  else "member.updated", "data": {"roles": fields["roles"]}})
    click.echo(f"{'updated' if existed else 'added'} {num} ({', '.join(fields['roles'])})")


@members.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(path: Path) -> None:
    """Import a roster CSV (number, roles, name, lang, area, vetted, trained).

    Good rows are kept, bad rows are reported by line; importing again updates."""
    from tqdm import tqdm

    cfg = from_env()
    store = _store()
    text = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    added = updated = 0
    errors = []
    rows = read_csv(text, cfg.default_region)
    for line, number, fields, error in tqdm(rows, total=max(len(text) - 1, 0), disable=len(text) < 500,
                                            file=sys.stderr, unit="row"):
        if error:
            errors.append((line, error))
            continue
        if save_member(store, number, fields, datetime.now(timezone.utc)):
            added += 1
        else:
            updated += 1
    for line, error in errors:
        click.echo(f"{path}:{line}: {error}", err=True)
    click.echo(f"{added} added, {updated} updated, {len(errors)} bad rows")
    sys.exit(1 if errors else 0)


@members.command("list")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--json", "as_json", is_flag=True)
def list_(role, as_json) -> None:
    """List members (numbers in full: this is the coordinator's own terminal)."""
    rows = _store().list_contacts(role)
    if as_json:
        click.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
        return
    for r in rows:
        flags = " ".join(f for f in ("vetted", "trained", "opted_out") if r.get(f))
        click.echo(f"{r['id']}\t{','.join(r.get('roles') or [])}\t{r.get('name') or ''}\t{r.get('lang') or ''}\t"
                   f"{r.get('area') or ''}\t{flags}")


@members.command("remove")
@click.argument("number")
def remove(number) -> None:
    """Remove a member from the roster."""
    cfg = from_env()
    try:
        num = normalise_number(number, cfg.default_region)
    except MemberError as exc:
        raise click.UsageError(str(exc)) from None
    if not _store().remove_contact(num):
        raise click.ClickException(f"{num} is not on the roster")
    click.echo(f"removed {num}")
