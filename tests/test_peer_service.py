"""Peer support end to end through the pipeline, on every store: the person
and a volunteer never see each other's number, jobs widen the circle and
erase old texts, and neither the audit log nor any log line holds a number."""
import logging
import re
from datetime import timedelta

import pytest

from bot.conversation import Conductor
from bot.engine.flowset import build
from bot.engine.model import CounterIds
from bot.engine.runner import Engine, Settings
from bot.pipeline import Inbound, Pipeline
from bot.services import peer
from bot.services.startup import schedule_recurring
from stores import available
from support import NOW, ROOT, texts

PERSON, PEER1, PEER2, COORD = "+14155552671", "+14155550101", "+14155550102", "+14155550199"
NUMBERS = (PERSON, PEER1, PEER2, COORD)
KIND = "That sounds really hard. You are not alone in this."


def peer_engine():
    """The front door and the peer flows (other services' flows are not needed here)."""
    flows = {k: v for k, v in texts(ROOT / "flows").items()
             if k.split("/")[-1].split(".")[0] in ("main", "language", "profile", "peer", "peer_duty", "peer_coord", "crisis")}
    return Engine(build(flows, texts(ROOT / "locales")), Settings())


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def make(factory, tmp_path, **settings):
    store = factory(tmp_path)
    clock = Clock()
    conductor = Conductor(peer_engine(), store, CounterIds(), {"CRISIS_LINE": "988", **settings})
    with store.transaction() as tx:
        tx.upsert_contact(PERSON, lang="en")
        for n in (PEER1, PEER2):
            tx.upsert_contact(n, lang="en", roles=["peer"], trained=True)
        tx.upsert_contact(COORD, lang="en", roles=["coordinator"])
    return store, clock, Pipeline(store, conductor, clock)


class Texter:
    def __init__(self, pipe):
        self.pipe, self.n = pipe, 0

    def __call__(self, who, text):
        self.n += 1
        return self.pipe.inbound(Inbound("sms", f"SM{self.n}", who, text)).sent


def code_in(sent):
    return re.search(r"ANSWER (\d+)", next(m["text"] for m in sent if m["to"] == PEER1)).group(1)


@pytest.mark.parametrize("factory", available())
def test_the_whole_path_keeps_everyone_anonymous(factory, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store, clock, pipe = make(factory, tmp_path, PEER_FANOUT="1")
    text = Texter(pipe)
    text(PERSON, "TALK")
    sent = text(PERSON, "I am drowning in debt, call me on 415-555-2671 or write to me@x.org")
    code = code_in(sent)
    to_peer = next(m for m in sent if m["to"] == PEER1)
    assert "2671" not in to_peer["text"] and "me@x.org" not in to_peer["text"]
    assert not [m for m in sent if m["to"] == PEER2]  # fan-out of one
    clock.now += timedelta(minutes=10)
    widened = pipe.tick()
    assert [m["to"] for m in widened] == [PEER2]  # nobody replied: one more volunteer
    clock.now += timedelta(minutes=1)
    relayed = text(PEER1, f"ANSWER {code} {KIND}")
    assert [m["key"] for m in relayed if m["to"] == PERSON] == ["peer.reply_to_you"]
    text(PERSON, "1")
    back = text(PERSON, "thank you, I will call the debt advice line tomorrow")
    assert [m["key"] for m in back if m["to"] == PEER1] == ["peer.to_peer_writeback"]
    text(PEER1, "MY TALLY")
    text(PERSON, "STOP TALK")
    assert store.get_contact(PERSON)["peer_off"] is True and not store.get_contact(PERSON)["opted_out"]

    everything = store.list_outbound()
    for msg in everything:
        others = [n for n in NUMBERS if n != msg["to"]]
        assert not any(n in msg["text"] or n[2:] in msg["text"] for n in others), msg
    reply = store.find_records(peer.REPLY, by="peer")[0]
    assert reply["rating"] == "helpful"
    for entry in store.audit_entries():
        assert not re.search(r"\d{7,}", repr(entry).replace("-", "")), entry
    for record in caplog.records:
        assert not re.search(r"\d{7,}", record.getMessage()), record.getMessage()


@pytest.mark.parametrize("factory", available())
def test_retention_erases_old_texts_on_every_store(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path, PEER_RETENTION_DAYS="2")
    text = Texter(pipe)
    text(PERSON, "TALK")
    sent = text(PERSON, "my father is ill and I cannot visit him")
    text(PEER1, f"ANSWER {code_in(sent)} {KIND}")
    clock.now += timedelta(days=3)
    pipe.tick()  # the 03:00 runs: the first finds the texts too young, the one three days on erases them
    clock.now += timedelta(days=1)
    pipe.tick()
    posts = store.find_records(peer.POST)
    assert posts and all(p["text"] == "" and p["erased"] for p in posts)
    assert all(r["text"] == "" for r in store.find_records(peer.REPLY))
    assert posts[0]["status"] == "closed" and posts[0]["pseudonym"]


def mark_all_sent(store, now):
    for m in store.list_outbound(status="queued"):
        store.mark_outbound(m["id"], "delivered", now, provider_id=f"P{m['id']}")


@pytest.mark.parametrize("factory", available())
def test_retention_erases_the_inbound_log_and_outbox_copies_too(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path, PEER_RETENTION_DAYS="2")
    text = Texter(pipe)
    secrets = ["my father is ill and I cannot visit him", KIND, "call me on 415 555 0142",
               "thank you, I will try to call the hospital", "ANSWER"]
    text(PERSON, "TALK")
    sent = text(PERSON, secrets[0])
    text(PEER1, f"ANSWER {code_in(sent)} {KIND}")
    assert [m["key"] for m in text(PERSON, secrets[2])] == ["peer.writeback_contact"]  # refused, logged all the same
    text(PERSON, secrets[3])
    text(PEER1, f"ANSWER {code_in(sent)} call me, my number is 415 555 0101")  # refused too
    mark_all_sent(store, clock.now)
    relayed = [m for m in store.list_outbound() if m["key"] in ("peer.to_peer_post", "peer.reply_to_you",
                                                                 "peer.to_peer_writeback")]
    assert len(relayed) == 4  # the post to both volunteers, the reply, the write-back
    clock.now += timedelta(days=3)
    pipe.tick()
    clock.now += timedelta(days=1)
    pipe.tick()
    mark_all_sent(store, clock.now)
    for msg in store.list_outbound():
        if (msg.get("key") or "").startswith("peer."):
            assert msg["text"] == "[erased]", msg
            assert msg["status"] == "delivered" and msg["provider_id"] == f"P{msg['id']}" and msg["created_at"]
        assert not any(s in msg["text"] for s in secrets[:4]), msg
    for who in (PERSON, PEER1):
        for row in store.inbound_log(who):  # SQLite and memory keep handled texts; Redis drops them
            assert row["text"] in ("TALK", "[erased]"), row
            assert row["received_at"] and row["provider_id"]
    if factory.__name__ != "redis_store":
        assert [r["text"] for r in store.inbound_log(PERSON)] == ["TALK"] + ["[erased]"] * 3
        assert [r["text"] for r in store.inbound_log(PEER1)] == ["[erased]"] * 2
    assert store.find_records("peer.inbound") == []  # the marks go once used
    assert not [m for m in store.list_outbound(status="queued") if m["key"] == "peer.to_peer_post"]


@pytest.mark.parametrize("factory", available())
def test_retention_leaves_young_copies_and_other_services_alone(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path, PEER_RETENTION_DAYS="30")
    text = Texter(pipe)
    text(PERSON, "TALK")
    text(PERSON, "my father is ill and I cannot visit him")
    mark_all_sent(store, clock.now)
    clock.now += timedelta(days=2)
    pipe.tick()
    assert [r["text"] for r in store.inbound_log(PERSON)][-1:] in (["my father is ill and I cannot visit him"], [])
    post = next(m for m in store.list_outbound() if m["key"] == "peer.to_peer_post")
    assert "my father is ill" in post["text"]
    assert all(m["text"] != "[erased]" for m in store.list_outbound())
    assert len(store.find_records("peer.inbound")) == 1


@pytest.mark.parametrize("factory", available())
def test_crisis_through_the_pipeline_reaches_no_peer(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path)
    text = Texter(pipe)
    text(PERSON, "TALK")
    sent = text(PERSON, "tbh i just wanna die")
    assert sorted(m["to"] for m in sent) == sorted([PERSON, COORD])
    clock.now += timedelta(hours=1)
    pipe.tick()
    assert not [m for m in store.list_outbound() if m["to"] in (PEER1, PEER2)]
    assert store.find_records(peer.POST)[0]["status"] == "crisis"


def test_stop_talk_is_not_a_global_opt_out_keyword():
    eng = peer_engine()
    assert eng.keywords.match("stop talk") is None and eng.keywords.match("parar hablar") is None
    assert eng.keywords.match("stop") == "stop"


@pytest.mark.parametrize("factory", available())
def test_crisis_words_written_outside_peer_support_are_erased_with_its_texts(factory, tmp_path):
    store, clock, pipe = make(factory, tmp_path, PEER_RETENTION_DAYS="2")
    schedule_recurring(store, clock.now)  # as every start-up does: no post will plan the sweep here
    text = Texter(pipe)
    words = "my boss fired me, I want to kill myself"
    text(PERSON, "MENU")
    sent = text(PERSON, words)
    assert sorted(m["key"] for m in sent) == ["crisis.alert", "peer.crisis"]
    mark_all_sent(store, clock.now)
    clock.now += timedelta(days=3)
    pipe.tick()
    clock.now += timedelta(days=1)
    pipe.tick()
    assert all(words not in m["text"] for m in store.list_outbound())
    assert all(words not in r["text"] for r in store.inbound_log(PERSON))
