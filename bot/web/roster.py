"""``/admin/members``: the roster. Add, vet, suspend, import a CSV
(validated by :mod:`bot.members`, as ``vecina members import``), and the help
each helper has given (contact field ``helped_count``).

Forms name a member by an opaque reference (:func:`~bot.web.common.member_ref`),
so a page never carries a full number; lists show numbers masked.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..members import LANGS, TRUE, MemberError, member_fields, normalise_number, read_csv, save_member
from ..store.contacts import ROLES
from .auth import guard
from .common import find_member, mask, member_ref, rt

bp = Blueprint("roster", __name__, url_prefix="/admin/members")
guard(bp)

CSV_MAX = 512 * 1024


def _row(c: dict) -> dict:
    return {"ref": member_ref(c["id"]), "number": mask(c["id"]), "name": c.get("name") or "",
            "roles": ", ".join(c.get("roles") or ()), "lang": c.get("lang") or "", "area": c.get("area") or "",
            "vetted": bool(c.get("vetted")), "trained": bool(c.get("trained")),
            "suspended": bool(c.get("suspended")), "opted_out": bool(c.get("opted_out")),
            "helped": int(c.get("helped_count") or 0)}


def _audit(contact: str, what: str, **data) -> None:
    rt().store.audit({"at": datetime.now(timezone.utc), "contact": contact, "what": what, "by": "admin", "data": data})


@bp.get("")
def members():
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    rows = [_row(c) for c in rt().store.list_contacts(role)]
    helpers = sorted((r for r in rows if "helper" in r["roles"]), key=lambda r: (-r["helped"], r["name"]))
    return render_template("admin_members.html", rows=rows, helpers=helpers, roles=ROLES, langs=LANGS, role=role)


@bp.post("/add")
def add():
    form = request.form
    try:
        number = normalise_number(form.get("number", ""), rt().cfg.default_region)
        fields = member_fields(form.getlist("roles"), form.get("name") or None, form.get("lang") or None,
                               form.get("area") or None, vetted=form.get("vetted") in TRUE | {"on"},
                               trained=form.get("trained") in TRUE | {"on"})
    except MemberError as exc:
        flash(str(exc), "error")
        return redirect(url_for("roster.members"), 303)
    with rt().store.transaction() as tx:
        existed = tx.get_contact(number) is not None
        tx.upsert_contact(number, **fields, **({} if existed else {"created_at": datetime.now(timezone.utc)}))
    _audit(number, "member.updated" if existed else "member.added", roles=fields["roles"])
    flash(f"{'Updated' if existed else 'Added'} {mask(number)}.", "ok")
    return redirect(url_for("roster.members"), 303)


def _toggle(ref: str, field: str) -> object:
    contact = find_member(ref)
    if contact is None:
        abort(404)
    value = request.form.get("value", "1") in TRUE
    rt().store.upsert_contact(contact["id"], **{field: value})
    _audit(contact["id"], f"member.{field}", value=value)
    flash(f"{contact.get('name') or mask(contact['id'])}: {field} {'on' if value else 'off'}.", "ok")
    return redirect(url_for("roster.members"), 303)


@bp.post("/<ref>/vet")
def vet(ref: str):
    return _toggle(ref, "vetted")


@bp.post("/<ref>/suspend")
def suspend(ref: str):
    return _toggle(ref, "suspended")


@bp.post("/import")
def import_csv():
    upload = request.files.get("csv")
    raw = upload.read(CSV_MAX + 1) if upload else request.form.get("csv_text", "").encode()
    if len(raw) > CSV_MAX:
        flash("That file is too big (512 KB at most).", "error")
        return redirect(url_for("roster.members"), 303)
    text = raw.decode("utf-8-sig", errors="replace").splitlines(keepends=True)
    added = updated = 0
    errors = []
    for line, number, fields, error in read_csv(text, rt().cfg.default_region):
        if error:
            errors.append(f"line {line}: {error}")
            continue
        if save_member(rt().store, number, fields, datetime.now(timezone.utc)):
            added += 1
        else:
            updated += 1
    flash(f"{added} added, {updated} updated, {len(errors)} bad rows.", "error" if errors else "ok")
    for err in errors[:20]:
        flash(err, "error")
    return redirect(url_for("roster.members"), 303)
