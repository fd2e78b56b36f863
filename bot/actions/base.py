"""What every action is given and must declare."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Mapping

from ..engine.locales import Catalog
from ..engine.model import ActionResult, CancelTimer, Contact, Emit, Ids, Schedule, Send


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

    def emit(self, to: str, event: str, **data: Any) -> Emit:
        """An event for another member's session (a ``wait:`` there can route on
        it). It runs after this step, under that member's own lock."""
        return Emit(to, event, data)

    def schedule_job(self, action: str, at: datetime, key: str, **data: Any) -> Schedule:
        """Run the action named ``action`` at ``at`` as a background job with
        ``data`` as its parameters (no session). ``key`` names the job, e.g.
        ``childcare.ring:R482``: scheduling the same key again replaces it, and
        :meth:`cancel_job` with it cancels it."""
        return Schedule(job_timer_id(key), f"job:{key}", at, action, data)

    def cancel_job(self, key: str) -> CancelTimer:
        return CancelTimer(job_timer_id(key))


def job_timer_id(key: str) -> str:
    return f"job:{key}"


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
