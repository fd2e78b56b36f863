"""Command triggers (``triggers.commands``): word(s) + arguments, by role."""
from hypothesis import given, settings, strategies as st

from bot.engine.commands import match_command
from bot.engine.flows import compile_flow
from bot.engine.flowset import command_table

HELPER_FLOW = """
flow: answer
roles: [helper]
triggers:
  order: 10
  commands:
    - {words: {en: ["YES", "Y"], es: ["SI", "SÍ"]}, save: code, start: yes}
    - {words: {en: ["NO"], es: ["NO"]}, save: code, start: no}
    - {words: {en: ["PICKED UP"], es: ["LO RECOGÍ", "LA RECOGÍ"]}, save: code, start: picked}
start: yes
states:
  yes: {end: true}
  no: {end: true}
  picked: {end: true}
"""

CLEANER_FLOW = """
flow: job
roles: [cleaner, client]
triggers:
  order: 20
  commands:
    - {words: {en: ["NO ENTRY"], es: ["NO PUEDO ENTRAR"]}, start: lockout}
    - {words: {en: ["YES"], es: ["SI"]}, save: code, start: accept}
    - {words: {en: ["DONE"], es: ["LISTO"]}, save: numbers, start: done}
start: done
states:
  lockout: {end: true}
  accept: {end: true}
  done: {end: true}
"""


def table():
    flows = {}
    for text in (HELPER_FLOW, CLEANER_FLOW):
        flow, problems = compile_flow("x.yaml", text, text.split("flow: ")[1].split()[0])
        assert not [p for p in problems if p.severity == "error"], problems
        flows[flow.name] = flow
    return command_table(flows)


TABLE = table()


def test_words_and_the_rest_as_typed():
    flow, cmd, rest = match_command(TABLE, "YES 482", ("helper",))
    assert (flow.name, cmd.start, cmd.save, rest) == ("answer", "yes", "code", "482")
    assert match_command(TABLE, "  sí   482 ", ("helper",))[2] == "482"
    assert match_command(TABLE, "Listo 1 3", ("cleaner",))[2] == "1 3"
    assert match_command(TABLE, "DONE", ("cleaner",))[2] == ""


def test_the_longest_phrase_wins():
    flow, cmd, rest = match_command(TABLE, "no entry", ("cleaner",))
    assert (flow.name, cmd.start, rest) == ("job", "lockout", "")
    flow, cmd, rest = match_command(TABLE, "No puedo entrar, la llave no abre", ("cleaner",))
    assert (cmd.start, rest) == ("lockout", "la llave no abre")
    assert match_command(TABLE, "picked up 12", ("helper",))[1].start == "picked"
    assert match_command(TABLE, "lo recogi", ("helper",))[1].start == "picked"  # accents ignored


def test_roles_pick_between_flows_sharing_a_word():
    assert match_command(TABLE, "YES 12", ("client",))[0].name == "job"
    assert match_command(TABLE, "YES 12", ("helper",))[0].name == "answer"
    assert match_command(TABLE, "YES 12", ("helper", "client"))[0].name == "answer"  # menu order
    assert match_command(TABLE, "YES 12", ("parent",)) is None
    assert match_command(TABLE, "NO 482", ("cleaner",)) is None  # NO alone is the helper's


def test_no_match():
    assert match_command(TABLE, "", ("helper",)) is None
    assert match_command(TABLE, "yesterday 4", ("helper",)) is None  # whole words only
    assert match_command(TABLE, "hello there", ("helper",)) is None


def test_opt_out_words_are_refused_as_commands():
    bad = HELPER_FLOW.replace('["YES", "Y"]', '["CANCEL"]')
    _, problems = compile_flow("answer.yaml", bad, "answer")
    assert any("opt-out" in p.message for p in problems)


def test_a_command_into_an_unknown_state_is_an_error():
    bad = HELPER_FLOW.replace("start: picked}", "start: nowhere}")
    _, problems = compile_flow("answer.yaml", bad, "answer")
    assert any("unknown state 'nowhere'" in p.message for p in problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from([("helper",), ("cleaner",), ("client",), ()]))
def test_any_text_matches_safely(text, roles):
    got = match_command(TABLE, text, roles)
    if got is not None:
        flow, cmd, rest = got
        assert flow.allows(roles)
        assert text.strip().endswith(rest)  # the rest is the text's own tail, as typed


# ---------------------------------------------------------------- in the engine
ASKER = """
flow: asker
roles: [any]
triggers: {keywords: {en: [ASKME], es: [PREGUNTAME]}}
start: q
states:
  q:
    say: profile.ask_name
    ask: {kind: yesno, save: answer, goto: done}
  done: {end: true}
"""


def engine_with_commands():
    from bot.engine.flowset import build
    from bot.engine.runner import Engine, Settings
    from support import ROOT, texts

    flows = texts(ROOT / "flows")
    flows.update({"answer.yaml": HELPER_FLOW, "asker.yaml": ASKER})
    return Engine(build(flows, texts(ROOT / "locales")), Settings())


def test_a_command_starts_its_flow_at_its_state_with_the_rest_saved():
    from bot.engine.model import Contact, CounterIds, Message
    from support import NOW

    eng = engine_with_commands()
    helper = Contact("+14155550111", lang="en", roles=("helper",))
    res = eng.message(None, helper, Message("yes 482"), NOW, CounterIds())
    assert (res.session.flow, res.session.vars) == ("answer", {"code": "482"})
    parent = Contact("+14155550112", lang="en", roles=("parent",))
    res = eng.message(None, parent, Message("yes 482"), NOW, CounterIds())
    assert res.session.flow == "main"  # not a helper: no such command for them


def test_a_bare_command_word_answers_an_open_question_first():
    from bot.engine.model import Contact, CounterIds, Message
    from support import NOW

    eng = engine_with_commands()
    helper = Contact("+14155550111", lang="en", roles=("helper",))
    s = eng.message(None, helper, Message("ASKME"), NOW, CounterIds()).session
    res = eng.message(s, helper, Message("yes"), NOW, CounterIds())
    assert (res.session.flow, res.session.vars.get("answer")) == ("asker", True)
    s = eng.message(None, helper, Message("ASKME"), NOW, CounterIds()).session
    res = eng.message(s, helper, Message("YES 77"), NOW, CounterIds())  # with a code it is the command
    assert (res.session.flow, res.session.vars) == ("answer", {"code": "77"})
