"""vecina members add|import|list|remove: the line's roster; vecina members child add|import|list:
parents' children for emergency childcare."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..config import from_env
from .common import finish_import, number_arg, open_store
from ..members import LANGS, MemberError, member_fields, normalise_number, read_csv, save_member
from ..store.contacts import ROLES


@click.group()
def members() -> None:
    """Add, import, list and remove members."""


@members.command("add")
@click.argument("number")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--name")
@click.option("--lang", type=click.Choice(list(LANGS)))
@click.option("--area")
@click.option("--vetted", is_flag=True, default=None, help="A coordinator checked this helper.")
@click.option("--trained", is_flag=True, default=None, help="This peer finished the training.")
@click.option("--languages", help="Peer volunteers: the languages they get posts in, like en,es (default: --lang).")
@click.option("--quiet", help="Peer volunteers: hours with no new posts, like 22:00-07:00 (line time), or off.")
def add(number, roles, name, lang, area, vetted, trained, languages, quiet) -> None:
    """Add a member, or update one already on the roster."""
    cfg = from_env()
    try:
        num = normalise_number(number, cfg.default_region)
        fields = member_fields(roles, name, lang, area, vetted, trained, languages, quiet)
    except MemberError as exc:
        raise click.UsageError(str(exc)) from None
    store = open_store()
    with store.transaction() as tx:
        existed = tx.get_contact(num) is not None
        tx.upsert_contact(num, **fields, **({} if existed else {"created_at": datetime.now(timezone.utc)}))
        tx.audit({"at": datetime.now(timezone.utc), "contact": num, "what": "member.added" if not existed
                  else "member.updated", "data": {"roles": fields["roles"]}})
    click.echo(f"{'updated' if existed else 'added'} {num} ({', '.join(fields['roles'])})")


@members.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(path: Path) -> None:
    """Import a roster CSV (number, roles, name, lang, area, vetted, trained, languages, quiet).

    Good rows are kept, bad rows are reported by line; importing again updates."""
    from tqdm import tqdm

    cfg = from_env()
    store = open_store()
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
    finish_import(path, added, updated, errors)


@members.command("list")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--json", "as_json", is_flag=True)
def list_(role, as_json) -> None:
    """List members (numbers in full: this is the coordinator's own terminal)."""
    rows = open_store().list_contacts(role)
    if as_json:
        click.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
        return
    for r in rows:
        flags = " ".join(f for f in ("vetted", "trained", "opted_out") if r.get(f))
        peer = ""
        if r.get("languages") or r.get("quiet_start"):
            peer = f"\t{','.join(r.get('languages') or [])}\t{r.get('quiet_start') or ''}-{r.get('quiet_end') or ''}"
        click.echo(f"{r['id']}\t{','.join(r.get('roles') or [])}\t{r.get('name') or ''}\t{r.get('lang') or ''}\t"
                   f"{r.get('area') or ''}\t{flags}{peer}")


@members.command("remove")
@click.argument("number")
def remove(number) -> None:
    """Remove a member from the roster."""
    num = number_arg(number)
    store = open_store()
    try:
        # under their lock: a step of theirs running now finishes first, so
        # nothing it writes (a session, a timer) outlives the removal
        with store.contact_lock(num):
            removed = store.remove_contact(num)
    except TimeoutError:
        raise click.ClickException(f"{num} is being answered right now; try again in a moment") from None
    if not removed:
        raise click.ClickException(f"{num} is not on the roster")
    click.echo(f"removed {num}")


# ------------------------------------------------------------------ children (emergency childcare)
@members.group("child")
def child() -> None:
    """Register parents' children for emergency childcare (what CHILD / HIJO does by text)."""


def _save_children(store, rows, who: str = "cli") -> tuple[int, int]:
    """Save (parent, name, age, place) rows; (added, updated)."""
    from ..runtime import UuidIds
    from ..services.childcare_kids import save_child

    ids, now = UuidIds(), datetime.now(timezone.utc)
    added = updated = 0
    for row in rows:
        with store.transaction() as tx:
            child_id, new = save_child(tx, row["parent"], row["name"], row["age"], row["place"],
                                       lambda: ids.next("child"))
            tx.audit({"at": now, "contact": row["parent"], "what": "childcare.child_saved",
                      "data": {"child": child_id, "by": who}})
        added, updated = added + new, updated + (not new)
    return added, updated


def _parent_error(store, number: str) -> str | None:
    rec = store.get_contact(number)
    if rec is None:
        return f"{number} is not on the roster (vecina members add {number} --role parent)"
    if "parent" not in (rec.get("roles") or ()):
        return f"{number} is not a parent (vecina members add {number} --role parent)"
    return None


@child.command("add")
@click.argument("parent")
@click.option("--name", required=True, help="The child's first name.")
@click.option("--age", help="Age in years (0-17).")
@click.option("--place", help="School or usual place, e.g. \"Lincoln School\".")
def child_add(parent, name, age, place) -> None:
    """Register a child of PARENT (a member with the parent role). The same
    first name again updates that child."""
    from ..services.childcare_kids import ChildError, parse_age, tidy

    cfg = from_env()
    try:
        num = normalise_number(parent, cfg.default_region)
        row = {"parent": num, "name": tidy(name, 40), "age": parse_age(age), "place": place}
        if not row["name"]:
            raise ChildError("the child's first name is missing")
    except (MemberError, ChildError) as exc:
        raise click.UsageError(str(exc)) from None
    store = open_store()
    problem = _parent_error(store, num)
    if problem:
        raise click.ClickException(problem)
    added, _ = _save_children(store, [row])
    click.echo(f"{'added' if added else 'updated'} {row['name']} for {num}")


@child.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def child_import(path: Path) -> None:
    """Import children from a CSV (parent, name, age, place).

    Each parent must be on the roster with the parent role. Good rows are
    kept, bad rows are reported by line; importing again updates."""
    from ..services.childcare_kids import read_children_csv

    cfg = from_env()
    store = open_store()
    text = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    good, errors = [], []
    for line, row, error in read_children_csv(text, cfg.default_region):
        error = error or _parent_error(store, row["parent"])
        if error:
            errors.append((line, error))
        else:
            good.append(row)
    added, updated = _save_children(store, good)
    finish_import(path, added, updated, errors)


@child.command("list")
@click.argument("parent")
def child_list(parent) -> None:
    """The children registered for PARENT."""
    from ..services.childcare_kids import children

    num = number_arg(parent)
    for kid in children(open_store(), num):
        age = "" if kid.get("age") is None else kid["age"]
        click.echo(f"{kid['name']}\t{age}\t{kid.get('place') or ''}")
