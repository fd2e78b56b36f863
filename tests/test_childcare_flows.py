"""Emergency childcare through the conductor: entry from another flow with the
child filled in, the audit trail, and who may ever be asked."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings, strategies as st

from bot.conversation import Conductor
from bot.engine.flowset import build
from bot.engine.model import CounterIds
from bot.engine.runner import Engine, Settings
from bot.services import childcare as cc
from bot.store.memory import MemoryStore
from support import NOW, PARENT, ROOT, texts
from test_childcare_support import COORD, PICKUP, ROSA, ctx, line

# What the school alerts do: set the child, then jump into the request flow.
JUMPER = """
flow: jumper
roles: [parent]
triggers: {keywords: {en: [JUMP], es: [SALTA]}}
start: go
states:
  go:
    set: {child_name: "Ana", child_age: 7, place: "Juarez School", unrelated: "x"}
    flow: childcare
"""


def conductor(store, *extra: tuple[str, str]) -> Conductor:
    flows = texts(ROOT / "flows")
    flows.update(dict(extra))
    return Conductor(Engine(build(flows, texts(ROOT / "locales")), Settings()), store, CounterIds())


def send(line_: Conductor, who: str, text: str, now=NOW):
    """A text, then the events it addressed to others (as the pipeline does)."""
    return line_.message(who, text, now).sent + line_.fire_timers(now).sent


def keys(outcome) -> list[tuple[str, str]]:
    return [(m["to"], m["key"]) for m in outcome.sent]


def test_a_jump_with_the_child_filled_in_asks_only_the_time():
    store = line()
    line_ = conductor(store, ("flows/jumper.yaml", JUMPER))
    assert keys(line_.message(PARENT, "JUMP", NOW)) == [(PARENT, "childcare.ask_time")]
    session = store.get_session(PARENT)
    assert session.flow == "childcare" and "unrelated" not in session.vars  # only the declared vars travel
    confirm = line_.message(PARENT, "in 1 hour", NOW)
    assert "Ana (7) at Juarez School" in confirm.sent[0]["text"]


def test_a_jump_with_only_the_name_asks_where():
    store = line()
    jumper = JUMPER.replace(', place: "Juarez School"', "")
    line_ = conductor(store, ("flows/jumper.yaml", jumper))
    assert keys(line_.message(PARENT, "JUMP", NOW)) == [(PARENT, "childcare.ask_place")]


def test_every_step_is_in_the_audit_log_with_its_time():
    store = line()
    line_ = conductor(store)
    for text in ("NANNY", "1", "in 1 hour", "1"):
        send(line_, PARENT, text)
    code = store.find_records(cc.REQUEST)[0]["code"]
    send(line_, ROSA, f"YES {code}", NOW + timedelta(minutes=1))
    send(line_, ROSA, "PICKED UP", NOW + timedelta(minutes=20))
    send(line_, ROSA, "SAFE", NOW + timedelta(minutes=40))
    thanks = send(line_, PARENT, "Thanks!", NOW + timedelta(minutes=41))
    assert [(m["to"], m["key"]) for m in thanks] == [(ROSA, "childcare.thanks_to_helper"),
                                                     (PARENT, "childcare.thanks_sent")]
    trail = [(e["what"], e["at"]) for e in store.audit_entries(PARENT) if e["what"].startswith("childcare.")]
    assert [w for w, _ in trail] == ["childcare.requested", "childcare.ring", "childcare.covered",
                                     "childcare.picked_up", "childcare.safe", "childcare.thanked"]
    assert [at for _, at in trail] == sorted(at for _, at in trail) and trail[-1][1] == NOW + timedelta(minutes=41)
    assert store.get_contact(ROSA)["helped_count"] == 1


def test_the_monthly_job_is_saved_once_under_its_fixed_key():
    store = line()
    line_ = conductor(store)
    for hours in ("in 1 hour", "in 5 hours"):
        for text in ("NANNY", "1", hours, "1"):
            send(line_, PARENT, text)
        send(line_, ROSA, "YES")
        send(line_, ROSA, "SAFE")
    due = store.claim_due_timers(NOW + timedelta(days=40))
    monthly = [t for t in due if t["contact"] == f"job:{cc.JOB_MONTHLY}"]
    assert len(monthly) == 1 and monthly[0]["event"] == "childcare_monthly"
    sent = line_.timer(monthly[0], monthly[0]["at"]).sent
    assert {(m["to"], m["key"]) for m in sent} == {(ROSA, "childcare.monthly_helper"),
                                                   (COORD, "childcare.monthly_area")}


helper_flags = st.fixed_dictionaries({
    "vetted": st.booleans(), "on_duty": st.sampled_from([True, False, None]), "opted_out": st.booleans(),
    "area": st.sampled_from(["Eastside", "Westside", None]), "roles": st.sampled_from([["helper"], ["parent"]]),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(helper_flags, min_size=0, max_size=8), st.integers(min_value=1, max_value=5))
def test_rings_never_ask_an_unvetted_off_duty_opted_out_or_non_helper(people, size):
    store = MemoryStore()
    store.upsert_contact(PARENT, roles=["parent", "helper"], vetted=True, area="Eastside")
    for i, flags in enumerate(people):
        fields = {k: v for k, v in flags.items() if v is not None}
        store.upsert_contact(f"+1415555{3000 + i}", **fields)
    req = {"id": "r1", "parent": PARENT, "area": "Eastside", "asked": [], "pickup_at": PICKUP}
    c = ctx(store, CHILDCARE_RING_SIZE=size)
    asked: list = []
    while ring := cc.next_ring(c, {**req, "asked": asked}):
        assert len(ring) <= size
        asked += ring
    for number in asked:
        rec = store.get_contact(number)
        assert "helper" in rec["roles"] and rec["vetted"] and rec.get("on_duty") is not False
        assert not rec["opted_out"] and number != PARENT
    eligible = {c["id"] for c in store.list_contacts("helper")
                if c["vetted"] and c.get("on_duty") is not False and not c["opted_out"] and c["id"] != PARENT}
    assert set(asked) == eligible and len(asked) == len(set(asked))


def test_lint_takes_command_starts_as_entry_points_with_their_saved_text():
    """helper_answer.yaml's states are reached only by YES/NO/PICKED UP/SAFE."""
    from bot.lint import lint

    fs = build(texts(ROOT / "flows"), texts(ROOT / "locales"))
    mine = [p for p in lint(fs) if p.severity == "error"
            and any(n in p.file for n in ("childcare", "child.yaml", "helper_answer", "helper_duty"))]
    assert mine == []
    bad = {"flows/x.yaml": "flow: x\nroles: [helper]\ntriggers:\n  commands:\n"
           "    - {words: {en: [ZAP]}, save: args, start: zap}\nstart: a\nstates:\n"
           "  a: {end: true}\n  zap: {say: profile.saved, goto: b}\n  b:\n    action: {call: childcare_place, "
           "with: {answer: \"{args}\", known: \"{other}\"}}\n    end: true\n"}
    problems = [p.message for p in lint(build({**texts(ROOT / "flows"), **bad}, texts(ROOT / "locales")))
                if p.file == "flows/x.yaml"]
    assert not any("unreachable" in m for m in problems)
    assert any("{other}" in m for m in problems) and not any("{args}" in m for m in problems)
