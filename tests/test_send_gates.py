"""The texts only some members may get are checked again as they are sent.

A step picks who to ask from the records it read; the text leaves later,
from the outbox. A coordinator who un-vets a helper, or suspends a volunteer,
in between must win, as a STOP does: the ask (a child's name, age and
pick-up place) or the worry never reaches them, and the outbox row says why.
Nor does an ask held up by a provider outage go once the request no longer
needs a helper.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.config import Config
from bot.outbox import OutboxWorker
from bot.pipeline import Inbound
from bot.runtime import build
from bot.services.childcare import CLAIMED, REQUEST
from bot.services.send_gates import SEND_GATES
from stores import available
from support import PARENT, ROOT, CaptureSender, OutageSender
from test_peer_service import PEER1, PEER2, PERSON, Texter, make as peer_line

ROSA, WEN = "+14155551001", "+14155551002"


def asked_for_childcare(factory, tmp_path, provider, clock=None):
    """A line whose parent has just asked for childcare: the ring's asks to
    Rosa and Wen (both vetted, the parent's area) wait in the outbox."""
    cfg = Config(db_path=str(tmp_path / "vecina.db"), flows_dir=str(ROOT / "flows"), locales_dir=str(ROOT / "locales"),
                 extra={"CHILDCARE_RING_SIZE": "2"})
    store = factory(tmp_path)
    with store.transaction() as tx:
        tx.upsert_contact(PARENT, roles=["parent"], lang="en", name="Maria", area="Eastside")
        for number, name in ((ROSA, "Rosa"), (WEN, "Wen")):
            tx.upsert_contact(number, roles=["helper"], lang="en", name=name, area="Eastside", vetted=True)
    rt = build(cfg, store=store, senders={"sms": provider}, start_jobs=False)
    if clock is not None:
        rt.pipeline.clock = rt.outbox.clock = clock
    for i, text in enumerate(["NANNY", "Ana", "7", "Lincoln School", "in 1 hour", "1"]):
        rt.pipeline.inbound(Inbound("sms", f"p{i}", PARENT, text))
    return rt, store


@pytest.mark.parametrize("factory", available())
def test_a_helper_unvetted_after_the_ring_chose_them_never_gets_the_ask(factory, tmp_path):
    provider = CaptureSender()
    rt, store = asked_for_childcare(factory, tmp_path, provider)
    assert sorted(m["to"] for m in store.list_outbound() if m["key"] == "childcare.ask") == [ROSA, WEN]

    store.upsert_contact(ROSA, vetted=False)  # the coordinator's roster edit, before the worker sends
    while rt.outbox.run_once():
        pass

    asks = {m["to"]: m for m in store.list_outbound() if m["key"] == "childcare.ask"}
    assert (asks[ROSA]["status"], asks[ROSA]["blocked"]) == ("blocked", "not_vetted")
    assert asks[WEN]["status"] == "sent"
    assert [m["to"] for m in provider.sent if m["key"] == "childcare.ask"] == [WEN]
    assert not [m for m in provider.sent if m["to"] == ROSA]
    assert {m["to"] for m in provider.sent} == {PARENT, WEN}  # every other text still went

    (req,) = store.find_records(REQUEST, parent=PARENT)
    rt.pipeline.inbound(Inbound("sms", "off", PARENT, f"CALL OFF {req['code']}"))
    while rt.outbox.run_once():
        pass
    news = {m["to"]: m for m in store.list_outbound() if m["key"] == "childcare.called_off_helper"}
    assert news[WEN]["status"] == "sent"  # her ask went out: she hears it is off
    assert (news[ROSA]["status"], news[ROSA]["blocked"]) == ("blocked", "ask_not_sent")
    assert not [m for m in provider.sent if m["to"] == ROSA]  # nor the child's name in it


@pytest.mark.parametrize("factory", available())
def test_asks_held_up_by_an_outage_do_not_go_once_the_request_is_covered(factory, tmp_path):
    start = datetime.now(timezone.utc)
    provider = OutageSender(lambda: rt.outbox.clock(), start + timedelta(minutes=30))
    rt, store = asked_for_childcare(factory, tmp_path, provider, clock=lambda: start)
    rt.outbox.run_once()  # the provider is down: every text waits for its retry
    assert {m["status"] for m in store.list_outbound()} == {"queued"}
    (req,) = store.find_records(REQUEST, parent=PARENT)
    rt.pipeline.inbound(Inbound("sms", "w1", WEN, f"YES {req['code']}"))  # Wen heard of it another way
    assert store.get_record(REQUEST, req["id"])["helper"] == WEN

    later = start + timedelta(hours=1)  # the provider is back
    rt.outbox.clock = lambda: later
    while rt.outbox.run_once():
        pass

    asks = {m["to"]: m for m in store.list_outbound() if m["key"] == "childcare.ask"}
    assert {who: m["status"] for who, m in asks.items()} == {ROSA: "blocked", WEN: "blocked"}
    assert asks[ROSA]["blocked"] == "request_closed" and asks[WEN]["blocked"] == "request_closed"
    assert not [m for m in provider.sent if m["key"] == "childcare.ask"]
    assert [m["key"] for m in provider.sent if m["to"] == WEN] == ["childcare.assigned"]
    assert "childcare.parent_covered" in [m["key"] for m in provider.sent if m["to"] == PARENT]
    covered = [m for m in store.list_outbound(to=ROSA) if m["key"] == "childcare.covered"]
    assert [m["status"] for m in covered] == ["blocked"]  # "covered, no need to go" for an ask she never got: no
    assert not [m for m in provider.sent if m["to"] == ROSA]


@pytest.mark.parametrize("factory", available())
def test_an_ask_is_held_back_by_a_decision_its_request_record_does_not_show_yet(factory, tmp_path):
    """A YES decided while a ring job rewrote the request (Redis commits
    without WATCH): only the decision record says it is covered, and the send
    path reads the request as every childcare step does (childcare.load)."""
    provider = CaptureSender()
    rt, store = asked_for_childcare(factory, tmp_path, provider)
    (req,) = store.find_records(REQUEST, parent=PARENT)
    store.put_record(CLAIMED, req["id"], {"id": req["id"], "by": WEN, "at": req["created_at"]})
    assert store.get_record(REQUEST, req["id"])["helper"] is None
    while rt.outbox.run_once():
        pass
    asks = {m["to"]: m["blocked"] for m in store.list_outbound() if m["key"] == "childcare.ask"}
    assert asks == {ROSA: "request_closed", WEN: "request_closed"}
    assert not [m for m in provider.sent if m["key"] == "childcare.ask"]


@pytest.mark.parametrize("change", [{"suspended": True}, {"trained": False}], ids=["suspended", "untrained"])
@pytest.mark.parametrize("factory", available())
def test_a_volunteer_suspended_after_a_post_was_routed_never_reads_it(factory, tmp_path, change):
    store, clock, pipe = peer_line(factory, tmp_path)
    text = Texter(pipe)
    text(PERSON, "TALK")
    sent = text(PERSON, "I lost my job today and I do not know how to tell my kids")
    assert sorted(m["to"] for m in sent if m["key"] == "peer.to_peer_post") == [PEER1, PEER2]

    store.upsert_contact(PEER1, **change)  # a coordinator's SUSPEND (or roster edit) lands before the send
    provider = CaptureSender()
    worker = OutboxWorker(store, {"sms": provider}, clock, gates=SEND_GATES)
    while worker.run_once():
        pass

    posts = {m["to"]: m for m in store.list_outbound() if m["key"] == "peer.to_peer_post"}
    assert (posts[PEER1]["status"], posts[PEER1]["blocked"]) == ("blocked", "peer_inactive")
    assert posts[PEER2]["status"] == "sent"
    assert [m["to"] for m in provider.sent if m["key"] == "peer.to_peer_post"] == [PEER2]
    assert not [m for m in provider.sent if m["to"] == PEER1]
    assert all(m["status"] == "sent" for m in store.list_outbound() if m["to"] == PERSON)  # ungated: untouched
