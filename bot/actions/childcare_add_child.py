"""childcare_add_child: a parent registers a child (first name, age, usual place).

Example::

    save_child:
      action: {call: childcare_add_child, with: {name: "{child_name}", age: "{child_age}", place: "{place}"}}
      goto: child_saved

Writes a ``childcare.child`` record {id, parent, name, age, place} (the same
record ``vecina members child add`` / ``import`` creates:
``services/childcare_kids.save_child``). The same first name again updates
that child rather than adding a twin. Results: ``ok`` (data id), ``empty``
(no name).
"""
from __future__ import annotations

from ..engine.model import ActionResult, Audit
from ..services.childcare_kids import ChildError, save_child
from .base import Action


class ChildcareAddChild(Action):
    name = "childcare_add_child"
    params = {"name": True, "age": False, "place": False}
    results = ("ok", "empty")
    outputs = ("id",)

    def run(self, ctx, params):
        parent = ctx.contact.id
        age = params.get("age")
        try:
            child_id, _ = save_child(ctx.store, parent, params.get("name"), age if isinstance(age, int) else None,
                                     params.get("place"), lambda: ctx.ids.next("child"))
        except ChildError:
            return ActionResult("empty")
        return ActionResult("ok", {"id": child_id}, (Audit(parent, "childcare.child_saved", {"child": child_id}),))


ACTION = ChildcareAddChild()
