"""bench/engine.py measures the path it claims to: answers, not re-asks.

Not timed: these run the bench's own step functions a few hundred times and
check every prompt, on the engine and on the python-telegram-bot side.
"""
from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from bot.engine.model import WAITING_INPUT, Audit, Message, Send

ROOT = Path(__file__).resolve().parent.parent
STEPS = 300


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def engine():
    return bench.build_engine()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_engine_step_answers_and_renders_the_next_prompt(engine, lang):
    loop = bench.EngineLoop(engine, lang=lang)
    msgs, nows = bench.engine_inputs(STEPS)
    expected = bench.expected_prompts(STEPS, lang)
    for i, (msg, now) in enumerate(zip(msgs, nows)):
        result = loop.step(msg, now)
        state, text = expected[i]
        sends = [e for e in result.effects if isinstance(e, Send)]
        assert not [e for e in result.effects if isinstance(e, Audit)], i
        assert [(s.key, s.text) for s in sends] == [(f"bench.{state}", text)], i
        assert loop.session.state == state and loop.session.status == WAITING_INPUT and loop.session.misses == 0
    bench.check_engine_end(loop, STEPS)
    assert "{" not in expected[0][1] and expected[0][1].startswith("Noted: 2 for 3 h" if lang == "en" else "Anotado")


def test_a_wrong_answer_is_a_reask_which_the_end_check_catches(engine):
    loop = bench.EngineLoop(engine)
    result = loop.step(Message("banana"), bench.BASE_NOW)
    assert loop.session.misses == 1 and loop.session.state == "hours"
    assert [s.key for s in result.effects if isinstance(s, Send)] == [None]  # hint + question, not a bench prompt
    with pytest.raises(SystemExit):
        bench.check_engine_end(loop, 1)


def test_bench_flow_set_lints_without_errors():
    from bot.lint import lint

    errors = [p for p in lint(bench.build_flowset()) if p.severity == "error"]
    assert errors == []


def test_ptb_handlers_give_the_same_prompts():
    expected = bench.expected_prompts(STEPS)

    async def go():
        with bench.FakeBotApi() as api:
            app = bench.make_ptb_app(api.port)
            await app.initialize()  # getMe against the fake Bot API
            try:
                assert app.bot.username == "bench_bot"
                loop = bench.PtbLoop(app)
                await loop.prime()
                assert app.bot_data["reply"] == bench.bench_texts()["en"]["hours"].format(count=2)
                got = [await loop.step(loop.update(text)) for text in bench.answers(STEPS)]
                wrong = await loop.step(loop.update("banana"))
                # timed path: prebuilt updates, /bench reset, last reply checked
                updates = [bench.ptb_update(app, 10_000 + i, t) for i, t in enumerate(bench.answers(50))]
                await bench.time_ptb(loop, updates, bench.expected_prompts(50)[-1][1])
            finally:
                await app.shutdown()
        return got, wrong

    got, wrong = asyncio.run(go())
    assert got == [text for _state, text in expected]
    assert wrong.startswith("Please reply with a number") and wrong.endswith(expected[-1][1])


def test_time_engine_runs_and_checks_itself(engine):
    msgs, nows = bench.engine_inputs(50)
    assert bench.time_engine(engine, msgs, nows) > 0
