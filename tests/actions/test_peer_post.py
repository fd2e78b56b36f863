import pytest

from bot.engine.model import Schedule
from bot.services import peer
from test_peer_kit import COORD, COORD_ES, PEER1, PEER2, PEER3, PEER4, PERSON, Line, keys, sends


def line_with_peers(**settings):
    line = Line(settings)
    line.volunteers(PEER1, PEER2)
    line.add(PEER3, roles=["peer"], trained=False)  # untrained: never gets posts
    line.volunteers(PEER4, lang="es")
    line.add(COORD, roles=["coordinator"])
    line.add(COORD_ES, roles=["coordinator"], lang="es")
    return line


@pytest.mark.parametrize("text", [
    "I want to kill myself", "honestly kms", "i want to kil myslef", "KILLMYSELF tonight", "thinking of ending it all",
    "I just want to end it all.", "no quiero vivir", "No quiero vivír más", "voy a matarme", "quiero quitarme la vida",
    "quitarme la bida", "pienso en suicidarme", "i dont want to live anymore", "k1ll mys3lf",
])
def test_crisis_words_go_to_the_crisis_line_and_coordinators_never_to_a_peer(text):
    line = line_with_peers(CRISIS_LINE="988")
    result = line.post(text)
    assert result.result == "crisis"
    assert keys(result, PERSON) == ["peer.crisis"] and "988" in sends(result, PERSON)[0].text
    assert sorted(s.to for s in sends(result) if s.key == "peer.alert_crisis") == [COORD, COORD_ES]
    assert not [s for s in sends(result) if s.to in (PEER1, PEER2, PEER3, PEER4)]
    assert all(PERSON not in s.text for s in sends(result))
    post = line.posts()[0]
    assert post["status"] == "crisis" and post["asked"] == []
    assert not [e for e in result.effects if isinstance(e, Schedule) and e.event == "peer_widen"]


def test_an_ordinary_post_goes_scrubbed_to_trained_peers_of_its_language():
    line = line_with_peers()
    result = line.post("My name is Ana. Text me at (415) 555-2671 or ana@x.com, I feel so alone")
    assert result.result == "posted" and result.data["asked"] == 2
    to_peers = sends(result)
    assert sorted(s.to for s in to_peers) == [PEER1, PEER2]
    for s in to_peers:
        assert "555" not in s.text and "ana@x.com" not in s.text and "Ana" not in s.text
        assert "[removed]" in s.text and "I feel so alone" in s.text
    post = line.posts()[0]
    assert post["status"] == "open" and post["author"] == PERSON and sorted(post["asked"]) == [PEER1, PEER2]
    jobs = [e for e in result.effects if isinstance(e, Schedule)]
    assert {j.event for j in jobs} == {"peer_widen", "peer_retention"}


def test_fanout_off_duty_suspended_and_quiet_peers():
    line = Line({"PEER_FANOUT": "1"})
    line.volunteers(PEER1, on_duty=False)
    line.volunteers(PEER2, suspended=True)
    line.volunteers(PEER3, quiet_start="12:00", quiet_end="14:00")  # NOW is 13:00
    line.volunteers(PEER4)
    result = line.post("long week, nobody to talk to")
    assert [s.to for s in sends(result)] == [PEER4]


def test_nobody_free_is_held_with_the_crisis_line():
    line = Line()
    result = line.post("long week, nobody to talk to")
    assert result.result == "held" and result.data["crisis_line"] == "988" and sends(result) == []
    assert line.posts()[0]["held"] is True


def test_the_daily_limit():
    line = line_with_peers(PEER_POSTS_PER_DAY="2")
    assert line.post("first thing on my mind").result == "posted"
    assert line.post("second thing on my mind").result == "posted"
    limited = line.post("third thing on my mind")
    assert limited.result == "limit" and keys(limited) == ["peer.limit"]
    assert len(line.posts()) == 2
    line.later(days=1)
    assert line.post("a new day").result == "posted"


def test_crisis_is_answered_even_past_the_limit():
    line = line_with_peers(PEER_POSTS_PER_DAY="1")
    line.post("first thing on my mind")
    assert line.post("i want to die").result == "crisis"


def test_post_codes_differ_between_live_posts():
    line = line_with_peers(PEER_POSTS_PER_DAY="50")
    for i in range(30):
        line.post(f"thing number {i} on my mind")
    codes = [p["code"] for p in line.posts(status=peer.OPEN)]
    assert len(codes) == len(set(codes)) == 30


def test_stop_talk_instead_of_a_post_leaves_and_posts_nothing():
    line = line_with_peers()
    assert line.post("stop talk").result == "leave"
    assert line.post("Parar hablar").result == "leave"
    assert line.posts() == []
