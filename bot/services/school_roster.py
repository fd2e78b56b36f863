"""Class rosters for school alerts: read a CSV, keep its good rows.

Columns (first line names them; a few other spellings are accepted, see
``COLUMNS``): ``code, name, parent, lang, school`` and optionally ``teacher``
and ``age``. Each good row becomes a ``school.student`` record
``{id: "<school key>:<CODE>", code, name, age, parent, parent_lang, school, teacher}``;
importing again updates the same records (the id is the school and the code).
Parents become contacts with the parent role, and the roster's language only
when they have none yet: a language the parent chose is never overwritten.
"""
from __future__ import annotations

import csv
from typing import Any, Iterable

from ..members import LANGS, MemberError, normalise_number
from .school import FILLERS, MAX_CODE_LEN, norm_code, parse_codes, school_key, student_id

# column -> the header spellings accepted for it (lower case)
COLUMNS = {
    "code": ("code", "student_code", "student code", "student", "codigo", "código"),
    "name": ("name", "child", "child_name", "first_name", "nombre"),
    "parent": ("parent", "parent_number", "parent number", "parent_phone", "number", "phone"),
    "lang": ("lang", "parent_lang", "parent language", "language", "idioma"),
    "school": ("school", "escuela"),
    "teacher": ("teacher", "teacher_number", "teacher number", "carer"),
    "age": ("age", "child_age", "edad"),
}
REQUIRED = ("code", "name", "parent", "school")
MAX_NAME = 40
MAX_SCHOOL = 60
MAX_AGE = 18


class RosterError(ValueError):
    pass


def _columns(fieldnames) -> dict[str, str]:
    """Our column -> the header as written in the file."""
    found: dict[str, str] = {}
    for header in fieldnames or ():
        key = " ".join((header or "").strip().lower().split())
        for column, spellings in COLUMNS.items():
            if key in spellings or key.replace(" ", "_") in spellings:
                found.setdefault(column, header)
    return found


def student_row(row: dict[str, str], region: str, teacher: str | None) -> dict[str, Any]:
    """A ``school.student`` record from one CSV row (values already stripped),
    or :class:`RosterError` saying what is wrong with it."""
    code = norm_code(row.get("code", ""))
    if not code:
        raise RosterError("no student code")
    if len(code) > MAX_CODE_LEN or parse_codes(code) != [code] or code in FILLERS:
        raise RosterError(f"student code {row.get('code')!r} must be one word of at most {MAX_CODE_LEN} "
                          "letters or digits (teachers type it: LATE 12)")
    name = " ".join(row.get("name", "").split())
    if not name:
        raise RosterError("no child's first name")
    if len(name) > MAX_NAME:
        raise RosterError(f"child's name longer than {MAX_NAME} characters")
    school = " ".join(row.get("school", "").split())
    if not school or not school_key(school):
        raise RosterError("no school")
    if len(school) > MAX_SCHOOL:
        raise RosterError(f"school name longer than {MAX_SCHOOL} characters")
    try:
        parent = normalise_number(row.get("parent", ""), region)
    except MemberError as exc:
        raise RosterError(f"parent number: {exc}") from None
    lang = row.get("lang", "").lower() or None
    if lang is not None and lang not in LANGS:
        raise RosterError(f"unknown parent language {row.get('lang')!r} ({' or '.join(LANGS)})")
    raw_teacher = row.get("teacher") or teacher
    if not raw_teacher:
        raise RosterError("no teacher: give --teacher or a teacher column")
    try:
        teacher_number = normalise_number(raw_teacher, region)
    except MemberError as exc:
        raise RosterError(f"teacher number: {exc}") from None
    if teacher_number == parent:
        raise RosterError("the parent's number is the teacher's")
    age = None
    if row.get("age"):
        try:
            age = int(row["age"])
        except ValueError:
            raise RosterError(f"age {row['age']!r} is not a whole number") from None
        if not 0 <= age <= MAX_AGE:
            raise RosterError(f"age {age} is not a child's age (0-{MAX_AGE})")
    return {"id": student_id(school, code, teacher_number), "code": code, "name": name, "age": age,
            "parent": parent, "parent_lang": lang, "school": school, "teacher": teacher_number}


def read_roster(lines: Iterable[str], region: str, teacher: str | None = None
                ) -> Iterable[tuple[int, dict | None, str | None]]:
    """Yield (line number, student record, error) per data row."""
    reader = csv.DictReader(lines)
    columns = _columns(reader.fieldnames)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        yield 1, None, (f"the first line must name the columns; missing: {', '.join(missing)} "
                        f"(columns: {', '.join(COLUMNS)})")
        return
    for raw in reader:
        line = reader.line_num
        row = {column: str(raw.get(header) or "").strip() for column, header in columns.items()}
        if not any(row.values()):
            continue  # a blank line at the end of a spreadsheet export
        try:
            yield line, student_row(row, region, teacher), None
        except RosterError as exc:
            yield line, None, str(exc)


def save_student(tx, student: dict, now) -> bool:
    """Write one student and make sure its parent and teacher are members with
    their roles. True when the student is new, False when it was updated."""
    existed = tx.get_record("school.student", student["id"]) is not None
    tx.put_record("school.student", student["id"], student)
    ensure_role(tx, student["parent"], "parent", now, lang=student.get("parent_lang"))
    ensure_role(tx, student["teacher"], "teacher", now)
    return not existed


def ensure_role(tx, number: str, role: str, now, lang: str | None = None) -> None:
    """Add ``role`` to a contact (creating it), and ``lang`` only when it has none."""
    rec = tx.get_contact(number)
    if rec is None:
        tx.upsert_contact(number, roles=[role], created_at=now, **({"lang": lang} if lang else {}))
        return
    changes: dict[str, Any] = {}
    if role not in (rec.get("roles") or []):
        changes["roles"] = sorted(set(rec.get("roles") or []) | {role})
    if lang and not rec.get("lang"):
        changes["lang"] = lang
    if changes:
        tx.upsert_contact(number, **changes)
