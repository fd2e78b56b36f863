from bot.engine.model import Schedule
from bot.services import peer
from test_peer_kit import PEER1, PERSON, Line

KIND = "That sounds really hard. You are not alone in this."


def test_texts_older_than_the_retention_are_erased_and_the_rest_kept():
    line = Line({"PEER_RETENTION_DAYS": "30", "PEER_POSTS_PER_DAY": "9"})
    line.volunteers(PEER1)
    line.post("an old worry about money")
    line.answer(PEER1, line.posts()[0]["code"], KIND)
    line.later(days=20)
    line.run("peer_leave", PERSON)
    line.run("peer_begin", PERSON)
    line.post("a newer worry about my son")
    line.later(days=11)  # the first post is 31 days old, the second 11
    result = line.run("peer_retention", "job:peer.retention")
    assert result.data["erased"] == 2  # the old post and its reply
    old, new = sorted(line.posts(), key=lambda p: p["created_at"])
    assert old["text"] == "" and old["erased"] is True and old["pseudonym"] and old["code"]
    assert new["text"] == "a newer worry about my son" and new["status"] == "closed"  # open hours passed
    assert [r["text"] for r in line.store.find_records(peer.REPLY)] == [""]
    assert [e.event for e in result.effects if isinstance(e, Schedule)] == ["peer_retention"]
    line.later(days=20)
    done = line.run("peer_retention", "job:peer.retention")
    assert done.data["erased"] == 1 and done.effects == ()  # nothing left: no next run


def test_next_run_is_the_next_three_oclock():
    line = Line()
    at = peer.next_retention_run(line.now)
    assert at.hour == 3 and at > line.now and (at - line.now).days == 0
