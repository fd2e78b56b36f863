from datetime import timedelta

from bot.actions import load
from bot.engine.model import Send
from test_school_support import MORNING, PARENT_EN, PARENT_ES, TEACHER, apply, context, school_store

ACTION = load()["school_relay"]
MARK = load()["school_mark"]
DUE = load()["school_alert_due"]


def alerts(store):
    apply(store, MARK.run(context(store), {"kind": "absent", "codes": "12 14"}))
    for alert in store.find_records("school.alert", status="pending"):
        DUE.run(context(store, now=MORNING + timedelta(minutes=15)), {"alert": alert["id"]})
    return {a["code"]: a["id"] for a in store.find_records("school.alert")}


def test_same_language_goes_as_written_without_numbers():
    store = school_store()
    ids = alerts(store)
    result = ACTION.run(context(store, who=PARENT_EN), {"alert": ids["12"], "text": " She is  sick "})
    [send] = [e for e in result.effects if isinstance(e, Send)]
    assert send.to == TEACHER and send.text == "From Ana's parent (12): She is sick" and send.lang == "en"
    assert not send.extra and PARENT_EN not in send.text


def test_different_languages_carry_the_translate_extra():
    store = school_store()
    ids = alerts(store)
    result = ACTION.run(context(store, who=PARENT_ES), {"alert": ids["14"], "text": "Luis tiene fiebre"})
    [send] = [e for e in result.effects if isinstance(e, Send)]
    assert send.lang == "en" and send.text.endswith("Luis tiene fiebre")
    assert send.extra == {"translate": {"source": "es", "target": "en", "body": "Luis tiene fiebre",
                                        "at": len("From Luis's parent (14): ")}}
    assert PARENT_ES not in send.text


def test_someone_elses_alert_a_missing_teacher_or_no_text():
    store = school_store()
    ids = alerts(store)
    assert ACTION.run(context(store, who=PARENT_ES), {"alert": ids["12"], "text": "hi"}).result == "closed"
    assert ACTION.run(context(store, who=PARENT_EN), {"alert": "nope", "text": "hi"}).result == "closed"
    assert ACTION.run(context(store, who=PARENT_EN), {"alert": ids["12"], "text": "  "}).result == "empty"
    store.remove_contact(TEACHER)
    assert ACTION.run(context(store, who=PARENT_EN), {"alert": ids["12"], "text": "hi"}).result == "closed"


def test_replies_per_alert_are_limited():
    store = school_store()
    ids = alerts(store)
    results = [ACTION.run(context(store, who=PARENT_EN, settings={"SCHOOL_MAX_REPLIES": "2"}),
                          {"alert": ids["12"], "text": f"note {i}"}).result for i in range(3)]
    assert results == ["ok", "ok", "limit"]
    assert ACTION.run(context(store, who=PARENT_ES), {"alert": ids["14"], "text": "hola"}).result == "ok"
