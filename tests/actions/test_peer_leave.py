from bot.engine.model import CancelTimer
from test_peer_kit import PEER1, PERSON, Line


def test_leaving_closes_open_posts_and_stops_posts_to_a_volunteer():
    line = Line()
    line.volunteers(PEER1)
    line.post("a hard week at work")
    result = line.run("peer_leave", PERSON)
    assert result.result == "ok" and line.store.get_contact(PERSON)["peer_off"] is True
    assert line.posts()[0]["status"] == "closed"
    assert any(isinstance(e, CancelTimer) for e in result.effects)
    assert not line.store.get_contact(PERSON).get("opted_out")  # the line's other texts carry on
    line.run("peer_leave", PEER1)
    line.run("peer_begin", PERSON)
    line.later(days=1)
    assert line.post("still a hard week").result == "held"
