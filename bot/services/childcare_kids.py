"""Emergency childcare: registered children, as the CHILD / HIJO flow
(``childcare_add_child``) and a coordinator (``vecina members child add`` /
``import``) both write them: one ``childcare.child`` record
{id, parent, name, age, place} per child. The same first name for the same
parent (case ignored) updates that child rather than adding a twin.
"""
from __future__ import annotations

import csv
from typing import Any, Callable, Iterable

from ..members import MemberError, normalise_number
from .childcare import CHILD

MAX_NAME, MAX_PLACE, MAX_AGE = 40, 80, 17
COLUMNS = ("parent", "name", "age", "place")


class ChildError(ValueError):
    """A child's details that cannot be saved (said to the coordinator)."""


def children(store, parent: str) -> list[dict]:
    return sorted(store.find_records(CHILD, parent=parent), key=lambda c: (str(c.get("name")), str(c.get("id"))))


def tidy(text: Any, limit: int) -> str:
    return " ".join(str(text or "").split())[:limit]


def parse_age(raw: Any) -> int | None:
    """An age from a CSV cell or a command-line option: blank is unknown."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        age = int(str(raw).strip())
    except ValueError:
        raise ChildError(f"age '{raw}' is not a whole number") from None
    if not 0 <= age <= MAX_AGE:
        raise ChildError(f"age {age} is not between 0 and {MAX_AGE}")
    return age


def save_child(store, parent: str, name: Any, age: int | None, place: Any,
               new_id: Callable[[], str]) -> tuple[str, bool]:
    """Write the child record; (its id, True when it is a new child)."""
    name = tidy(name, MAX_NAME)
    if not name:
        raise ChildError("the child's first name is missing")
    same = [c for c in children(store, parent) if str(c.get("name")).lower() == name.lower()]
    child_id = same[0]["id"] if same else new_id()
    store.put_record(CHILD, child_id, {"id": child_id, "parent": parent, "name": name,
                                       "age": age if isinstance(age, int) else None,
                                       "place": tidy(place, MAX_PLACE)})
    return child_id, not same


def read_children_csv(lines: Iterable[str], region: str) -> Iterable[tuple[int, dict | None, str | None]]:
    """(line number, {parent, name, age, place} | None, error | None) per data row
    of a CSV with the columns parent, name, age, place (age and place may be blank)."""
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    missing = [c for c in ("parent", "name") if c not in header]
    if missing:
        yield 1, None, f"missing column(s): {', '.join(missing)} (expected {', '.join(COLUMNS)})"
        return
    for row in reader:
        row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
        line = reader.line_num
        try:
            parent = normalise_number(row.get("parent", ""), region)
            name = tidy(row.get("name"), MAX_NAME)
            if not name:
                raise ChildError("the child's first name is missing")
            yield line, {"parent": parent, "name": name, "age": parse_age(row.get("age")),
                         "place": tidy(row.get("place"), MAX_PLACE)}, None
        except (MemberError, ChildError) as exc:
            yield line, None, str(exc)
