"""Flows compiled for running: what a step needs, looked up instead of rebuilt.

An :class:`~bot.engine.runner.Engine` is built once per flow set (a reload
builds a new one), so everything here is computed when the engine is made and
only read afterwards:

* each state's ``say`` keys resolved to templates in every language of the line
  (the catalog's own fallbacks applied once: default language, then
  ``common.unavailable``), so a prompt is one dict lookup and one fill;
* each ask's input kind, its optional quick reader (the usual answer, bare
  digits, read without building a ParseContext; see ``inputs/__init__.py``)
  and one routing table that merges ``on:`` with the options' ``goto:``.

Plans hold no per-contact data: role-filtered choices stay in the engine's
caches, keyed by roles.
"""
from __future__ import annotations

from typing import Any, Callable

from .flows import Ask, Flow, State
from .inputs.registry import KINDS
from .locales import Catalog, Template


def quick_reader(kind: Any, spec: Any) -> Callable[[str], Any] | None:
    """``kind.quick_reader(spec)`` for kinds that have one, else None."""
    make = getattr(kind, "quick_reader", None)
    return make(spec) if make is not None else None


class AskPlan:
    __slots__ = ("kind", "quick", "routes")

    def __init__(self, ask: Ask):
        #: None for a kind lint would reject; the runner then fails as before (KeyError)
        self.kind = KINDS.get(ask.kind)
        #: text -> Parsed, or None when the full parse is needed. A choice's
        #: options depend on the contact's roles, so its reader is made per roles
        #: by the engine, next to the spec it reads.
        self.quick = quick_reader(self.kind, ask.spec) if ask.kind != "choice" else None
        # The answer's value -> next state. ``on:`` wins over an option's
        # ``goto:``; among options the last one with that value wins, as the
        # old loop over the options did.
        routes = {opt.value: opt.goto for opt in ask.options if opt.goto}
        routes.update(ask.on)
        self.routes = routes


class StatePlan:
    __slots__ = ("state", "prompts", "ask", "choices")

    def __init__(self, state: State, catalog: Catalog):
        self.state = state
        #: lang -> one template per ``say`` key, in order
        self.prompts: dict[str, tuple[Template, ...]] = {
            lang: tuple(catalog.template(lang, key) for key in state.say) for lang in catalog.langs
        }
        self.ask = AskPlan(state.ask) if state.ask is not None else None
        #: the ask shows numbered options (which depend on the contact's roles)
        self.choices = state.ask is not None and bool(state.ask.options or state.ask.menu)


def compile_plans(flows: dict[str, Flow], catalog: Catalog) -> dict[str, dict[str, StatePlan]]:
    """flow name -> state name -> plan."""
    return {name: {sname: StatePlan(st, catalog) for sname, st in flow.states.items()} for name, flow in flows.items()}
