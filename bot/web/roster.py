"""``/admin/members``: the roster. Add, vet, mark trained, suspend, import a
CSV (validated by :mod:`bot.members`, as ``vecina members import``), and the
help each helper has given (contact field ``helped_count``).

The add form sets ``vetted`` and ``trained`` exactly as ticked: each checkbox
comes after a hidden ``0`` of the same name, so an unticked box still sends
"0". A post without the field at all (another form, a script) leaves the
member's value as it was.

Forms name a member by an opaque reference (:func:`~bot.web.common.member_ref`),
so a page never carries a full number; lists show numbers masked.

``?pseudonym=3310`` (the lookup box) finds whose peer-support pseudonym that
is: alerts name "Volunteer 3310" (a volunteer's ``peer_pseudonym``) and
"Neighbour 4821" (the person's ``pseudonym``), and a coordinator acting on
one needs the member row. Each lookup goes in the audit log under the
pseudonym, so unmasking someone is on the record.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..members import LANGS, TRUE, MemberError, member_fields, normalise_number, read_csv, save_member
from ..store.contacts import ROLES
from .auth import guard
from ..services.peer import digits_in
from .common import find_member, mask, member_ref, rt
from .i18n import t

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
    contacts = rt().store.list_contacts()
    rows = [_row(c) for c in contacts if role is None or role in (c.get("roles") or ())]
    helpers = sorted((r for r in rows if "helper" in r["roles"]), key=lambda r: (-r["helped"], r["name"]))
    pseudonym = digits_in(request.args.get("pseudonym"))[:8]
    found = _by_pseudonym(contacts, pseudonym) if pseudonym else []
    return render_template("admin_members.html", rows=rows, helpers=helpers, roles=ROLES, langs=LANGS, role=role,
                           pseudonym=pseudonym, asked=bool((request.args.get("pseudonym") or "").strip()),
                           found=found)


# contact field -> how the lookup names it (web.members.as_*)
PSEUDONYM_FIELDS = (("peer_pseudonym", "as_volunteer"), ("pseudonym", "as_neighbour"))


def _by_pseudonym(contacts: list[dict], pseudonym: str) -> list[dict]:
    """Members whose volunteer or neighbour pseudonym is ``pseudonym`` (one at
    most of each: pseudonyms are claimed), with which one it is."""
    found = [{**_row(c), "as": label} for c in contacts for field, label in PSEUDONYM_FIELDS
             if str(c.get(field) or "") == pseudonym]
    _audit(f"peer:{pseudonym}", "peer.pseudonym_lookup", found=len(found))
    return found


def _ticked(form, name: str) -> bool | None:
    """A checkbox as the form sent it: its last value (the hidden "0" comes
    first), or None when the form did not carry the field."""
    values = form.getlist(name)
    return values[-1].strip().lower() in TRUE | {"on"} if values else None


@bp.post("/add")
def add():
    form = request.form
    try:
        number = normalise_number(form.get("number", ""), rt().cfg.default_region)
        fields = member_fields(form.getlist("roles"), form.get("name") or None, form.get("lang") or None,
                               form.get("area") or None, vetted=_ticked(form, "vetted"),
                               trained=_ticked(form, "trained"))
    except MemberError as exc:
        flash(str(exc), "error")
        return redirect(url_for("roster.members"), 303)
    with rt().store.transaction() as tx:
        existed = tx.get_contact(number) is not None
        tx.upsert_contact(number, **fields, **({} if existed else {"created_at": datetime.now(timezone.utc)}))
    _audit(number, "member.updated" if existed else "member.added", roles=fields["roles"],
           **{k: fields[k] for k in ("vetted", "trained") if k in fields})
    flash(t("members.updated" if existed else "members.added", number=mask(number)), "ok")
    return redirect(url_for("roster.members"), 303)


def _toggle(ref: str, field: str) -> object:
    contact = find_member(ref)
    if contact is None:
        abort(404)
    value = request.form.get("value", "1") in TRUE
    rt().store.upsert_contact(contact["id"], **{field: value})
    _audit(contact["id"], f"member.{field}", value=value)
    flash(t(f"members.{field}_{'on' if value else 'off'}", who=contact.get("name") or mask(contact["id"])), "ok")
    return redirect(url_for("roster.members"), 303)


@bp.post("/<ref>/vet")
def vet(ref: str):
    return _toggle(ref, "vetted")


@bp.post("/<ref>/train")
def train(ref: str):
    return _toggle(ref, "trained")


@bp.post("/<ref>/suspend")
def suspend(ref: str):
    return _toggle(ref, "suspended")


@bp.post("/import")
def import_csv():
    upload = request.files.get("csv")
    raw = upload.read(CSV_MAX + 1) if upload else request.form.get("csv_text", "").encode()
    if len(raw) > CSV_MAX:
        flash(t("members.csv_too_big"), "error")
        return redirect(url_for("roster.members"), 303)
    text = raw.decode("utf-8-sig", errors="replace").splitlines(keepends=True)
    added = updated = 0
    errors = []
    for line, number, fields, error in read_csv(text, rt().cfg.default_region):
        if error:
            errors.append(t("members.csv_line", line=line, error=error))
            continue
        if save_member(rt().store, number, fields, datetime.now(timezone.utc)):
            added += 1
        else:
            updated += 1
    flash(t("members.imported", added=added, updated=updated, bad=len(errors)), "error" if errors else "ok")
    for err in errors[:20]:
        flash(err, "error")
    return redirect(url_for("roster.members"), 303)
