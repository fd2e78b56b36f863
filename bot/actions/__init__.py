"""Actions: the Python a flow can call by name (``action: {call: NAME, with: …}``).

One module per action type in this package, each defining a subclass of
:class:`bot.actions.base.Action` whose docstring shows its YAML use. They are
registered by name in :data:`REGISTRY` when :func:`load` imports the package's
modules; nothing registers itself by a side effect of some other import.

An action runs in the shell (it may read and write the store), never in the
engine; it returns an :class:`~bot.engine.model.ActionResult` whose ``result``
routes through the state's ``on:`` and whose ``data`` the state may ``save``.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Action, ActionContext

REGISTRY: dict[str, Action] = {}


def load() -> dict[str, Action]:
    """Import every action module in this package and index them by name."""
    if REGISTRY:
        return REGISTRY
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in ("base",) or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        action = getattr(module, "ACTION", None)
        if action is None:
            raise RuntimeError(f"bot/actions/{info.name}.py defines no ACTION")
        if action.name in REGISTRY:
            raise RuntimeError(f"action {action.name!r} is defined twice")
        REGISTRY[action.name] = action
    return REGISTRY


__all__ = ["Action", "ActionContext", "REGISTRY", "load"]
