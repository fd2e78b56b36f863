from datetime import timedelta

from bot.actions import load
from bot.engine.model import Schedule
from test_school_support import MORNING, TEACHER, apply, context, school_store

ACTION = load()["school_mark"]


def test_late_makes_a_pending_alert_and_a_job_at_the_end_of_the_grace_window():
    store = school_store()
    result = apply(store, ACTION.run(context(store), {"kind": "late", "codes": "12"}))
    assert result.result == "ok"
    assert result.data["new"] == "Ana (12)" and result.data["has_new"] and not result.data["has_unknown"]
    assert result.data["minutes"] == 15 and result.data["due"] == "8:35 AM"
    [alert] = store.find_records("school.alert", status="pending")
    assert alert["id"] == "lincoln school:12:2026-03-02:late"
    assert (alert["kind"], alert["code"], alert["teacher"], alert["day"]) == ("late", "12", TEACHER, "2026-03-02")
    [job] = [e for e in result.effects if isinstance(e, Schedule)]
    assert job.event == "school_alert_due" and job.data == {"alert": alert["id"]} and job.at == alert["due_at"]


def test_several_codes_unknown_ones_and_the_same_day_twice():
    store = school_store()
    first = apply(store, ACTION.run(context(store), {"kind": "absent", "codes": "12, 14 y 99"}))
    assert (first.data["new"], first.data["unknown"]) == ("Ana (12), Luis (14)", "99")
    again = apply(store, ACTION.run(context(store, now=MORNING + timedelta(hours=2)),
                                    {"kind": "absent", "codes": "14"}))
    assert again.data["again"] == "Luis (14)" and not again.data["has_new"]
    assert not [e for e in again.effects if isinstance(e, Schedule)]
    late = ACTION.run(context(store), {"kind": "late", "codes": "14"})  # another kind is another alert
    assert late.data["new"] == "Luis (14)"
    tomorrow = ACTION.run(context(store, now=MORNING + timedelta(days=1)), {"kind": "absent", "codes": "14"})
    assert tomorrow.data["new"] == "Luis (14)"


def test_another_teachers_roster_is_unknown():
    store = school_store()
    with store.transaction() as tx:
        tx.upsert_contact("+14155550199", roles=["teacher"], lang="en")
    result = ACTION.run(context(store, who="+14155550199"), {"kind": "late", "codes": "12"})
    assert result.data["unknown"] == "12" and not result.data["has_new"]


def test_grace_window_from_settings_and_per_school_record():
    store = school_store()
    result = ACTION.run(context(store, settings={"SCHOOL_GRACE_MINUTES": "5"}), {"kind": "late", "codes": "12"})
    assert result.data["minutes"] == 5
    store.put_record("school.settings", "Lincoln School", {"id": "Lincoln School", "grace_minutes": 30})
    result = ACTION.run(context(store), {"kind": "late", "codes": "14"})
    assert result.data["minutes"] == 30 and result.data["due"] == "8:50 AM"
    bad = ACTION.run(context(school_store(), settings={"SCHOOL_GRACE_MINUTES": "soon"}),
                     {"kind": "late", "codes": "12"})
    assert bad.data["minutes"] == 15


def test_no_codes_is_empty_and_a_bad_kind_is_a_flow_bug():
    store = school_store()
    assert ACTION.run(context(store), {"kind": "late", "codes": ""}).result == "empty"
    assert ACTION.run(context(store), {"kind": "late", "codes": None}).result == "empty"
    wrong = ACTION.run(context(store), {"kind": "sick", "codes": "12"})
    assert wrong.result == "empty" and wrong.effects[0].what == "school.bad_kind"
    assert store.find_records("school.alert") == []
