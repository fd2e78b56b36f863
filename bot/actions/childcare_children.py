"""childcare_children: the parent's registered children, or the child a flow was given.

Example::

    begin:
      action:
        call: childcare_children
        with: {child_name: "{child_name}", child_age: "{child_age}", place: "{place}"}
        save: kids
        on: {given_all: ask_time, given_name: ask_place, none: ask_name, one: one_child, many: ask_which}
    picked:
      action: {call: childcare_children, with: {pick: "{pick}"}, save: kids, on: {one: one_child}}

With ``child_name`` already set (the school alerts jump into the request flow
with the child filled in) it answers ``given_all`` (place known too) or
``given_name``. Otherwise it lists the parent's ``childcare.child`` records:
``none``, ``one`` (data: name, age, place, has_place), ``many`` (data: list,
e.g. "1 Ana (7), 2 Leo (4)"). With ``pick`` (1-based) it answers ``one`` for
that child, or ``many`` again when the number is not on the list. Data always
has ``count`` and ``trusted`` (how many trusted helpers the parent named).
Results: given_all, given_name, none, one, many.
"""
from __future__ import annotations

from ..engine.model import ActionResult
from ..services.childcare_kids import children
from .base import Action


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class ChildcareChildren(Action):
    name = "childcare_children"
    params = {"child_name": False, "child_age": False, "place": False, "pick": False}
    results = ("given_all", "given_name", "none", "one", "many")
    outputs = ("count", "trusted", "name", "age", "place", "has_place", "list")

    def run(self, ctx, params):
        kids = children(ctx.store, ctx.contact.id)
        base = {"count": len(kids), "trusted": len(ctx.contact.fields.get("trusted_helpers") or ())}
        if not blank(params.get("child_name")):
            result = "given_name" if blank(params.get("place")) else "given_all"
            return ActionResult(result, {**base, "name": params["child_name"], "age": params.get("child_age"),
                                         "place": params.get("place")})
        pick = params.get("pick")
        if len(kids) == 1 or (isinstance(pick, int) and 1 <= pick <= len(kids)):
            kid = kids[pick - 1 if isinstance(pick, int) and len(kids) > 1 else 0]
            return ActionResult("one", {**base, "name": kid.get("name"), "age": kid.get("age"),
                                        "place": kid.get("place") or "", "has_place": bool(kid.get("place"))})
        if not kids:
            return ActionResult("none", base)
        listing = ", ".join(f"{i} {k.get('name')} ({k.get('age')})" for i, k in enumerate(kids, start=1))
        return ActionResult("many", {**base, "list": listing})


ACTION = ChildcareChildren()
