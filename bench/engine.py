"""Engine throughput against python-telegram-bot's ConversationHandler.

Run from the repo root:

    .venv/bin/python bench/engine.py              # the figures, ~30 s
    .venv/bin/python bench/engine.py --quick      # fewer steps, a smoke run
    .venv/bin/python bench/engine.py --profile    # + a cProfile of the engine loop (stderr)

stdout holds only ``name: value`` lines; progress goes to stderr. See
bench/README.md for what each figure means and the targets.

The step measured is the typical prompt-and-answer step: a session waits on an
``ask`` of kind number, the person answers "3", the engine parses it, saves it,
moves to the next state and renders that state's prompt with placeholders
("Noted: 2 for 3 h. How many children now?"). ``bench/flows/bench.yaml`` loops
``hours -> again -> hours ...`` so one session is fed back step after step.

The PTB side does the same work by hand in ConversationHandler callbacks
(int() with the same bounds, user_data, next state, str.format of the same
texts) inside a real ``Application`` talking to a local fake Bot API server
(only getMe at initialize; nothing is sent per message).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.engine.flowset import FlowSet, build  # noqa: E402
from bot.engine.model import WAITING_INPUT, Contact, CounterIds, Message, Send  # noqa: E402
from bot.engine.runner import Engine, Settings  # noqa: E402

BASE_NOW = datetime(2026, 3, 2, 13, 0, tzinfo=timezone(timedelta(hours=-5)))
#: one answer every 2 minutes: 30 texts an hour, under the engine's 40/hour loop guard
STEP_GAP = timedelta(minutes=2)
CONTACT_ID = "+14155550100"
CHAT_ID = 4242

#: (answer to "hours", answer to "again" i.e. the child count), cycled. An even
#: length keeps the cycle in step with the hours/again alternation.
ANSWER_PAIRS = (("3", "2"), ("5", "1"), ("8", "4"), ("12", "3"), ("1", "9"), (" 6 ", "2"))
ANSWERS = tuple(a for pair in ANSWER_PAIRS for a in pair)
#: state -> (variable saved, min, max, next state)
QUESTIONS = {
    "kids": ("count", 1, 9, "hours"),
    "hours": ("hours", 1, 12, "again"),
    "again": ("count", 1, 9, "hours"),
}
PRIME_ANSWER = "2"  # answers "kids", leaving the session on "hours"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- flow set
def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("_"))


def flow_texts() -> dict[str, str]:
    """The real flows/ plus bench/flows/bench.yaml."""
    out = {f"flows/{p.name}": p.read_text(encoding="utf-8") for p in _yaml_files(ROOT / "flows")}
    for p in _yaml_files(BENCH / "flows"):
        out[f"bench/flows/{p.name}"] = p.read_text(encoding="utf-8")
    return out


def locale_texts() -> dict[str, str]:
    """Each real locales/<lang>.yaml with bench/locales/<lang>.yaml appended
    (its only top-level key is ``bench:``, which the real file must not have)."""
    out = {}
    for p in _yaml_files(ROOT / "locales"):
        if not (p.stem.isalpha() and len(p.stem) <= 3):
            continue
        text = p.read_text(encoding="utf-8")
        extra = BENCH / "locales" / p.name
        if extra.exists():
            real = yaml.safe_load(text) or {}
            if "bench" in real:
                raise SystemExit(f"locales/{p.name} already has a top-level 'bench:' key; rename the bench keys")
            text = text.rstrip("\n") + "\n\n" + extra.read_text(encoding="utf-8")
        out[f"locales/{p.name}"] = text
    return out


def bench_texts() -> dict[str, dict[str, str]]:
    """lang -> {state: template} of the bench prompts, for the PTB side."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))["bench"] for p in _yaml_files(BENCH / "locales")}


def build_flowset() -> FlowSet:
    fs = build(flow_texts(), locale_texts())
    errors = [p for p in fs.problems if p.severity == "error"]
    if errors:
        raise SystemExit("the bench flow set does not compile:\n" + "\n".join(map(str, errors)))
    return fs


def build_engine() -> Engine:
    return Engine(build_flowset(), Settings())


# ---------------------------------------------------------------- expectations
def answers(n: int) -> list[str]:
    return [ANSWERS[i % len(ANSWERS)] for i in range(n)]


def expected_prompts(n: int, lang: str = "en") -> list[tuple[str, str]]:
    """(state asked next, prompt text) for each of the first ``n`` bench steps,
    computed independently of both the engine and PTB."""
    texts = bench_texts()[lang]
    values = {"count": int(PRIME_ANSWER)}
    state = "hours"
    out = []
    for text in answers(n):
        save, _lo, _hi, nxt = QUESTIONS[state]
        values[save] = int(text)
        state = nxt
        out.append((state, texts[state].format(**values)))
    return out


# ---------------------------------------------------------------- engine side
class EngineLoop:
    """One contact's session on the bench flow, answered step after step."""

    def __init__(self, engine: Engine, lang: str = "en"):
        self.engine = engine
        self.contact = Contact(CONTACT_ID, lang=lang)
        self.ids = CounterIds()
        started = engine.start(None, self.contact, "bench", BASE_NOW, self.ids)
        self.session = started.session
        primed = self.step(Message(PRIME_ANSWER), BASE_NOW)
        assert self.session.state == "hours" and primed.effects, "the bench flow did not reach 'hours'"

    def step(self, msg: Message, now: datetime):
        result = self.engine.message(self.session, self.contact, msg, now, self.ids)
        self.session = result.session
        return result


def engine_inputs(n: int) -> tuple[list[Message], list[datetime]]:
    msgs = [Message(t) for t in answers(n)]
    nows = [BASE_NOW + STEP_GAP * (i + 1) for i in range(n)]
    return msgs, nows


def check_engine_end(loop: EngineLoop, n: int) -> None:
    """After a timed run: the session must sit where n correct answers lead."""
    state, _text = expected_prompts(n)[-1]
    s = loop.session
    want = {"count": int(PRIME_ANSWER)}
    for text, st in zip(answers(n), ["hours", "again"] * n):
        want[QUESTIONS[st][0]] = int(text)
    if s.status != WAITING_INPUT or s.state != state or s.misses or s.vars.get("count") != want["count"] \
            or s.vars.get("hours") != want["hours"]:
        raise SystemExit(f"engine bench went off the answer path: {s}")


def time_engine(engine: Engine, msgs, nows) -> float:
    loop = EngineLoop(engine)
    step = loop.step
    gc.collect()
    t0 = time.perf_counter()
    for msg, now in zip(msgs, nows):
        step(msg, now)
    elapsed = time.perf_counter() - t0
    check_engine_end(loop, len(msgs))
    return len(msgs) / elapsed


# ---------------------------------------------------------------- fake Bot API
BOT_USER = {"id": 123, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class _FakeBotApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        result = BOT_USER if self.path.rstrip("/").endswith("/getMe") else True
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


class FakeBotApi:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeBotApi)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeBotApi":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- PTB side
def make_ptb_app(port: int, lang: str = "en"):
    """An Application whose ConversationHandler does the bench step by hand.
    The rendered reply goes to ``app.bot_data["reply"]`` (never sent)."""
    from telegram.ext import ApplicationBuilder, CommandHandler, ConversationHandler, MessageHandler, filters

    texts = bench_texts()[lang]
    reask = "Please reply with a number. / Responde con un número."

    def answer(state: str):
        save, lo, hi, nxt = QUESTIONS[state]
        prompt = texts[nxt]

        async def callback(update, context):
            user_data = context.user_data
            try:
                value = int(update.message.text.strip())
            except ValueError:
                value = None
            if value is None or value < lo or value > hi:
                context.bot_data["reply"] = reask + "\n" + texts[state].format(**user_data)
                return None  # stay: re-ask
            user_data[save] = value
            context.bot_data["reply"] = prompt.format(**user_data)
            return nxt

        return callback

    async def start(update, context):
        context.user_data.clear()
        context.bot_data["reply"] = texts["kids"]
        return "kids"

    text_only = filters.TEXT & ~filters.COMMAND
    conv = ConversationHandler(
        entry_points=[CommandHandler("bench", start)],
        states={state: [MessageHandler(text_only, answer(state))] for state in QUESTIONS},
        fallbacks=[CommandHandler("bench", start)],  # /bench again restarts (off the hot path)
    )
    app = (ApplicationBuilder().token("123:abc").base_url(f"http://127.0.0.1:{port}/bot")
           .base_file_url(f"http://127.0.0.1:{port}/file/bot").build())
    app.add_handler(conv)
    return app


def ptb_update(app, update_id: int, text: str):
    from telegram import MessageEntity, Update

    message = {
        "message_id": update_id,
        "date": int(BASE_NOW.timestamp()) + update_id * 120,
        "chat": {"id": CHAT_ID, "type": "private", "first_name": "Ana"},
        "from": {"id": CHAT_ID, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": MessageEntity.BOT_COMMAND, "offset": 0, "length": len(text.split()[0])}]
    return Update.de_json({"update_id": update_id, "message": message}, app.bot)


class PtbLoop:
    """The PTB counterpart of EngineLoop (``app`` must be initialized)."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def update(self, text: str):
        self._n += 1
        return ptb_update(self.app, self._n, text)

    async def prime(self) -> None:
        await self.app.process_update(self.update("/bench"))
        await self.app.process_update(self.update(PRIME_ANSWER))

    async def step(self, update) -> str:
        await self.app.process_update(update)
        return self.app.bot_data["reply"]


async def time_ptb(loop: PtbLoop, updates, last_expected: str) -> float:
    await loop.prime()
    process = loop.app.process_update
    gc.collect()
    t0 = time.perf_counter()
    for update in updates:
        await process(update)
    elapsed = time.perf_counter() - t0
    if loop.app.bot_data.get("reply") != last_expected:
        raise SystemExit(f"PTB bench went off the answer path: {loop.app.bot_data.get('reply')!r}")
    return len(updates) / elapsed


# ---------------------------------------------------------------- lint
def time_lint(repeats: int) -> tuple[float, int]:
    from bot.flowfiles import read_flowset

    times, errors = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        _fs, problems = read_flowset()
        times.append(time.perf_counter() - t0)
        errors = sum(1 for p in problems if p.severity == "error")
    return statistics.median(times) * 1000, errors


# ---------------------------------------------------------------- main
def profile_engine(engine: Engine, msgs, nows, top: int = 25) -> None:
    loop = EngineLoop(engine)
    prof = cProfile.Profile()
    prof.enable()
    for msg, now in zip(msgs, nows):
        loop.step(msg, now)
    prof.disable()
    check_engine_end(loop, len(msgs))
    stats = pstats.Stats(prof, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


async def run(args) -> dict[str, str]:
    log(f"bench: {args.steps} engine steps, {args.ptb_steps} PTB steps, {args.repeats} repeats")
    engine = build_engine()
    msgs, nows = engine_inputs(args.steps)
    last_expected = expected_prompts(args.ptb_steps)[-1][1]
    for _ in range(2):  # warm caches (templates, lexicons, option specs)
        time_engine(engine, msgs[:2000], nows[:2000])

    with FakeBotApi() as api:
        app = make_ptb_app(api.port)
        await app.initialize()
        try:
            ptb = PtbLoop(app)
            updates = [ptb_update(app, 10_000_000 + i, t) for i, t in enumerate(answers(args.ptb_steps))]
            await time_ptb(ptb, updates[:2000], expected_prompts(2000)[-1][1])  # warm up
            ours, theirs = [], []
            for r in range(args.repeats):  # interleaved, so both see the same machine
                ours.append(time_engine(engine, msgs, nows))
                theirs.append(await time_ptb(ptb, updates, last_expected))
                log(f"  run {r + 1}: engine {ours[-1]:,.0f}/s  ptb {theirs[-1]:,.0f}/s")
        finally:
            await app.shutdown()

    lint_ms, lint_errors = time_lint(args.repeats)
    log(f"  lint of flows/: {lint_ms:.1f} ms, {lint_errors} error(s)")
    if args.profile:
        profile_engine(engine, msgs, nows)
    e, p = statistics.median(ours), statistics.median(theirs)
    return {
        "engine_steps_per_s": f"{e:.0f}",
        "ptb_steps_per_s": f"{p:.0f}",
        "engine_vs_ptb_ratio": f"{e / p:.2f}",
        "lint_all_flows_ms": f"{lint_ms:.1f}",
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20_000, help="engine steps per run")
    ap.add_argument("--ptb-steps", type=int, default=20_000, help="PTB steps per run")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2,000 steps, 3 repeats")
    ap.add_argument("--profile", action="store_true", help="cProfile the engine loop to stderr")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.ptb_steps, args.repeats = 2000, 2000, 3
    t0 = time.perf_counter()
    figures = asyncio.run(run(args))
    for name, value in figures.items():
        print(f"{name}: {value}")
    log(f"bench: done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
