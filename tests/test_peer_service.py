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
from stores import available
from support import NOW, ROOT, texts

PERSON, PEER1, PEER2, COORD = "+14155552671", "+14155550101", "+14155550102", "+14155550199"
NUMBERS = (PERSON, PEER1, PEER2, COORD)
KIND = "That sounds really hard. You are not alone in this."


def peer_engine():
    """The front door and the peer flows (other services' flows are not needed here)."""
    flows = {k: v for k, v in texts(ROOT / "flows").items()
             if k.split("/")[-1].split(".")[0] in ("main", "language", "profile", "peer", "peer_duty", "peer_coord")}
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
