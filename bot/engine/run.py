"""One engine call's working state (:class:`_Run`): the session being changed,
the effects so far, and how a state is entered, answered and left. The
:class:`~bot.engine.runner.Engine` makes one per call; the order of work inside
a state is documented there and in flows/README.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .flows import Flow, State
from .flowset import MAIN_FLOW
from .inputs import ParseContext, Parsed
from .inputs.registry import KINDS
from .plans import StatePlan
from .locales import Template
from .model import (
    ENDED, TIMEOUT_EVENT, WAITING_ACTION, WAITING_EVENT, WAITING_INPUT, Audit, CallAction, CancelTimer,
    Contact, Ids, Schedule, Send, Session,
)

if TYPE_CHECKING:
    from .runner import Engine

# session variable holding the conversation a screen flow interrupted
INTERRUPTED = "_interrupted"


@dataclass(frozen=True)
class Settings:
    default_lang: str = "en"
    region: str = "US"
    max_steps: int = 50
    max_misses: int = 3
    window_seconds: int = 3600
    window_max_sends: int = 40
    line: Mapping[str, Any] = field(default_factory=dict)  # {line.x} placeholders


class _Run:
    """One call's scratch space: the session being changed and the effects."""

    __slots__ = ("engine", "s", "contact", "lang", "now", "ids", "effects", "steps", "roles")

    def __init__(self, engine: "Engine", session: Session, contact: Contact, now: datetime, ids: Ids):
        self.engine = engine
        self.s = session
        self.contact = contact
        lang = contact.lang  # Catalog.lang_for, without the call
        self.lang = lang if lang in engine.catalog.flat else engine.catalog.default_lang
        self.now = now
        self.ids = ids
        self.effects: list = []
        self.steps = 0
        self.roles = contact.roles

    # ---------------------------------------------------------- values
    def lookup(self, name: str) -> Any:
        if "." not in name:  # a flow variable: the usual placeholder, so tested first
            return self.s.vars.get(name)
        if name.startswith("contact."):
            attr = name[8:]
            if attr in ("name", "first_name", "area", "lang"):
                return getattr(self.contact, attr)
            return self.contact.fields.get(attr)
        if name.startswith("line."):
            return self.engine.settings.line.get(name[5:])
        value: Any = self.s.vars
        for part in name.split("."):
            if isinstance(value, Mapping):
                value = value.get(part)
            else:
                return None
        return value

    def evaluate(self, value: Any) -> Any:
        """A ``set:`` or action parameter: ``"{var}"`` keeps the value's type,
        other strings are rendered, anything else is taken as written."""
        if isinstance(value, str):
            if value.startswith("{") and value.endswith("}") and value.count("{") == 1:
                return self.lookup(value[1:-1])
            if "{" in value:
                return Template(value).render(lambda n: self.engine.catalog.format_value(self.lang, self.lookup(n)))
            return value
        if isinstance(value, Mapping):
            return {k: self.evaluate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.evaluate(v) for v in value]
        return value

    def text(self, key: str, extra: Mapping[str, Any] | None = None) -> str:
        return self.render(self.engine.catalog.template(self.lang, key), extra)

    def render(self, tpl: Template, extra: Mapping[str, Any] | None = None) -> str:
        """``tpl`` filled from ``extra``, then the session and contact, in this run's language."""
        names = tpl.names
        if not names:
            return tpl.source
        fmt, lang = self.engine.catalog.format_value, self.lang
        lookup = self.lookup
        if extra:
            return tpl.fmt.format(*[fmt(lang, extra[n] if n in extra else lookup(n)) for n in names])
        if tpl.plain:  # only flow variables: read them straight from the session
            values = []
            for value in map(self.s.vars.get, names):
                kind = type(value)
                # a filled-in answer or a count is its own text (format_value's
                # first two cases, without the call); None, bools, times, money go through it
                values.append(value if kind is str and value else str(value) if kind is int else fmt(lang, value))
            return tpl.fmt.format(*values)
        return tpl.fmt.format(*[fmt(lang, lookup(n)) for n in names])

    # ---------------------------------------------------------- effects
    def send(self, key: str | None, text: str | None = None, choices=(), extra=None,
             tpl: Template | None = None) -> None:
        """Queue a text: ``text`` as given, else ``tpl`` (``key``'s template,
        resolved by the caller) or ``key`` rendered; nothing past the loop guard."""
        s, engine = self.s, self.engine
        if s.window_start is None or self.now - s.window_start >= engine.window:
            s.window_start, s.window_sent = self.now, 0
        if s.window_sent >= engine.window_max_sends:
            if s.window_sent == engine.window_max_sends:
                self.effects.append(Audit(self.contact.id, "loop_guard.sends", {"flow": s.flow, "state": s.state}))
                s.window_sent += 1
            return
        s.window_sent += 1
        if text is None:
            text = self.render(tpl, extra) if tpl is not None else self.text(key, extra)
        self.effects.append(Send(self.contact.id, text, key, tuple(choices), self.lang))

    def cancel_timer(self) -> None:
        if self.s.timer:
            self.effects.append(CancelTimer(self.s.timer))
            self.s.timer = None

    def end(self) -> None:
        self.cancel_timer()
        self.s.status = ENDED
        back = self.s.vars.get(INTERRUPTED)
        if isinstance(back, dict):  # a screen flow is done: the conversation it interrupted goes on
            s = self.s
            s.flow, s.state, s.status = back["flow"], back["state"], back["status"]
            s.vars, s.timer, s.misses = back["vars"], back["timer"], back["misses"]

    def interrupt(self, name: str, vars_: Mapping) -> None:
        """Start flow ``name`` now and, when it ends, go back to where the
        conversation was (its question still open, its wait's timer still set)."""
        s = self.s
        back = None
        if s.live:
            back = {"flow": s.flow, "state": s.state, "status": s.status, "vars": s.vars,
                    "timer": s.timer, "misses": s.misses}
            s.timer = None  # the interrupted wait keeps its timer: start_flow must not cancel it
        self.start_flow(name, vars_={**vars_, INTERRUPTED: back} if back else vars_)

    # ---------------------------------------------------------- states
    def flow(self) -> Flow:
        return self.engine.flows.flows[self.s.flow]

    def state(self) -> State:
        return self.engine.plans[self.s.flow][self.s.state].state

    def plan(self) -> StatePlan:
        return self.engine.plans[self.s.flow][self.s.state]

    def start_flow(self, name: str, state: str | None = None, vars_: Mapping | None = None) -> None:
        flow = self.engine.flows.flows.get(name)
        if flow is None:  # lint forbids this; stay safe at run time
            self.send("common.unavailable")
            self.end()
            return
        if not flow.allows(self.roles):
            self.send("common.not_allowed")
            if name != MAIN_FLOW:
                self.start_flow(MAIN_FLOW, "menu" if "menu" in self.engine.flows.flows[MAIN_FLOW].states else None)
            else:
                self.end()
            return
        self.cancel_timer()
        self.s.flow = name
        self.s.vars = dict(vars_ or {})
        self.s.misses = 0
        self.enter(state or flow.start)

    def enter(self, name: str) -> None:
        self.steps += 1
        if self.steps > self.engine.max_steps:
            self.effects.append(Audit(self.contact.id, "loop_guard.steps", {"flow": self.s.flow, "state": name}))
            self.send("common.unavailable")
            self.end()
            return
        s = self.s
        if s.timer:
            self.cancel_timer()
        s.state = name
        s.misses = 0
        plan = self.engine.plans[s.flow][name]
        st = plan.state
        if st.say:
            prompts = plan.prompts.get(self.lang)
            last = len(st.say) - 1
            for i, key in enumerate(st.say):
                self.send(key, choices=self.choices(st) if i == last and plan.choices else (),
                          tpl=prompts[i] if prompts is not None else None)
        if st.ask and not st.say and plan.choices:  # the options alone; a silent entry sends nothing
            self.send(None, text="", choices=self.choices(st))
        if st.set:
            for var, value in st.set.items():
                self.s.vars[str(var)] = self.evaluate(value)
        if st.action:
            params = {k: self.evaluate(v) for k, v in st.action.params.items()}
            self.effects.append(CallAction(st.action.name, params, self.contact.id))
            self.s.status = WAITING_ACTION
            return
        self.after_action(st)

    def after_action(self, st: State) -> None:
        if st.ask or st.wait:
            if st.wait and st.wait.timeout:
                timer = self.ids.next("t")
                self.s.timer = timer
                self.effects.append(Schedule(timer, self.contact.id, self.now + timedelta(seconds=st.wait.timeout),
                                             TIMEOUT_EVENT, {"timer": timer}))
            self.s.status = WAITING_INPUT if st.ask else WAITING_EVENT
            return
        self.move_on(st)

    def move_on(self, st: State) -> None:
        if st.switch:
            value = self.lookup(st.switch.on)
            key = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            target = st.switch.cases.get(key, st.switch.default)
            if target:
                self.enter(target)
            else:
                self.end()
        elif st.goto:
            self.enter(st.goto)
        elif st.flow:
            # A jump carries the variables the target flow declares (its `vars:`),
            # e.g. a school alert's child into the childcare request.
            target = self.engine.flows.flows.get(st.flow)
            names = target.vars if target is not None else ()
            self.start_flow(st.flow, vars_={n: self.s.vars[n] for n in names if n in self.s.vars})
        else:
            self.end()

    # ---------------------------------------------------------- asks
    def choices(self, st: State) -> tuple:
        if st.ask is None or (not st.ask.options and not st.ask.menu):
            return ()
        return self.engine.choice_labels(st, self.s.flow, self.roles, self.lang)

    def reask(self, st: State, parsed: Parsed) -> None:
        self.s.misses += 1
        if self.s.misses >= self.engine.settings.max_misses:
            self.effects.append(Audit(self.contact.id, "reask.gave_up", {"flow": self.s.flow, "state": self.s.state}))
            self.send("common.too_many_misses")
            self.end()
            return
        hint = st.ask.hint or parsed.error or f"input.{st.ask.kind}.hint"
        prompt = st.say[-1] if st.say else None
        text = self.text(hint, dict(parsed.params))
        if prompt:
            text = f"{text}\n{self.text(prompt)}"
        self.send(None, text=text, choices=self.choices(st))

    def answer(self, state_plan: StatePlan, text: str) -> None:
        st = state_plan.state
        ask = st.ask
        plan = state_plan.ask
        kind = plan.kind or KINDS[ask.kind]
        if ask.kind == "choice":
            spec, quick = self.engine.choice_input(st, self.s.flow, self.roles)
        else:
            spec, quick = ask.spec, plan.quick
        # The usual answer ("3", an option's number) needs no words nor clock;
        # anything else gets the full parse with a context.
        parsed = quick(text) if quick is not None else None
        if parsed is None:
            ctx = ParseContext(self.lang, self.engine.catalog.langs, self.now, self.engine.settings.region,
                               self.engine.vocab_fn)
            parsed = kind.parse(text, spec, ctx)
        if not parsed.ok:
            if ask.other:  # none of the options: taken as typed (a choice that also takes free text)
                if ask.save:
                    self.s.vars[ask.save] = text
                if self.s.timer:
                    self.cancel_timer()
                self.enter(ask.other)
                return
            self.reask(st, parsed)
            return
        value = parsed.value
        if ask.save:
            self.s.vars[ask.save] = value
        if self.s.timer:
            self.cancel_timer()
        key = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        target = plan.routes.get(key)
        if target:
            self.enter(target)
        elif ask.menu == "services" and key in self.engine.flows.flows:
            self.start_flow(key)
        elif ask.goto:
            self.enter(ask.goto)
        else:
            self.end()


