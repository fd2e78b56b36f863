"""School alerts: after an alert the parent's plain text reaches the teacher
(flows/school_reply.yaml, started by the alert job's ``start:school_reply``
event), while options, keywords and other flows' commands keep working."""
from datetime import timedelta

from hypothesis import given, settings, strategies as st

from bot.engine.model import Session
from bot.engine.inputs.normalize import normalize
from support import conductor
from test_school_support import MORNING, PARENT_EN, PARENT_ES, TEACHER, school_store

ALERT_AT = MORNING + timedelta(minutes=15)
LATER = ALERT_AT + timedelta(minutes=5)


def alerted(codes: str = "12 14", store=None):
    """A line where the teacher marked ``codes`` late and the parents got the alert."""
    store = school_store(store)
    line = conductor(store)
    line.message(TEACHER, f"LATE {codes}", MORNING)
    line.fire_timers(ALERT_AT)
    return store, line


def say(line, who, text, now=LATER) -> list[tuple[str, str]]:
    sent = line.message(who, text, now).sent + line.fire_timers(now).sent
    return [(m["to"], m["key"]) for m in sent]


def test_a_plain_reply_is_relayed_translated_and_without_numbers():
    store, line = alerted()
    sent = line.message(PARENT_ES, "Luis llega tarde, tiene médico", LATER).sent
    [to_teacher] = [m for m in sent if m["to"] == TEACHER]
    assert to_teacher["text"] == "From Luis's parent (14): Luis llega tarde, tiene médico"
    assert to_teacher["translate"]["source"] == "es" and to_teacher["translate"]["target"] == "en"
    assert [m["key"] for m in sent if m["to"] == PARENT_ES] == ["school.relayed_plain"]
    assert all(PARENT_ES not in m["text"] and TEACHER not in m["text"] for m in sent)


def test_a_reply_that_begins_like_an_option_is_still_relayed_and_whole_options_still_work():
    for text in ("Ask the teacher to call the office", "main door was locked", "a", "Pedir perdón, se durmió"):
        store, line = alerted()
        assert (TEACHER, "school.relay_to_teacher") in say(line, PARENT_EN, text), text
    store, line = alerted()
    assert say(line, PARENT_EN, "Main menu") == [(PARENT_EN, "main.menu")]
    store, line = alerted()
    assert say(line, PARENT_EN, "1")[0][0] == PARENT_EN


def test_keywords_and_other_flows_commands_are_never_relayed():
    store, line = alerted()
    assert say(line, PARENT_EN, "NANNY") == [(PARENT_EN, "childcare.ask_name")]
    store, line = alerted()
    assert say(line, PARENT_EN, "MENU") == [(PARENT_EN, "main.menu")]
    store, line = alerted()
    assert say(line, PARENT_EN, "REPLY") == [(PARENT_EN, "school.parent_choose")]
    store, line = alerted()
    assert say(line, PARENT_EN, "2") == [(PARENT_EN, "main.menu")]
    assert not store.list_outbound(to=TEACHER) or all(
        m["key"] != "school.relay_to_teacher" for m in store.list_outbound(to=TEACHER))


def test_a_parent_busy_elsewhere_keeps_their_conversation_and_gets_the_reply_word():
    store = school_store()
    line = conductor(store)
    line.message(PARENT_EN, "PROFILE", MORNING)  # a conversation in progress
    line.message(TEACHER, "LATE 12", MORNING)
    sent = line.fire_timers(ALERT_AT).sent
    assert [(m["to"], m["key"]) for m in sent] == [(PARENT_EN, "school.parent_late")]
    assert store.get_session(PARENT_EN).flow == "profile"


def test_an_opted_out_parent_gets_nothing():
    store = school_store()
    store.upsert_contact(PARENT_EN, opted_out=True)
    line = conductor(store)
    line.message(TEACHER, "LATE 12", MORNING)
    assert [m for m in line.fire_timers(ALERT_AT).sent if m["to"] == PARENT_EN] == []
    assert store.list_outbound(to=PARENT_EN) == []


def test_after_the_window_a_plain_text_goes_to_the_menu_and_the_setting_moves_it():
    store, line = alerted("12")
    assert say(line, PARENT_EN, "running late", ALERT_AT + timedelta(hours=12, minutes=1)) == [(PARENT_EN, "main.menu")]
    store = school_store()
    line = conductor(store)
    line.settings = {"SCHOOL_REPLY_WINDOW_HOURS": "2"}
    line.message(TEACHER, "LATE 12", MORNING)
    line.fire_timers(ALERT_AT)
    assert say(line, PARENT_EN, "running late", ALERT_AT + timedelta(hours=2, minutes=1)) == [(PARENT_EN, "main.menu")]


def test_the_relay_limit_still_holds_for_plain_replies():
    store, line = alerted("12")
    for i in range(5):
        assert (TEACHER, "school.relay_to_teacher") in say(line, PARENT_EN, f"note {i}")
    assert say(line, PARENT_EN, "one more") == [(PARENT_EN, "school.too_many_replies")]


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_text_is_relayed_or_handled_never_lost_or_leaked(text):
    """Whatever the parent types right after the alert: either the teacher
    gets it as typed (squeezed), or the line answers the parent (an option, a
    keyword, a command, the crisis screen) and nothing reaches the teacher."""
    store, line = alerted("12", store=None)
    sent = line.message(PARENT_EN, text, LATER).sent
    to_teacher = [m for m in sent if m["to"] == TEACHER]
    mine = [m for m in sent if m["to"] == PARENT_EN]
    assert all(PARENT_EN not in m["text"] for m in to_teacher)
    if to_teacher:
        assert to_teacher[0]["text"].endswith(" ".join(text.split())[:600]) and len(to_teacher) == 1
    else:
        assert mine or not normalize(text) or store.get_contact(PARENT_EN).get("opted_out")


def test_a_later_alert_replaces_an_earlier_one():
    store, line = alerted("12")
    store.save_session(Session(PARENT_EN, flow="main", state="menu", status="waiting_input",
                               expires_at=ALERT_AT + timedelta(hours=1)))
    line.message(TEACHER, "ABSENT 12", ALERT_AT)
    sent = line.fire_timers(ALERT_AT + timedelta(minutes=15)).sent
    assert [(m["to"], m["key"]) for m in sent] == [(PARENT_EN, "school.reply_absent")]
    assert store.get_session(PARENT_EN).vars["alert"]["kind"] == "absent"


FLOW = """flow: other_check
description: x
roles: [any]
start: ask
states:
  ask:
    say: common.opt_menu
    ask: {kind: %s, save: answer, %s other: %s}
  done:
    end: true
"""


def other_errors(kind: str, target: str) -> list[str]:
    from bot.engine.flowset import build
    from bot.lint import lint
    from support import ROOT, texts

    flows = texts(ROOT / "flows")
    options = "options: [{value: a, label: common.opt_menu, goto: done}]," if kind == "choice" else ""
    flows["flows/other_check.yaml"] = FLOW % (kind, options, target)
    problems = lint(build(flows, texts(ROOT / "locales")))
    return [p.message for p in problems if p.file == "flows/other_check.yaml" and p.severity == "error"]


def test_lint_checks_a_choices_other():
    assert other_errors("choice", "done") == []
    assert any("other" in m and "'text'" in m for m in other_errors("text", "done"))
    assert any("nowhere" in m for m in other_errors("choice", "nowhere"))


def test_a_parent_who_got_busy_before_the_alert_reached_them_keeps_their_conversation():
    """The job checks the parent is free, then the start event is delivered a
    moment later: a parent who began something else in between keeps it and
    gets the alert in its plain "text REPLY" form; nothing is lost."""
    store = school_store()
    line = conductor(store)
    line.message(TEACHER, "LATE 12", MORNING)
    [job] = [t for t in store.claim_due_timers(ALERT_AT, limit=100) if t["event"] == "school_alert_due"]
    line.timer(job, ALERT_AT)  # the job: the parent is free, the start event is saved for delivery
    line.message(PARENT_EN, "NANNY", ALERT_AT)  # meanwhile the parent asks for childcare
    asking = store.get_session(PARENT_EN)
    sent = line.fire_timers(ALERT_AT).sent
    assert [(m["to"], m["key"]) for m in sent] == [(PARENT_EN, "school.parent_late")]
    after = store.get_session(PARENT_EN)
    assert (after.flow, after.state) == (asking.flow, asking.state)
