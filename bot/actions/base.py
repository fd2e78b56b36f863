"""What every action is given and must declare."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Mapping

from ..engine.locales import Catalog
from ..engine.model import ActionResult, Contact, Ids, Send


@dataclass
class ActionContext:
    contact: Contact  # who the flow is talking to
    store: Any  # the store (bot.store): contacts, records, audit
    catalog: Catalog
    now: datetime
    ids: Ids
    settings: Mapping[str, Any] = field(default_factory=dict)

    def say(self, to: Contact, key: str, **values: Any) -> Send:
        """A message to another member, in that member's language."""
        lang = self.catalog.lang_for(to.lang)
        return Send(to.id, self.catalog.text(lang, key, values), key, (), lang)


class Action:
    """Base class. Subclasses set the class attributes and implement ``run``."""

    name: ClassVar[str]
    #: parameter name -> True when required
    params: ClassVar[Mapping[str, bool]] = {}
    #: result labels it can return (route them with ``on:``)
    results: ClassVar[tuple[str, ...]] = ("ok",)
    #: keys of the data it returns (usable as ``{save_name.key}`` placeholders)
    outputs: ClassVar[tuple[str, ...]] = ()

    def run(self, ctx: ActionContext, params: Mapping[str, Any]) -> ActionResult:  # pragma: no cover
        raise NotImplementedError
