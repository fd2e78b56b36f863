"""childcare_add_child: a parent registers a child (first name, age, usual place).

Example::

    save_child:
      action: {call: childcare_add_child, with: {name: "{child_name}", age: "{child_age}", place: "{place}"}}
      goto: child_saved

Writes a ``childcare.child`` record {id, parent, name, age, place} (the same
record a coordinator's import creates). The same first name again updates
that child rather than adding a twin. Results: ``ok`` (data id), ``empty``
(no name).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit
from ..services.childcare import CHILD
from .base import Action
from .childcare_children import children


class ChildcareAddChild(Action):
    name = "childcare_add_child"
    params = {"name": True, "age": False, "place": False}
    results = ("ok", "empty")
    outputs = ("id",)

    def run(self, ctx, params):
        name = " ".join(str(params.get("name") or "").split())[:40]
        if not name:
            return ActionResult("empty")
        parent = ctx.contact.id
        same = [c for c in children(ctx.store, parent) if str(c.get("name")).lower() == name.lower()]
        child_id = same[0]["id"] if same else ctx.ids.next("child")
        age = params.get("age")
        record = {"id": child_id, "parent": parent, "name": name,
                  "age": age if isinstance(age, int) else None,
                  "place": " ".join(str(params.get("place") or "").split())[:80]}
        ctx.store.put_record(CHILD, child_id, record)
        return ActionResult("ok", {"id": child_id}, (Audit(parent, "childcare.child_saved", {"child": child_id}),))


ACTION = ChildcareAddChild()
