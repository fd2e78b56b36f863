"""School alerts on the durable stores: grace-window jobs survive a restart, an
ARRIVED removes its job for good, and a relayed reply's outbox row carries the
translation request."""
import re
from datetime import timedelta

import pytest

from bot.config import Config
from bot.pipeline import Inbound
from stores import DURABLE
from support import ROOT
from test_runtime import reopen
from test_school_support import MORNING, PARENT_EN, PARENT_ES, TEACHER, school_store


def school_flows(tmp_path):
    """The school flows and the flows they jump to (other services' flows may
    be mid-edit in the same checkout: these tests only need their own)."""
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    todo, done = ["main", "language", "profile", "school", "school_parent", "school_reply"], set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        text = (ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8")
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        todo += re.findall(r"^\s+flow:\s*([a-z_]+)\s*$", text, flags=re.M)
    return folder


def line(store, tmp_path, **extra):
    from bot import runtime as rt_mod

    cfg = Config(db_path=str(tmp_path / "vecina.db"), flows_dir=str(school_flows(tmp_path)),
                 locales_dir=str(ROOT / "locales"), extra=extra)
    rt = rt_mod.build(cfg, store=store, start_jobs=False)
    return rt


def at(rt, when):
    rt.pipeline.clock = lambda: when
    return rt


@pytest.mark.parametrize("factory", DURABLE)
def test_grace_window_jobs_fire_after_a_restart(factory, tmp_path):
    store = school_store(factory(tmp_path))
    first = at(line(store, tmp_path), MORNING)
    sent = first.pipeline.inbound(Inbound("sms", "t1", TEACHER, "ABSENT 12 14")).sent
    assert [m["key"] for m in sent] == ["school.absent_set"]
    first.pipeline.inbound(Inbound("sms", "t2", TEACHER, "ARRIVED 14"))
    assert first.pipeline.tick() == []  # nothing due yet
    del first  # the process goes away; the job stays in the store

    second = at(line(reopen(store), tmp_path), MORNING + timedelta(minutes=16))
    sent = second.pipeline.tick()
    assert [(m["to"], m["key"], m["lang"]) for m in sent] == [(PARENT_EN, "school.reply_absent", "en")]
    assert second.pipeline.tick() == []
    statuses = {a["code"]: a["status"] for a in second.store.find_records("school.alert")}
    assert statuses == {"12": "sent", "14": "cancelled"}
    assert [m["to"] for m in second.store.list_outbound(to=PARENT_ES)] == []  # the undo held across the restart


@pytest.mark.parametrize("factory", DURABLE)
def test_after_a_long_outage_the_late_alert_reaches_the_teacher_not_the_parent(factory, tmp_path):
    store = school_store(factory(tmp_path))
    first = at(line(store, tmp_path), MORNING)
    first.pipeline.inbound(Inbound("sms", "t1", TEACHER, "LATE 12"))
    del first  # down from 8:20 until the afternoon

    second = at(line(reopen(store), tmp_path), MORNING + timedelta(hours=5))
    sent = second.pipeline.tick()
    assert [(m["to"], m["key"]) for m in sent] == [(TEACHER, "school.alert_expired")]
    assert "8:35 AM" in sent[0]["text"]
    assert second.store.list_outbound(to=PARENT_EN) == []
    assert [a["status"] for a in second.store.find_records("school.alert")] == ["expired"]


@pytest.mark.parametrize("factory", DURABLE)
def test_per_school_grace_setting_and_duplicate_on_a_durable_store(factory, tmp_path):
    store = school_store(factory(tmp_path))
    rt = at(line(store, tmp_path, SCHOOL_GRACE_MINUTES="5"), MORNING)
    assert "(in 5 min)" in rt.pipeline.inbound(Inbound("sms", "t1", TEACHER, "LATE 12")).sent[0]["text"]
    again = rt.pipeline.inbound(Inbound("sms", "t2", TEACHER, "LATE 12")).sent
    assert [m["key"] for m in again] == ["school.already_sent"]
    at(rt, MORNING + timedelta(minutes=5))
    assert [m["to"] for m in rt.pipeline.tick()] == [PARENT_EN]


@pytest.mark.parametrize("factory", DURABLE)
def test_a_reply_reaches_the_teacher_with_the_translate_extra(factory, tmp_path):
    store = school_store(factory(tmp_path))
    rt = at(line(store, tmp_path), MORNING)
    rt.pipeline.inbound(Inbound("sms", "t1", TEACHER, "ABSENT 14"))
    at(rt, MORNING + timedelta(minutes=15)).pipeline.tick()
    at(rt, MORNING + timedelta(minutes=20))
    sent = rt.pipeline.inbound(Inbound("sms", "p1", PARENT_ES, "RESPONDER Luis tiene fiebre")).sent
    to_teacher = [m for m in sent if m["to"] == TEACHER]
    assert [m["key"] for m in sent if m["to"] == PARENT_ES] == ["school.relayed"]
    [row] = [m for m in rt.store.list_outbound(to=TEACHER) if m["key"] == "school.relay_to_teacher"]
    assert to_teacher and row["translate"] == {"source": "es", "target": "en", "body": "Luis tiene fiebre",
                                               "at": len("From Luis's parent (14): ")}
    assert PARENT_ES not in row["text"] and row["text"] == "From Luis's parent (14): Luis tiene fiebre"
    # later, an unrelated text is not relayed
    later = rt.pipeline.inbound(Inbound("sms", "p2", PARENT_ES, "hola")).sent
    assert all(m["to"] == PARENT_ES for m in later)
