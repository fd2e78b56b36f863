from datetime import timedelta

from bot.actions import load
from bot.engine.model import CancelTimer, Send
from test_school_support import MORNING, PARENT_EN, apply, context, school_store

ACTION = load()["school_arrived"]
MARK = load()["school_mark"]
DUE = load()["school_alert_due"]


def test_inside_the_window_the_alert_and_its_job_are_cancelled():
    store = school_store()
    apply(store, MARK.run(context(store), {"kind": "late", "codes": "12 14"}))
    result = apply(store, ACTION.run(context(store, now=MORNING + timedelta(minutes=5)), {"codes": "12"}))
    assert result.data["cancelled"] == "Ana (12)" and not result.data["has_told"]
    assert not [e for e in result.effects if isinstance(e, Send)]
    [cancel] = [e for e in result.effects if isinstance(e, CancelTimer)]
    assert cancel.timer_id == "job:school.alert:lincoln school:12:2026-03-02:late"
    statuses = {a["code"]: a["status"] for a in store.find_records("school.alert")}
    assert statuses == {"12": "cancelled", "14": "pending"}
    # even a job that still fires (the timer went before the cancel) sends nothing
    assert DUE.run(context(store), {"alert": "lincoln school:12:2026-03-02:late"}).result == "skipped"
    # marked late again after the undo: a new pending alert is allowed
    assert MARK.run(context(store), {"kind": "late", "codes": "12"}).data["new"] == "Ana (12)"


def test_after_the_window_the_parent_hears_the_child_arrived_once():
    store = school_store()
    apply(store, MARK.run(context(store), {"kind": "late", "codes": "12"}))
    [alert] = store.find_records("school.alert")
    DUE.run(context(store, now=MORNING + timedelta(minutes=15)), {"alert": alert["id"]})
    result = ACTION.run(context(store, now=MORNING + timedelta(minutes=40)), {"codes": "12"})
    [send] = [e for e in result.effects if isinstance(e, Send)]
    assert send.to == PARENT_EN and send.key == "school.parent_arrived" and result.data["told"] == "Ana (12)"
    again = ACTION.run(context(store, now=MORNING + timedelta(minutes=45)), {"codes": "12"})
    assert again.data["nothing"] == "Ana (12)" and not [e for e in again.effects if isinstance(e, Send)]


def test_unknown_codes_and_no_codes():
    store = school_store()
    result = ACTION.run(context(store), {"codes": "12 99"})
    assert (result.data["nothing"], result.data["unknown"]) == ("Ana (12)", "99")
    assert ACTION.run(context(store), {"codes": " "}).result == "empty"
