from datetime import timedelta

from bot.actions import load
from test_school_support import MORNING, PARENT_EN, PARENT_ES, apply, context, school_store

ACTION = load()["school_find_alert"]
MARK = load()["school_mark"]
DUE = load()["school_alert_due"]


def sent_alert(store, codes="12", at=MORNING):
    apply(store, MARK.run(context(store, now=at), {"kind": "late", "codes": codes}))
    for alert in store.find_records("school.alert", status="pending"):
        DUE.run(context(store, now=at + timedelta(minutes=15)), {"alert": alert["id"]})


def test_finds_the_newest_sent_alert_and_says_whether_a_message_came_with_reply():
    store = school_store()
    sent_alert(store)
    found = ACTION.run(context(store, who=PARENT_EN, now=MORNING + timedelta(hours=1)), {"text": None})
    assert found.result == "ok"
    assert found.data == {"id": "lincoln school:12:2026-03-02:late", "child": "Ana", "age": 7,
                          "school": "Lincoln School", "kind": "late"}
    assert "teacher" not in found.data and "parent" not in found.data  # no numbers in the parent's session
    with_text = ACTION.run(context(store, who=PARENT_EN, now=MORNING + timedelta(hours=1)), {"text": "sick"})
    assert with_text.result == "text"


def test_no_alert_a_pending_one_or_an_old_one_is_none():
    store = school_store()
    assert ACTION.run(context(store, who=PARENT_EN), {}).result == "none"
    apply(store, MARK.run(context(store), {"kind": "late", "codes": "14"}))  # still in its grace window
    assert ACTION.run(context(store, who=PARENT_ES), {}).result == "none"
    sent_alert(store, "12")
    two_days = MORNING + timedelta(days=2)
    assert ACTION.run(context(store, who=PARENT_EN, now=two_days), {}).result == "none"
    assert ACTION.run(context(store, who=PARENT_EN, now=two_days, settings={"SCHOOL_REPLY_HOURS": "72"}),
                      {}).result == "ok"
