"""vecina simulate: chat with the flows in the terminal, as a phone would see them.

Reads stdin line by line, so it can be scripted:

    printf 'hola\\n1\\n' | vecina simulate --as +14155552671 --lang es

Lines starting with ``/`` are simulator commands: ``/as NUMBER [ROLE…]``
switches who is texting, ``/wait 20m`` moves the clock on (timers fire),
``/quit`` leaves. Everything the line sends, to anyone, is printed with its
recipient.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta

import click

from ..config import from_env
from ..conversation import Conductor
from ..engine.durations import parse_duration
from ..engine.model import CounterIds
from ..engine.render import sms_text, ussd_text
from ..engine.segments import count, fold_for_sms
from ..flowfiles import LiveFlows
from ..members import LANGS
from ..store.contacts import ROLES
from ..store.memory import MemoryStore


def render(msg: dict, channel: str, catalog) -> str:
    choices = [tuple(c) for c in msg["choices"]]
    if channel == "ussd":
        return "CON " + ussd_text(msg["text"], choices) if choices else "END " + msg["text"]
    if channel == "telegram":
        buttons = "  ".join(f"[{label}]" for _n, label in choices)
        return msg["text"] + (f"\n{buttons}" if buttons else "")
    text = sms_text(msg["text"], choices)
    if catalog.raw(msg.get("lang"), "settings.sms_fold_accents") is True:
        text = fold_for_sms(text)
    info = count(text)
    return f"{text}\n  ({info.segments} segment{'s' if info.segments > 1 else ''}, {info.encoding})"


@click.command()
@click.option("--flow", "flow", help="Start this flow at once instead of waiting for a first text.")
@click.option("--as", "number", default="+14155550100", show_default=True, help="The number you text from.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="Your role(s); repeat for several.")
@click.option("--lang", type=click.Choice(list(LANGS)), help="Your language (default: detected from your first text).")
@click.option("--channel", type=click.Choice(["sms", "ussd", "telegram"]), default="sms", show_default=True)
def simulate(flow, number, roles, lang, channel) -> None:
    """Chat with the flows in the terminal and see what each channel shows."""
    cfg = from_env()
    live = LiveFlows(cfg.flows_dir, cfg.locales_dir, cfg.engine_settings(), cfg.currency)
    store = MemoryStore()
    conductor = Conductor(live, store, CounterIds())
    offset = timedelta()
    interactive = sys.stdin.isatty()

    def now() -> datetime:
        return datetime.now(cfg.tz) + offset

    def show(sent: list) -> None:
        for msg in sent:
            who = "you" if msg["to"] == number else msg["to"]
            click.echo(f"<- {who}: " + render(msg, channel, live.engine().catalog).replace("\n", "\n   "))

    def enrol(num: str, member_roles) -> None:
        fields = {"roles": list(member_roles)}
        if lang:
            fields["lang"] = lang
        store.upsert_contact(num, created_at=now(), **fields)

    enrol(number, roles)
    if flow:
        show(conductor.start(number, flow, now()).sent)
    if interactive:
        click.echo("Type a message (/as NUMBER [ROLE…], /wait 20m, /quit).", err=True)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line.startswith("/"):
            cmd, *args = line[1:].split()
            if cmd in ("quit", "exit", "q"):
                break
            if cmd == "as" and args:
                number = args[0]
                if store.get_contact(number) is None:
                    enrol(number, [r for r in args[1:] if r in ROLES])
                click.echo(f"-- now texting as {number}", err=True)
            elif cmd == "wait" and args and parse_duration(args[0]):
                offset += timedelta(seconds=parse_duration(args[0]))
                show(conductor.fire_timers(now()).sent)
            else:
                click.echo("commands: /as NUMBER [ROLE…], /wait 20m, /quit", err=True)
            continue
        click.echo(f"-> {line}")
        show(conductor.message(number, line, now()).sent)
        show(conductor.fire_timers(now()).sent)
