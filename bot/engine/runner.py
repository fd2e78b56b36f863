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

from datetime import datetime, timedelta
from collections.abc import Mapping

from .flows import State
from .flowset import MAIN_FLOW, FlowSet, command_table
from .inputs.normalize import normalize
from .inputs.registry import KINDS
from .plans import compile_plans, quick_reader
from .commands import match_command
from .keywords import KeywordMatcher
from .phrases import phrase_list
from .model import (
    ENDED, TIMEOUT_EVENT, WAITING_ACTION, WAITING_EVENT, WAITING_INPUT, ActionResult, Audit, Contact, Event, Ids,
    Message, Session, StepResult, UpdateContact,
)
from .run import Settings, _Run

__all__ = ["Engine", "Settings"]


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
            if st.ask.other:
                # any other text means something (a reply to a teacher): "Ask the
                # school to call" must not read as a prefix of "Ask for childcare"
                spec["exact_only"] = True
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
