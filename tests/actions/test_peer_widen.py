from datetime import timedelta

from bot.engine.model import Schedule
from test_peer_kit import PEER1, PEER2, PEER3, PERSON, Line, keys, sends

KIND = "That sounds really hard. You are not alone in this."


def widen(line):
    return line.run("peer_widen", "job:peer.widen", post=line.posts()[0]["id"])


def test_more_volunteers_when_nobody_replied_then_the_holding_text_once():
    line = Line({"PEER_FANOUT": "1", "PEER_WAIT_MINUTES": "10"})
    line.volunteers(PEER1, PEER2)
    line.post("cannot sleep, rent is due")
    assert line.posts()[0]["asked"] == [PEER1]
    line.later(minutes=10)
    first = widen(line)
    assert first.result == "ok" and [s.to for s in sends(first)] == [PEER2]
    again = [e for e in first.effects if isinstance(e, Schedule)]
    assert [j.at for j in again] == [line.now + timedelta(minutes=10)]  # and again after the wait
    line.later(minutes=10)
    held = widen(line)
    assert keys(held, PERSON) == ["peer.holding"] and "988" in sends(held)[0].text
    line.later(minutes=10)
    assert sends(widen(line)) == []  # said once


def test_it_stops_once_someone_replied():
    line = Line({"PEER_FANOUT": "1"})
    line.volunteers(PEER1, PEER2, PEER3)
    line.post("cannot sleep, rent is due")
    line.answer(PEER1, line.posts()[0]["code"], KIND)
    result = widen(line)
    assert result.result == "done" and result.effects == ()


def test_it_stops_for_closed_posts_and_unknown_ids():
    line = Line()
    line.volunteers(PEER1)
    line.post("cannot sleep, rent is due")
    line.run("peer_leave", PERSON)
    assert widen(line).result == "done"
    assert line.run("peer_widen", "job:x", post="nope").result == "done"
