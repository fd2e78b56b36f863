"""Contact records as stored, and the read-only view the engine gets."""
from __future__ import annotations

from typing import Any, Mapping

from ..engine.model import Contact

ROLES = ("parent", "helper", "teacher", "cleaner", "client", "peer", "coordinator")
PROFILE_FIELDS = ("lang", "roles", "name", "area", "opted_out", "vetted", "trained")


def new_record(contact_id: str, **fields: Any) -> dict:
    rec = {"id": contact_id, "lang": None, "roles": [], "name": None, "area": None,
           "opted_out": False, "vetted": False, "trained": False}
    rec.update(fields)
    return rec


def view(rec: Mapping[str, Any]) -> Contact:
    extra = {k: v for k, v in rec.items() if k not in PROFILE_FIELDS and k != "id"}
    return Contact(id=rec["id"], lang=rec.get("lang"), roles=tuple(rec.get("roles") or ()),
                   name=rec.get("name"), area=rec.get("area"), opted_out=bool(rec.get("opted_out")),
                   fields=extra)
