"""``vecina lint``: every problem in the flows and locales, as file:line:col.

Errors (exit 1) make a flow set unfit to go live; warnings (exit 0) are about
cost and fit on a phone: SMS segments and USSD screens. The compiler
(``bot.engine.flows``) checks each file's shape; this module checks what needs
the whole line: locale keys, actions, input kinds, placeholders, reachability.
"""
from __future__ import annotations

from typing import Iterable

from .actions import load as load_actions
from .engine.flows import OPT_OUT_WORDS, Flow, State
from .engine.flowset import MAIN_FLOW, FlowSet, where
from .engine.inputs.normalize import normalize
from .engine.inputs.registry import KINDS
from .engine.locales import PLACEHOLDER
from .engine.problems import ERROR, WARNING, Problem
from .engine.render import USSD_SCREEN_MAX, sms_text, ussd_text
from .engine.segments import count as count_segments
from .engine.yamlpos import Pos
from .engine.segments import fold_for_sms

# Keys the engine itself renders: every locale must have them.
ENGINE_KEYS = (
    "common.unavailable", "common.not_allowed", "common.too_many_misses", "common.still_waiting",
    "common.yes", "common.no", "common.not_set",
    "keywords.stop_reply", "keywords.start_reply", "keywords.help_reply", "keywords.lang_reply",
)
WORD_LISTS = ("keywords.stop", "keywords.start", "keywords.help", "keywords.menu", "keywords.lang_menu",
              "keywords.switch_to")
CONTACT_FIELDS = {"name", "first_name", "area", "lang"}
LINE_FIELDS = {"name", "crisis_line", "help_contact", "public_url"}
SAMPLE_VALUE_LEN = 8  # a placeholder's assumed length when counting SMS segments


class _Lint:
    def __init__(self, fs: FlowSet):
        self.fs = fs
        self.cat = fs.catalog
        self.problems: list[Problem] = list(fs.problems)
        self.actions = load_actions()

    def err(self, file: str, pos: Pos, msg: str) -> None:
        self.problems.append(Problem(file, pos.line, pos.col, msg, ERROR))

    def warn(self, file: str, pos: Pos, msg: str) -> None:
        self.problems.append(Problem(file, pos.line, pos.col, msg, WARNING))

    # ------------------------------------------------------------ locales
    def key_missing(self, flow: Flow, pos: Pos, key: str, what: str) -> bool:
        missing = [lang for lang in self.cat.langs if not self.cat.has(lang, key)]
        if missing:
            files = ", ".join(self.fs.locale_files.get(l, f"locales/{l}.yaml") for l in missing)
            self.err(flow.file, pos, f"{what} {key!r} is missing in {files}")
        return bool(missing)

    def check_locales(self) -> None:
        langs = self.cat.langs
        for key in ENGINE_KEYS + WORD_LISTS:
            for lang in langs:
                if not self.cat.has(lang, key):
                    self.err(self.fs.locale_files.get(lang, f"locales/{lang}.yaml"), Pos(1, 1),
                             f"key {key!r} is missing (the engine needs it)")
        all_keys = set()
        for lang in langs:
            all_keys |= set(self.cat.flat[lang])
        for lang in langs:
            file = self.fs.locale_files.get(lang, f"locales/{lang}.yaml")
            for key in sorted(all_keys - set(self.cat.flat[lang])):
                if key.startswith("settings.") or key.startswith("keywords.") and key.endswith("opt_in_yes"):
                    continue
                if key in ENGINE_KEYS or key in WORD_LISTS:
                    continue  # reported above
                if key.startswith("input.") and not isinstance(self.cat.raw(None, key), str):
                    continue  # what people type differs by language; only texts must be complete
                other = next(l for l in langs if key in self.cat.flat[l])
                self.err(file, Pos(1, 1), f"key {key!r} is missing (it is in "
                         f"{self.fs.locale_files.get(other, other)}:{where(self.fs.locale_trees[other], key).line})")
        # Opt-out words must never be menu answers or extra words.
        seen: dict[str, str] = {}
        for lang in langs:
            file = self.fs.locale_files.get(lang, f"locales/{lang}.yaml")
            for kind in WORD_LISTS:
                for w in self.cat.words(lang, kind):
                    n = normalize(w)
                    prev = seen.get(n)
                    if prev and prev != kind and not (prev.startswith("keywords.switch_to") or kind == prev):
                        self.err(file, where(self.fs.locale_trees[lang], kind),
                                 f"keyword {w!r} is in both {prev} and {kind}")
                    seen.setdefault(n, kind)
        self.global_words = seen

    # ------------------------------------------------------------ flows
    def check_flow(self, flow: Flow) -> None:
        f = flow.file
        if flow.menu:
            self.key_missing(flow, flow.pos, flow.menu, "menu label")
        if flow.screen and not self.key_missing(flow, flow.pos, flow.screen, "screen phrase list"):
            for lang in self.cat.langs:
                if not isinstance(self.cat.raw(lang, flow.screen), list):
                    self.err(f, flow.pos, f"screen phrase list {flow.screen!r} in {lang!r} must be a list of phrases")
        for lang, words in flow.keywords.items():
            if lang not in self.cat.flat:
                self.err(f, flow.pos, f"keywords for {lang!r}, which has no locale file")
            for w in words:
                n = normalize(w)
                if n in self.global_words:
                    self.err(f, flow.pos, f"trigger {w!r} is already a global keyword ({self.global_words[n]})")
        for lang in self.cat.langs:
            if flow.keywords and not flow.keywords.get(lang):
                self.warn(f, flow.pos, f"no trigger keyword in {lang!r}: people writing in it can only use the menu")
        for st in flow.states.values():
            self.check_state(flow, st)
        self.check_reachability(flow)
        self.check_placeholders(flow)

    def check_state(self, flow: Flow, st: State) -> None:
        f = flow.file
        for key in st.say:
            self.key_missing(flow, st.fields_pos.get("say", st.pos), key, "text")
        if st.flow and st.flow not in self.fs.flows:
            self.err(f, st.fields_pos["flow"], f"state {st.name!r} jumps to unknown flow {st.flow!r}")
        if st.action:
            action = self.actions.get(st.action.name)
            if action is None:
                known = ", ".join(sorted(self.actions))
                self.err(f, st.action.pos, f"unknown action {st.action.name!r} (known: {known})")
            else:
                for p in st.action.params:
                    if p not in action.params:
                        self.err(f, st.action.pos, f"action {action.name!r} has no parameter {p!r} "
                                 f"(it takes: {', '.join(action.params) or 'none'})")
                for p, required in action.params.items():
                    if required and p not in st.action.params:
                        self.err(f, st.action.pos, f"action {action.name!r} needs parameter {p!r}")
                for result in st.action.on:
                    if result not in action.results:
                        self.err(f, st.action.pos, f"action {action.name!r} never returns {result!r} "
                                 f"(it returns: {', '.join(action.results)})")
        if st.ask:
            ask = st.ask
            kind = KINDS.get(ask.kind)
            if kind is None:
                self.err(f, ask.pos, f"unknown input kind {ask.kind!r} (known: {', '.join(sorted(KINDS))})")
            else:
                for opt in ask.spec:
                    if opt not in kind.options:
                        self.err(f, ask.pos, f"kind {ask.kind!r} has no setting {opt!r} "
                                 f"(it takes: {', '.join(sorted(kind.options)) or 'none'})")
                if not ask.hint:
                    self.key_missing(flow, ask.pos, f"input.{ask.kind}.hint", "hint")
            if ask.hint:
                self.key_missing(flow, ask.pos, ask.hint, "hint")
            if not st.say and st.name not in flow.entries:
                self.err(f, st.pos, f"state {st.name!r} asks without saying anything: add 'say'")
            for opt in ask.options:
                if not self.key_missing(flow, opt.pos, opt.label, "option label"):
                    for lang in self.cat.langs:
                        label = normalize(self.cat.text(lang, opt.label))
                        if label in OPT_OUT_WORDS or label.split(" ")[0] in OPT_OUT_WORDS:
                            self.err(f, opt.pos, f"option label {self.cat.text(lang, opt.label)!r} ({lang}) starts "
                                     "with an opt-out word carriers act on; reword it")
                if opt.words:
                    self.key_missing(flow, opt.pos, opt.words, "option words")
                    for lang in self.cat.langs:
                        for w in self.cat.words(lang, opt.words):
                            if normalize(w) in OPT_OUT_WORDS:
                                self.err(f, opt.pos, f"answer word {w!r} ({lang}) is an opt-out word for carriers")
            self.check_fit(flow, st)
        if st.wait:
            for event in st.wait.on:
                if event == "timeout":
                    self.err(f, st.wait.pos, "use 'timeout' and 'on_timeout' rather than an event named 'timeout'")

    # ------------------------------------------------------------ reachability
    def check_reachability(self, flow: Flow) -> None:
        if flow.start not in flow.states:
            return
        # Command triggers (``triggers.commands``) enter at their own states too.
        seen = {flow.start} | {c.start for c in flow.commands if c.start in flow.states}
        seen |= {e for e in flow.entries if e in flow.states}  # and the line's own starts (``entries``)
        todo = list(seen)
        while todo:
            st = flow.states[todo.pop()]
            for target, _ in st.targets():
                if target in flow.states and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for name, st in flow.states.items():
            if name not in seen:
                self.err(flow.file, st.pos, f"state {name!r} is unreachable from start state {flow.start!r}")
        # A cycle of states that never wait would spin until the step cap.
        pauses = {n for n, st in flow.states.items() if st.ask or st.wait or st.action}
        for name in seen:
            if name in pauses:
                continue
            path, node = [name], name
            while True:
                st = flow.states[node]
                nxt = [t for t, _ in st.targets() if t in flow.states]
                if len(nxt) != 1 or nxt[0] in pauses:
                    break
                node = nxt[0]
                if node == name:
                    self.err(flow.file, flow.states[name].pos,
                             f"states {' -> '.join(path + [name])} loop without waiting for an answer")
                    break
                if node in path:
                    break
                path.append(node)

    # ------------------------------------------------------------ placeholders
    def _edges(self, st: State) -> list[tuple[str, frozenset]]:
        """(target, variables certainly set when moving along that edge)."""
        base = set(st.set)
        out = []
        if st.action:
            saved = set(base)
            if st.action.save:
                saved.add(st.action.save)
            for target in st.action.on.values():
                out.append((target, frozenset(saved)))
            base = saved
        if st.ask:
            saved = set(base) | ({st.ask.save} if st.ask.save else set())
            targets = list(st.ask.on.values()) + [o.goto for o in st.ask.options if o.goto]
            if st.ask.goto:
                targets.append(st.ask.goto)
            out += [(t, frozenset(saved)) for t in targets]
        if st.wait:
            saved = set(base) | ({st.wait.save} if st.wait.save else set())
            out += [(t, frozenset(saved)) for t in st.wait.on.values()]
            if st.wait.on_timeout:
                out.append((st.wait.on_timeout, frozenset(base)))
        if st.switch:
            out += [(t, frozenset(base)) for t in st.switch.cases.values()]
            if st.switch.default:
                out.append((st.switch.default, frozenset(base)))
        if st.goto:
            out.append((st.goto, frozenset(base)))
        return out

    def check_placeholders(self, flow: Flow) -> None:
        if flow.start not in flow.states:
            return
        everything = frozenset(self._all_vars(flow))
        known: dict[str, frozenset] = {flow.start: frozenset(flow.vars) | {"first_time"}}
        for cmd in flow.commands:  # a command enters with only its own saved text
            if cmd.start in flow.states and cmd.start != flow.start:
                entry = frozenset(flow.vars) | ({cmd.save} if cmd.save else frozenset())
                known[cmd.start] = known[cmd.start] & entry if cmd.start in known else entry
        changed = True
        while changed:
            changed = False
            for name, vars_in in list(known.items()):
                for target, added in self._edges(flow.states[name]):
                    if target not in flow.states:
                        continue
                    incoming = vars_in | added
                    prev = known.get(target)
                    new = incoming if prev is None else prev & incoming
                    if new != prev:
                        known[target] = new
                        changed = True
        for name, st in flow.states.items():
            have = known.get(name, everything)
            uses: list[tuple[str, str]] = []  # (placeholder, where)
            for key in st.say:
                for lang in self.cat.langs:
                    raw = self.cat.flat[lang].get(key)
                    if isinstance(raw, str):
                        uses += [(p, f"{key} ({lang})") for p in PLACEHOLDER.findall(raw)]
            after_set = have | set(st.set)
            for value in list(st.set.values()) + (list(st.action.params.values()) if st.action else []):
                if isinstance(value, str):
                    uses += [(p, "a value in this state") for p in PLACEHOLDER.findall(value)]
            for placeholder, where_ in uses:
                if not self._can_fill(placeholder, after_set if where_ == "a value in this state" else have):
                    self.err(flow.file, st.pos, f"state {name!r} cannot fill {{{placeholder}}} in {where_}: "
                             "no earlier state saves it on every path here")

    def _all_vars(self, flow: Flow) -> Iterable[str]:
        for st in flow.states.values():
            yield from st.set
            for part in (st.ask, st.action, st.wait):
                if part is not None and part.save:
                    yield part.save
        yield from flow.vars

    def _can_fill(self, placeholder: str, have: frozenset) -> bool:
        head, _, rest = placeholder.partition(".")
        if head == "contact":
            return rest in CONTACT_FIELDS
        if head == "line":
            return rest in LINE_FIELDS
        return head in have

    # ------------------------------------------------------------ fit on a phone
    def sample(self, lang: str, key: str) -> str:
        return self.cat.text(lang, key, lambda name: "x" * SAMPLE_VALUE_LEN)

    def check_fit(self, flow: Flow, st: State) -> None:
        if not st.say:
            return
        for lang in self.cat.langs:
            if not all(self.cat.has(lang, k) for k in st.say):
                continue
            labels = self._labels(flow, st, lang)
            choices = tuple((str(i + 1), lab) for i, lab in enumerate(labels))
            for i, key in enumerate(st.say):
                last = i == len(st.say) - 1
                text = sms_text(self.sample(lang, key), choices if last else ())
                if self.cat.raw(lang, "settings.sms_fold_accents") is True:
                    text = fold_for_sms(text)
                info = count_segments(text)
                if info.segments > 1:
                    why = ""
                    if info.encoding == "UCS-2":
                        why = f", UCS-2 because of {' '.join(repr(c) for c in info.ucs2_chars[:5])}"
                    self.warn(flow.file, st.fields_pos.get("say", st.pos),
                              f"{key} ({lang}) needs {info.segments} SMS segments ({info.units} {info.encoding} "
                              f"units{why})")
            screen = ussd_text(self.sample(lang, st.say[-1]), choices)
            if len(screen) > USSD_SCREEN_MAX:
                self.warn(flow.file, st.fields_pos.get("say", st.pos),
                          f"menu screen of state {st.name!r} ({lang}) is {len(screen)} characters, "
                          f"over the {USSD_SCREEN_MAX} of one USSD screen (it will page)")

    def _labels(self, flow: Flow, st: State, lang: str) -> list[str]:
        labels = []
        if st.ask.menu == "services":
            # Worst case: everything a coordinator (who may use all) would see.
            for f in sorted(self.fs.flows.values(), key=lambda f: (f.order, f.name)):
                if f.menu and f.name != flow.name:
                    labels.append(self.cat.text(lang, f.menu))
        labels += [self.cat.text(lang, o.label) for o in st.ask.options]
        return labels


def lint(fs: FlowSet) -> list[Problem]:
    linter = _Lint(fs)
    linter.check_locales()
    for flow in fs.flows.values():
        linter.check_flow(flow)
    if MAIN_FLOW in fs.flows and "menu" not in fs.flows[MAIN_FLOW].states:
        flow = fs.flows[MAIN_FLOW]
        linter.err(flow.file, flow.pos, "the main flow needs a state named 'menu' (MENU goes there)")
    return sorted(set(linter.problems), key=lambda p: (p.file, p.line, p.col, p.message))
