"""Flow files (YAML) compiled into immutable Python objects, once.

The values: ``flow_model.py``. The compiler checks one file's shape: known fields, value types, targets that
exist, durations. Checks that need the whole line (locale keys, actions,
placeholders, reachability) live in ``bot.lint``. The format is documented in
``flows/README.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import yamlpos
from .durations import parse_duration
from .problems import WARNING, Problem
from .flow_model import (  # noqa: F401 (the model is imported from here too)
    ACTION_FIELDS, ASK_FIELDS, COMMAND_FIELDS, DEFAULT_EXPIRY, FLOW_FIELDS, OPT_OUT_WORDS, OPTION_FIELDS, ROLES,
    STATE_FIELDS, SWITCH_FIELDS, TRIGGER_FIELDS, WAIT_FIELDS, ActionCall, Ask, Command, Flow, Option, State, Switch,
    Wait,
)
from .yamlpos import Pos, PosDict, PosList


@dataclass
class _Ctx:
    file: str
    problems: list = field(default_factory=list)

    def error(self, pos: Pos, message: str) -> None:
        self.problems.append(Problem(self.file, pos.line, pos.col, message))

    def warn(self, pos: Pos, message: str) -> None:
        self.problems.append(Problem(self.file, pos.line, pos.col, message, WARNING))

    def unknown(self, mapping: PosDict, allowed: set, what: str) -> None:
        for key in mapping:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.error(mapping.where(key), f"unknown field {key!r} in {what} (known: {hint})")


def _str_list(ctx: _Ctx, parent: PosDict, key: str) -> tuple[str, ...]:
    value = parent.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    ctx.error(parent.value_where(key), f"{key!r} must be a name or a list of names")
    return ()


def _name(ctx: _Ctx, parent: PosDict, key: str, what: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    ctx.error(parent.value_where(key), f"{what} {key!r} must be a name, got {type(value).__name__}")
    return None


def _routes(ctx: _Ctx, parent: PosDict, key: str) -> dict:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        ctx.error(parent.value_where(key), f"{key!r} must map values to state names")
        return {}
    out = {}
    for k, target in value.items():
        if not isinstance(target, str):
            ctx.error(value.value_where(k), f"target of {k!r} must be a state name")
            continue
        out[_route_key(k)] = target
    return out


def _route_key(k: Any) -> str:
    if isinstance(k, bool):
        return "yes" if k else "no"
    return str(k)


def _mapping(ctx: _Ctx, parent: PosDict, key: str, what: str) -> PosDict | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, PosDict):
        ctx.error(parent.value_where(key), f"{what} must be a mapping")
        return None
    return value


def _compile_commands(ctx: _Ctx, trig: PosDict) -> tuple:
    raw = trig.get("commands")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        ctx.error(trig.value_where("commands"), "'commands' must be a list of {words, save, start}")
        return ()
    out = []
    for item in raw:
        pos = getattr(item, "pos", trig.value_where("commands"))
        if not isinstance(item, PosDict):
            ctx.error(pos, "a command must be a mapping: {words: {en: [...], es: [...]}, save: name, start: state}")
            continue
        ctx.unknown(item, COMMAND_FIELDS, "command")
        words_raw = _mapping(ctx, item, "words", "'words' (language: [words])")
        words: dict = {}
        for lang in words_raw or {}:
            words[str(lang)] = _str_list(ctx, words_raw, lang)
            for phrase in words[str(lang)]:
                if phrase.strip().lower() in OPT_OUT_WORDS:
                    ctx.error(words_raw.value_where(lang),
                              f"{phrase!r} is an opt-out word for carriers; pick another command word")
        if not words:
            ctx.error(pos, "a command needs 'words' in at least one language")
            continue
        out.append(Command(words, _name(ctx, item, "save", "command"), _name(ctx, item, "start", "command"), pos))
    return tuple(out)


def _compile_ask(ctx: _Ctx, state: PosDict) -> Ask | None:
    raw = state.get("ask")
    if raw is None:
        return None
    if isinstance(raw, str):  # `ask: text` is `ask: {kind: text}`
        raw_d = PosDict({"kind": raw})
        raw_d.pos, raw_d.key_pos, raw_d.value_pos = state.value_where("ask"), {}, {}
        raw = raw_d
    if not isinstance(raw, PosDict):
        ctx.error(state.value_where("ask"), "'ask' must be a mapping with at least 'kind'")
        return None
    kind = _name(ctx, raw, "kind", "ask")
    if not kind:
        ctx.error(raw.pos, "'ask' needs a 'kind' (choice, yesno, number, money, time, phone, text)")
        return None
    options: list[Option] = []
    raw_opts = raw.get("options")
    if raw_opts is not None:
        if not isinstance(raw_opts, PosList):
            ctx.error(raw.value_where("options"), "'options' must be a list")
        else:
            seen = set()
            for i, opt in enumerate(raw_opts):
                if not isinstance(opt, PosDict):
                    ctx.error(raw_opts.where(i), "each option is a mapping with 'value' and 'label'")
                    continue
                ctx.unknown(opt, OPTION_FIELDS, "option")
                value = _name(ctx, opt, "value", "option")
                label = _name(ctx, opt, "label", "option")
                if value is None or label is None:
                    ctx.error(opt.pos, "an option needs 'value' and 'label' (a locale key)")
                    continue
                if value in seen:
                    ctx.error(opt.where("value"), f"option value {value!r} appears twice")
                seen.add(value)
                roles = _str_list(ctx, opt, "roles")
                options.append(Option(value, label, _name(ctx, opt, "words", "option"),
                                      _name(ctx, opt, "goto", "option"), roles, opt.pos))
    menu = _name(ctx, raw, "menu", "ask")
    if menu is not None and menu != "services":
        ctx.error(raw.value_where("menu"), "'menu' can only be 'services'")
    if kind == "choice" and not options and not menu:
        ctx.error(raw.pos, "a choice needs 'options' (or 'menu: services')")
    if kind != "choice" and (options or menu):
        ctx.error(raw.pos, f"'options' and 'menu' only go with kind 'choice', not {kind!r}")
    other = _name(ctx, raw, "other", "ask")
    if other is not None and kind != "choice":
        ctx.error(raw.value_where("other"), f"'other' only goes with kind 'choice', not {kind!r}")
    spec = {k: v for k, v in raw.items() if k not in ASK_FIELDS}
    return Ask(kind, _name(ctx, raw, "save", "ask"), _name(ctx, raw, "hint", "ask"), tuple(options),
               menu, _routes(ctx, raw, "on"), _name(ctx, raw, "goto", "ask"), spec, raw.pos, other)


def _compile_action(ctx: _Ctx, state: PosDict) -> ActionCall | None:
    raw = state.get("action")
    if raw is None:
        return None
    if isinstance(raw, str):
        return ActionCall(raw, {}, None, {}, state.value_where("action"))
    if not isinstance(raw, PosDict):
        ctx.error(state.value_where("action"), "'action' must be an action name or a mapping with 'call'")
        return None
    ctx.unknown(raw, ACTION_FIELDS, "action")
    name = _name(ctx, raw, "call", "action")
    if not name:
        ctx.error(raw.pos, "'action' needs 'call: <action name>'")
        return None
    params = raw.get("with") or {}
    if not isinstance(params, dict):
        ctx.error(raw.value_where("with"), "'with' must be a mapping of parameters")
        params = {}
    return ActionCall(name, dict(params), _name(ctx, raw, "save", "action"), _routes(ctx, raw, "on"), raw.pos)


def _compile_wait(ctx: _Ctx, state: PosDict) -> Wait | None:
    raw = _mapping(ctx, state, "wait", "'wait'")
    if raw is None:
        return None
    ctx.unknown(raw, WAIT_FIELDS, "wait")
    timeout = None
    if "timeout" in raw:
        timeout = parse_duration(raw["timeout"])
        if timeout is None:
            ctx.error(raw.value_where("timeout"), "timeout must be a duration like 30s, 15m, 2h or 1d")
    on_timeout = _name(ctx, raw, "on_timeout", "wait")
    if (timeout is None) != (on_timeout is None) and "timeout" in raw:
        ctx.error(raw.pos, "'timeout' and 'on_timeout' go together")
    on = _routes(ctx, raw, "on")
    if not on and not on_timeout:
        ctx.error(raw.pos, "'wait' needs 'on: {event: state}' or a timeout")
    return Wait(on, timeout, on_timeout, _name(ctx, raw, "save", "wait"), raw.pos)


def _compile_switch(ctx: _Ctx, state: PosDict) -> Switch | None:
    raw = _mapping(ctx, state, "switch", "'switch'")
    if raw is None:
        return None
    ctx.unknown(raw, SWITCH_FIELDS, "switch")
    on = _name(ctx, raw, "on", "switch")
    if not on:
        ctx.error(raw.pos, "'switch' needs 'on: <variable>'")
        return None
    return Switch(on, _routes(ctx, raw, "cases"), _name(ctx, raw, "default", "switch"), raw.pos)


def _compile_state(ctx: _Ctx, name: str, raw: Any, pos: Pos) -> State | None:
    if raw is None:
        ctx.error(pos, f"state {name!r} is empty: give it 'say', 'ask', 'goto' or 'end'")
        return None
    if not isinstance(raw, PosDict):
        ctx.error(pos, f"state {name!r} must be a mapping")
        return None
    ctx.unknown(raw, STATE_FIELDS, f"state {name!r}")
    set_ = raw.get("set") or {}
    if not isinstance(set_, dict):
        ctx.error(raw.value_where("set"), "'set' must map variable names to values")
        set_ = {}
    end = raw.get("end", False)
    if not isinstance(end, bool):
        ctx.error(raw.value_where("end"), "'end' must be true or false")
        end = False
    st = State(
        name=name,
        say=_str_list(ctx, raw, "say"),
        set=dict(set_),
        action=_compile_action(ctx, raw),
        ask=_compile_ask(ctx, raw),
        wait=_compile_wait(ctx, raw),
        switch=_compile_switch(ctx, raw),
        goto=_name(ctx, raw, "goto", "state"),
        flow=_name(ctx, raw, "flow", "state"),
        end=end,
        pos=pos,
        fields_pos=dict(raw.key_pos),
    )
    exits = [bool(st.goto), bool(st.flow), st.end, bool(st.switch)]
    if sum(exits) > 1:
        ctx.error(pos, f"state {name!r} has more than one of goto, flow, switch, end: pick one")
    if (st.ask or st.wait) and any(exits):
        ctx.error(pos, f"state {name!r} waits ('ask'/'wait') and also moves on at once; route from the ask or wait instead")
    if not (st.ask or st.wait or any(exits) or (st.action and st.action.on)):
        ctx.error(pos, f"state {name!r} has no way out: add 'goto', 'ask', 'wait', 'flow' or 'end: true'")
    return st


def compile_flow(file: str, text: str, stem: str) -> tuple[Flow | None, list[Problem]]:
    """Compile one flow file; ``stem`` is its file name without ``.yaml``."""
    ctx = _Ctx(file)
    try:
        raw = yamlpos.load(text)
    except yamlpos.YamlError as exc:
        ctx.error(exc.pos, exc.message)
        return None, ctx.problems
    if not isinstance(raw, PosDict):
        ctx.error(Pos(1, 1), "a flow file is a mapping with 'start' and 'states'")
        return None, ctx.problems
    ctx.unknown(raw, FLOW_FIELDS, "flow")
    name = _name(ctx, raw, "flow", "flow") or stem
    if name != stem:
        ctx.error(raw.value_where("flow"), f"flow name {name!r} must match its file name {stem!r}")
    roles = _str_list(ctx, raw, "roles") or ("any",)
    for i, role in enumerate(roles):
        if role not in ROLES:
            ctx.error(raw.value_where("roles"), f"unknown role {role!r} (known: {', '.join(sorted(ROLES))})")
    expires = DEFAULT_EXPIRY
    if "expires" in raw:
        expires = parse_duration(raw["expires"]) or 0
        if not expires:
            ctx.error(raw.value_where("expires"), "expires must be a duration like 30m, 24h or 2d")
            expires = DEFAULT_EXPIRY

    keywords: dict[str, tuple[str, ...]] = {}
    commands: tuple = ()
    menu, order, screen = None, 100, None
    trig = _mapping(ctx, raw, "triggers", "'triggers'")
    if trig is not None:
        ctx.unknown(trig, TRIGGER_FIELDS, "triggers")
        kw = _mapping(ctx, trig, "keywords", "'keywords' (language: [words])")
        if kw is not None:
            for lang in kw:
                keywords[str(lang)] = _str_list(ctx, kw, lang)
                for word in keywords[str(lang)]:
                    if word.strip().lower() in OPT_OUT_WORDS:
                        ctx.error(kw.value_where(lang), f"{word!r} is an opt-out word for carriers; pick another keyword")
        commands = _compile_commands(ctx, trig)
        menu = _name(ctx, trig, "menu", "triggers")
        if isinstance(trig.get("order"), int):
            order = trig["order"]
        screen = _name(ctx, trig, "screen", "triggers")

    states: dict[str, State] = {}
    raw_states = raw.get("states")
    if not isinstance(raw_states, PosDict) or not raw_states:
        ctx.error(raw.value_where("states") if "states" in raw else raw.pos, "a flow needs 'states': a mapping of state names")
        raw_states = PosDict()
        raw_states.pos, raw_states.key_pos, raw_states.value_pos = raw.pos, {}, {}
    for sname, sraw in raw_states.items():
        st = _compile_state(ctx, str(sname), sraw, raw_states.where(sname))
        if st is not None:
            states[st.name] = st

    start = _name(ctx, raw, "start", "flow")
    if start is None:
        ctx.error(raw.pos, "a flow needs 'start': the name of its first state")
    elif raw_states and start not in raw_states:
        ctx.error(raw.value_where("start"), f"start state {start!r} is not defined")

    for st in states.values():
        for target, pos in st.targets():
            if target not in raw_states:
                ctx.error(pos, f"state {st.name!r} goes to unknown state {target!r}")
        if st.ask:
            for opt in st.ask.options:
                for word in (opt.value,):
                    if word.lower() in OPT_OUT_WORDS:
                        ctx.error(opt.pos, f"answer {word!r} is an opt-out word for carriers (Twilio); use another word")

    for cmd in commands:
        if cmd.start is not None and cmd.start not in raw_states:
            ctx.error(cmd.pos, f"command starts at unknown state {cmd.start!r}")
    entries = _str_list(ctx, raw, "entries")
    for entry in entries:
        if entry not in raw_states:
            ctx.error(raw.value_where("entries"), f"entry state {entry!r} is not defined")

    vars_ = _str_list(ctx, raw, "vars")
    own = raw.get("screens_own_texts", False)
    if not isinstance(own, bool):
        ctx.error(raw.value_where("screens_own_texts"), "screens_own_texts is true or false")
        own = False
    flow = Flow(name, file, str(raw.get("description") or ""), roles, start or "", expires, keywords,
                menu, order, states, vars_, raw.pos, commands, screen, own, entries)
    return flow, ctx.problems
