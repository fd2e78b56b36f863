from datetime import timedelta

from bot.actions import load
from bot.engine.model import Send
from test_school_support import MORNING, PARENT_EN, PARENT_ES, apply, context, school_store

ACTION = load()["school_alert_due"]
MARK = load()["school_mark"]
LATER = MORNING + timedelta(minutes=15)


def job_context(store):
    from bot.engine.model import Contact

    ctx = context(store, now=LATER)
    ctx.contact = Contact("job:school.alert:x")
    return ctx


def test_a_pending_alert_goes_to_the_parent_in_the_parents_language_once():
    store = school_store()
    apply(store, MARK.run(context(store), {"kind": "absent", "codes": "12 14"}))
    sends = {}
    for alert in store.find_records("school.alert", status="pending"):
        result = ACTION.run(job_context(store), {"alert": alert["id"]})
        assert result.result == "ok"
        [send] = [e for e in result.effects if isinstance(e, Send)]
        sends[send.to] = send
    assert sends[PARENT_EN].key == "school.parent_absent" and sends[PARENT_EN].lang == "en"
    assert sends[PARENT_ES].lang == "es" and "Luis" in sends[PARENT_ES].text and "ausente" in sends[PARENT_ES].text
    assert all(a["status"] == "sent" and a["sent_at"] == LATER for a in store.find_records("school.alert"))
    for alert in store.find_records("school.alert"):  # a job that fires twice sends nothing more
        assert ACTION.run(job_context(store), {"alert": alert["id"]}).result == "skipped"


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
