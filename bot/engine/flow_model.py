"""What a compiled flow is: immutable values (``Flow``, ``State`` and its
parts) and the fields a flow file may use. ``flows.py`` compiles files into
them; the format is documented in ``flows/README.md``."""
from __future__ import annotations

from dataclasses import dataclass

from .yamlpos import Pos

FLOW_FIELDS = {"flow", "description", "roles", "start", "expires", "triggers", "states", "vars", "screens_own_texts",
               "entries"}
TRIGGER_FIELDS = {"keywords", "commands", "menu", "order", "screen"}
COMMAND_FIELDS = {"words", "save", "start"}
STATE_FIELDS = {"say", "set", "action", "ask", "wait", "switch", "goto", "flow", "end", "note"}
ASK_FIELDS = {"kind", "save", "hint", "options", "menu", "on", "goto", "other"}
OPTION_FIELDS = {"value", "label", "words", "goto", "roles"}
ACTION_FIELDS = {"call", "with", "save", "on"}
WAIT_FIELDS = {"on", "timeout", "on_timeout", "save"}
SWITCH_FIELDS = {"on", "cases", "default"}
ROLES = {"any", "parent", "helper", "teacher", "cleaner", "client", "peer", "coordinator"}
# Twilio (and carriers) treat these as opt-out words: never an answer word.
OPT_OUT_WORDS = {"cancel", "end", "quit", "stop", "stopall", "unsubscribe", "revoke", "optout"}
DEFAULT_EXPIRY = 24 * 3600


@dataclass(frozen=True)
class Option:
    value: str
    label: str  # locale key
    words: str | None  # locale key of extra words
    goto: str | None
    roles: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class Ask:
    kind: str
    save: str | None
    hint: str | None
    options: tuple[Option, ...]
    menu: str | None  # "services": options are the flows this contact may start
    on: dict  # value -> state
    goto: str | None
    spec: dict  # kind-specific settings (min, max, ...)
    pos: Pos
    other: str | None = None  # choice: where any other answer goes (saved as typed), instead of asking again


@dataclass(frozen=True)
class ActionCall:
    name: str
    params: dict
    save: str | None
    on: dict  # result -> state
    pos: Pos


@dataclass(frozen=True)
class Wait:
    on: dict  # event name -> state
    timeout: int | None  # seconds
    on_timeout: str | None
    save: str | None
    pos: Pos


@dataclass(frozen=True)
class Switch:
    on: str
    cases: dict  # str(value) -> state
    default: str | None
    pos: Pos


@dataclass(frozen=True)
class State:
    name: str
    say: tuple[str, ...]
    set: dict
    action: ActionCall | None
    ask: Ask | None
    wait: Wait | None
    switch: Switch | None
    goto: str | None
    flow: str | None
    end: bool
    pos: Pos
    fields_pos: dict

    def targets(self) -> list[tuple[str, Pos]]:
        """Every state this one can move to, with where it is written."""
        out: list[tuple[str, Pos]] = []
        if self.goto:
            out.append((self.goto, self.fields_pos["goto"]))
        for part in (self.action, self.ask, self.wait):
            if part is None:
                continue
            for target in part.on.values():
                out.append((target, part.pos))
        if self.ask:
            if self.ask.goto:
                out.append((self.ask.goto, self.ask.pos))
            if self.ask.other:
                out.append((self.ask.other, self.ask.pos))
            for opt in self.ask.options:
                if opt.goto:
                    out.append((opt.goto, opt.pos))
        if self.wait and self.wait.on_timeout:
            out.append((self.wait.on_timeout, self.wait.pos))
        if self.switch:
            out.extend((t, self.switch.pos) for t in self.switch.cases.values())
            if self.switch.default:
                out.append((self.switch.default, self.switch.pos))
        return out


@dataclass(frozen=True)
class Command:
    """A trigger word (or words) followed by arguments: ``YES 482``, ``DONE 1 3``,
    ``PAY 80``, ``NO ENTRY``. The text after the words is saved (``save``) and
    the flow starts at ``start`` (default: the flow's start state)."""

    words: dict  # lang -> tuple of phrases (as written)
    save: str | None
    start: str | None
    pos: Pos


@dataclass(frozen=True)
class Flow:
    name: str
    file: str
    description: str
    roles: tuple[str, ...]
    start: str
    expires: int
    keywords: dict  # lang -> tuple of words (as written)
    menu: str | None  # locale key of its label in the services menu
    order: int
    states: dict  # name -> State
    vars: tuple[str, ...]  # variables the flow expects when jumped into
    pos: Pos
    commands: tuple = ()  # Command triggers
    # locale key of a phrase list: any text containing one of its phrases starts
    # this flow before anything else (crisis words go to the crisis line from anywhere)
    screen: str | None = None
    # its actions screen what people write to it themselves (peer support marks a
    # post as crisis; a volunteer's reply may name crisis words to help someone)
    screens_own_texts: bool = False
    # states the line itself may start the flow at (a start:<flow> event from
    # an action), besides ``start``; one may ask without saying anything, the
    # message that woke the member being the question
    entries: tuple = ()

    def allows(self, roles) -> bool:
        return "any" in self.roles or any(r in self.roles for r in roles)
