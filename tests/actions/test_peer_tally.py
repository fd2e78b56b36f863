from test_peer_kit import PEER1, PERSON, Line, sends

KIND = "That sounds really hard. You are not alone in this."


def test_a_volunteer_sees_their_own_tally():
    line = Line({"PEER_POSTS_PER_DAY": "5"})
    line.volunteers(PEER1)
    for rating in ("1", "2", None):
        line.run("peer_leave", PERSON)  # close the last post so the next is the one rated
        line.run("peer_begin", PERSON)
        line.post("a hard week at work again")
        code = line.posts(status="open")[0]["code"]
        line.answer(PEER1, code, KIND)
        if rating:
            line.run("peer_listen", PERSON, text=rating)
    result = line.run("peer_tally", PEER1)
    assert result.data == {"total": 3, "helpful": 1, "not_helpful": 1}
    assert "3" in sends(result)[0].text and sends(result)[0].to == PEER1


def test_nothing_yet():
    line = Line()
    line.volunteers(PEER1)
    assert line.run("peer_tally", PEER1).data == {"total": 0, "helpful": 0, "not_helpful": 0}
