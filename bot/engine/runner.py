"""The engine: (flows, session, input or event, now, ids) -> (session', effects).

Order of work inside a state, always the same (documented in flows/README.md):

    say  ->  set  ->  action  ->  ask | wait | switch | goto | flow | end

An ``action`` pauses the step (status ``waiting_action``); the shell runs it and
calls :meth:`Engine.resume`, which carries on from the same state. Each input
may move through at most ``max_steps`` states, and the contact may receive at
most ``window_max_sends`` messages per ``window_seconds``: a flow that loops is
cut off instead of flooding a phone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from collections.abc import Mapping
from typing import Any

from .flows import Flow, State
from .flowset import MAIN_FLOW, FlowSet, command_table
from .inputs import ParseContext, Parsed
from .inputs.normalize import normalize
from .inputs.registry import KINDS
from .plans import StatePlan, compile_plans, quick_reader
from .commands import match_command
from .keywords import KeywordMatcher
from .phrases import phrase_list
from .locales import Template
from .model import (
    ENDED, TIMEOUT_EVENT, WAITING_ACTION, WAITING_EVENT, WAITING_INPUT, ActionResult, Audit, CallAction,
    CancelTimer, Contact, Event, Ids, Message, Schedule, Send, Session, StepResult, UpdateContact,
)


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
        if st.ask and not st.say:
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


# session variable holding the conversation a screen flow interrupted
INTERRUPTED = "_interrupted"


class Engine:
    def __init__(self, flows: FlowSet, settings: Settings | None = None):
        self.flows = flows
        self.catalog = flows.catalog
        self.settings = settings or Settings(default_lang=flows.catalog.default_lang)
        self.keywords = KeywordMatcher(self.catalog)
        self.keyword_table = self.keywords.table
        self.trigger_words = flows.keyword_flows()
        self.commands = command_table(flows.flows)
        self.screens = tuple((phrase_list(self.catalog, f.screen, fuzzy=True), f.name)
                             for f in flows.flows.values() if f.screen)
        self._options: dict = {}
        self.vocab_fn = self.vocab  # one bound method: the input kinds cache word tables by its identity
        self._expiry = {name: timedelta(seconds=f.expires) for name, f in flows.flows.items()}
        self._specs: dict = {}
        self._labels: dict = {}
        self._readers: dict = {}
        self.plans = compile_plans(flows.flows, self.catalog)
        # the loop guard's settings, read on every send
        self.window = timedelta(seconds=self.settings.window_seconds)
        self.window_max_sends = self.settings.window_max_sends
        self.max_steps = self.settings.max_steps

    # ------------------------------------------------------------ caches
    def vocab(self, lang: str, key: str) -> list[str]:
        return self.catalog.words(lang, f"input.{key}")

    def options(self, st: State, flow: str, roles) -> list[tuple[str, str, str | None]]:
        """(value, label key, words key) of a choice, filtered by role."""
        cache_key = (flow, st.name, roles)
        got = self._options.get(cache_key)
        if got is not None:
            return got
        out = []
        if st.ask.menu == "services":
            services = [f for f in self.flows.flows.values() if f.menu and f.allows(roles) and f.name != flow]
            for f in sorted(services, key=lambda f: (f.order, f.name)):
                out.append((f.name, f.menu, None))
        for opt in st.ask.options:
            if not opt.roles or any(r in opt.roles for r in roles):
                out.append((opt.value, opt.label, opt.words))
        self._options[cache_key] = out
        return out

    def choice_labels(self, st: State, flow: str, roles, lang: str) -> tuple:
        """The (number, label) pairs shown with a choice, in ``lang``."""
        cache_key = (flow, st.name, roles, lang)
        got = self._labels.get(cache_key)
        if got is None:
            opts = self.options(st, flow, roles)
            got = tuple((str(i + 1), self.catalog.text(lang, label)) for i, (_v, label, _w) in enumerate(opts))
            self._labels[cache_key] = got
        return got

    def choice_input(self, st: State, flow: str, roles) -> tuple:
        """(spec, quick reader or None) of a choice, for these roles."""
        cache_key = (flow, st.name, roles)
        got = self._readers.get(cache_key)
        if got is None:
            spec = self.ask_spec(st, flow, roles)
            got = self._readers[cache_key] = (spec, quick_reader(KINDS.get(st.ask.kind), spec))
        return got

    def ask_spec(self, st: State, flow: str, roles) -> dict:
        cache_key = (flow, st.name, roles)
        got = self._specs.get(cache_key)
        if got is not None:
            return got
        spec = dict(st.ask.spec)
        if st.ask.kind == "choice":
            spec["choices"] = [
                {
                    "value": value,
                    "labels": {lang: self.catalog.text(lang, label) for lang in self.catalog.langs},
                    "words": {lang: self.catalog.words(lang, words) for lang in self.catalog.langs} if words else {},
                }
                for value, label, words in self.options(st, flow, roles)
            ]
        self._specs[cache_key] = spec
        return spec

    # ------------------------------------------------------------ entry points
    def _begin(self, session: Session | None, contact: Contact, now: datetime, ids: Ids) -> _Run:
        s = session.copy() if session is not None else Session(contact=contact.id)
        run = _Run(self, s, contact, now, ids)
        # (``plans`` mirrors the flows and their states, and is one lookup less)
        if s.status != ENDED and s.flow is not None and (  # Session.live, without the call
                s.expires_at is not None and now >= s.expires_at or s.flow not in self.plans
                or s.state not in self.plans[s.flow]):
            # Stale (idle past expiry) or its flow changed under it: start afresh.
            run.effects.append(Audit(contact.id, "session.expired", {"flow": s.flow, "state": s.state}))
            run.end()
        return run

    def _finish(self, run: _Run) -> StepResult:
        s = run.s
        s.updated_at = run.now
        if s.status != ENDED and s.flow is not None:
            s.expires_at = run.now + self._expiry[s.flow]
        else:
            s.expires_at = None
        return StepResult(s, tuple(run.effects))

    def message(self, session: Session | None, contact: Contact, msg: Message, now: datetime, ids: Ids) -> StepResult:
        run = self._begin(session, contact, now, ids)
        text = msg.text if isinstance(msg.text, str) else ""
        word = normalize(text)
        hit = self.keyword_table.get(word)  # KeywordMatcher.match, without the call
        if contact.opted_out:
            if hit == "start" or (word and word in self.keywords.opt_in_yes):
                run.effects.append(UpdateContact(contact.id, {"opted_out": False, "opted_out_by": None}))
                run.send("keywords.start_reply")
            return self._finish(run)
        first_time = contact.lang is None
        if first_time:
            lang = msg.lang_hint if msg.lang_hint in self.catalog.flat else self.catalog.default_lang
            run.lang = lang
            run.effects.append(UpdateContact(contact.id, {"lang": lang}))
        if hit is not None:
            self._keyword(run, hit)
            return self._finish(run)
        s = run.s
        live = s.status != ENDED and s.flow is not None  # Session.live, without the call
        plan = self.plans[s.flow][s.state] if live else None
        st = plan.state if live else None
        free_text = st is not None and st.ask is not None and st.ask.kind == "text" and s.status == WAITING_INPUT
        trigger = None if free_text else self.trigger_words.get(word)
        command = None if free_text or trigger is not None else match_command(self.commands, text, run.roles)
        if command is not None and not command[2] and s.status == WAITING_INPUT and live and st.ask is not None \
                and not st.ask.other:
            command = None  # a bare command word answers the open question first ("YES" to a yes/no)
        if self.screens:
            # Before the text goes anywhere (a relay, a menu, a re-ask), unless
            # the flow it goes to screens its own texts.
            target = trigger or (command[0].name if command is not None else (s.flow if live else MAIN_FLOW))
            target_flow = self.flows.flows.get(target)
            if target_flow is None or not target_flow.screens_own_texts:
                for phrases, flow_name in self.screens:
                    if phrases.find(text) is not None:
                        run.interrupt(flow_name, {"text": text})
                        return self._finish(run)
        if first_time and self.trigger_words.get(word) is None:
            run.start_flow(MAIN_FLOW, vars_={"first_time": True})
            return self._finish(run)
        if trigger is not None:
            run.start_flow(trigger)
        elif command is not None:
            flow, cmd, rest = command
            run.start_flow(flow.name, cmd.start, {cmd.save: rest} if cmd.save else None)
        elif not live:
            run.start_flow(MAIN_FLOW)
        elif s.status == WAITING_INPUT and st.ask:
            run.answer(plan, text)
        else:
            run.send("common.still_waiting")
        return self._finish(run)

    def _keyword(self, run: _Run, hit: str) -> None:
        cid = run.contact.id
        if hit == "stop":
            run.effects.append(UpdateContact(cid, {"opted_out": True, "opted_out_by": None}))
            run.send("keywords.stop_reply")
            run.end()
        elif hit == "start":
            run.send("keywords.start_reply")
        elif hit == "help":
            run.send("keywords.help_reply")
        elif hit == "menu":
            run.start_flow(MAIN_FLOW, "menu" if "menu" in self.flows.flows[MAIN_FLOW].states else None)
        elif hit.startswith("lang:"):
            lang = hit[5:]
            run.lang = lang
            run.effects.append(UpdateContact(cid, {"lang": lang}))
            run.send("keywords.lang_reply")
            s = run.s
            if s.live and s.flow == "language":
                # They answered the language question with a language's name.
                run.start_flow(MAIN_FLOW, "menu" if "menu" in self.flows.flows[MAIN_FLOW].states else None)
            elif s.live and s.status == WAITING_INPUT:
                st = run.state()
                if st.say:  # the open question again, now in the new language
                    run.send(st.say[-1], choices=run.choices(st) if st.ask else ())
        elif hit == "lang_menu":
            run.start_flow("language" if "language" in self.flows.flows else MAIN_FLOW)

    def event(self, session: Session | None, contact: Contact, event: Event, now: datetime, ids: Ids) -> StepResult:
        run = self._begin(session, contact, now, ids)
        s = run.s
        if not s.live or s.status not in (WAITING_EVENT, WAITING_INPUT):
            return self._finish(run)
        st = run.state()
        if event.name == TIMEOUT_EVENT:
            if st.wait is None or event.data.get("timer") != s.timer or not st.wait.on_timeout:
                return self._finish(run)  # a stale timer: nothing to do
            s.timer = None
            run.enter(st.wait.on_timeout)
            return self._finish(run)
        if st.wait is None or event.name not in st.wait.on:
            return self._finish(run)
        if st.wait.save:
            s.vars[st.wait.save] = dict(event.data)
        run.enter(st.wait.on[event.name])
        return self._finish(run)

    def resume(self, session: Session, contact: Contact, result: ActionResult, now: datetime, ids: Ids) -> StepResult:
        """Carry on after the shell ran the state's action. ``contact`` is as the
        action left it (a language change shows in the very next prompt)."""
        run = self._begin(session, contact, now, ids)
        s = run.s
        if not s.live or s.status != WAITING_ACTION:
            return self._finish(run)
        st = run.state()
        if st.action.save:
            s.vars[st.action.save] = dict(result.data)
        target = st.action.on.get(result.result)
        if target:
            run.enter(target)
        else:
            run.after_action(st)
        return self._finish(run)

    def abort(self, session: Session, contact: Contact, reason: str, now: datetime, ids: Ids) -> StepResult:
        """End a conversation the shell had to stop (e.g. too many actions in one step)."""
        run = self._begin(session, contact, now, ids)
        run.effects.append(Audit(contact.id, f"loop_guard.{reason}", {"flow": run.s.flow, "state": run.s.state}))
        run.send("common.unavailable")
        run.end()
        return self._finish(run)

    def start(self, session: Session | None, contact: Contact, flow: str, now: datetime, ids: Ids,
              vars_: Mapping | None = None, state: str | None = None) -> StepResult:
        """Start ``flow`` for a contact on the line's initiative (an ask to a helper, a reminder)."""
        run = self._begin(session, contact, now, ids)
        run.start_flow(flow, state, vars_)
        return self._finish(run)
