from datetime import timedelta

import pytest

from bot.actions import load
from bot.engine.model import Audit, Emit, Send, Session
from test_school_support import MORNING, PARENT_EN, PARENT_ES, TEACHER, apply, context, school_store

ACTION = load()["school_alert_due"]
MARK = load()["school_mark"]
LATER = MORNING + timedelta(minutes=15)


def job_context(store, now=LATER, settings=None):
    from bot.engine.model import Contact

    ctx = context(store, now=now, settings=settings)
    ctx.contact = Contact("job:school.alert:x")
    return ctx


def test_a_pending_alert_starts_the_parents_reply_conversation_once():
    store = school_store()
    apply(store, MARK.run(context(store), {"kind": "absent", "codes": "12 14"}))
    starts = {}
    for alert in store.find_records("school.alert", status="pending"):
        result = ACTION.run(job_context(store), {"alert": alert["id"]})
        assert result.result == "ok" and not [e for e in result.effects if isinstance(e, Send)]
        [emit] = [e for e in result.effects if isinstance(e, Emit)]
        starts[emit.to] = emit
    assert {e.event for e in starts.values()} == {"start:school_reply"}
    about = starts[PARENT_ES].data["vars"]
    assert (about["child"], about["school"], about["alert"]["kind"]) == ("Luis", "Lincoln School", "absent")
    assert TEACHER not in repr(about)  # the teacher's number stays out of the parent's session
    assert all(a["status"] == "sent" and a["sent_at"] == LATER for a in store.find_records("school.alert"))
    for alert in store.find_records("school.alert"):  # a job that fires twice sends nothing more
        assert ACTION.run(job_context(store), {"alert": alert["id"]}).result == "skipped"


def test_a_parent_busy_in_another_conversation_gets_the_alert_with_reply():
    store = school_store()
    store.save_session(Session(PARENT_EN, flow="profile", state="show", status="waiting_input",
                               expires_at=LATER + timedelta(minutes=10)))
    apply(store, MARK.run(context(store), {"kind": "absent", "codes": "12"}))
    [alert] = store.find_records("school.alert")
    result = ACTION.run(job_context(store), {"alert": alert["id"]})
    [send] = [e for e in result.effects if isinstance(e, Send)]
    assert send.key == "school.parent_absent" and send.lang == "en" and "REPLY" in send.text
    assert not [e for e in result.effects if isinstance(e, Emit)]


def test_a_cancelled_or_missing_alert_sends_nothing():
    store = school_store()
    apply(store, MARK.run(context(store), {"kind": "late", "codes": "12"}))
    [alert] = store.find_records("school.alert")
    store.put_record("school.alert", alert["id"], {**alert, "status": "cancelled"})
    assert ACTION.run(job_context(store), {"alert": alert["id"]}).effects == ()
    assert ACTION.run(job_context(store), {"alert": "nope"}).result == "skipped"


def test_the_roster_language_is_used_only_when_the_parent_has_none():
    store = school_store()
    store.upsert_contact(PARENT_ES, lang=None)
    apply(store, MARK.run(context(store), {"kind": "late", "codes": "14"}))
    [alert] = store.find_records("school.alert")
    [send] = [e for e in ACTION.run(job_context(store), {"alert": alert["id"]}).effects if isinstance(e, Send)]
    assert send.lang == "es"  # from the roster's parent_lang


def sends_to(result, number):
    return [e for e in result.effects if isinstance(e, (Send, Emit)) and e.to == number]


@pytest.mark.parametrize("teacher_lang, due_text", [("en", "8:35 AM"), ("es", "8:35")])
def test_an_alert_whose_job_runs_over_an_hour_late_goes_to_nobody_but_the_teacher(teacher_lang, due_text):
    """After an outage, "has not arrived yet" hours late would alarm a parent
    whose child may be home: the teacher hears it was not sent instead."""
    store = school_store(teacher_lang=teacher_lang)
    apply(store, MARK.run(context(store), {"kind": "late", "codes": "12"}))
    [alert] = store.find_records("school.alert")
    result = ACTION.run(job_context(store, now=alert["due_at"] + timedelta(minutes=61)), {"alert": alert["id"]})
    assert result.result == "skipped"
    assert sends_to(result, PARENT_EN) == []
    [told] = sends_to(result, TEACHER)
    assert told.key == "school.alert_expired" and told.lang == teacher_lang
    assert "Ana" in told.text and due_text in told.text
    [audit] = [e for e in result.effects if isinstance(e, Audit)]
    assert audit.what == "school.alert_expired" and audit.data["alert"] == alert["id"]
    [after] = store.find_records("school.alert")
    assert after["status"] == "expired" and after["expired_at"] == alert["due_at"] + timedelta(minutes=61)
    # the teacher may mark the child again: a new alert, a new grace window
    again = MARK.run(context(store, now=after["expired_at"]), {"kind": "late", "codes": "12"})
    assert again.data["has_new"] and not again.data["has_again"]
    assert store.find_records("school.alert")[0]["status"] == "pending"


def test_an_alert_up_to_the_limit_late_still_goes_out_and_the_limit_is_a_setting():
    store = school_store()
    apply(store, MARK.run(context(store), {"kind": "absent", "codes": "12 14"}))
    first, second = sorted(store.find_records("school.alert"), key=lambda a: a["code"])
    on_time = ACTION.run(job_context(store, now=first["due_at"] + timedelta(minutes=60)), {"alert": first["id"]})
    assert on_time.result == "ok" and sends_to(on_time, PARENT_EN)
    late = ACTION.run(job_context(store, now=second["due_at"] + timedelta(hours=2),
                                  settings={"SCHOOL_ALERT_LATE_LIMIT_MINUTES": "180"}), {"alert": second["id"]})
    assert late.result == "ok" and sends_to(late, PARENT_ES) and not sends_to(late, TEACHER)
