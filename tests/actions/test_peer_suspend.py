from test_peer_kit import COORD, PEER1, PEER2, PERSON, Line, keys, sends

KIND = "That sounds really hard. You are not alone in this."


def test_a_suspended_volunteer_gets_nothing_more_until_reinstated():
    line = Line({"PEER_POSTS_PER_DAY": "9"})
    line.volunteers(PEER1, PEER2)
    line.add(COORD, roles=["coordinator"])
    line.post("a hard week at work")
    code = line.posts()[0]["code"]
    alias = line.store.get_contact(PEER1)["peer_pseudonym"]
    result = line.run("peer_suspend", COORD, who=f"Volunteer {alias}", suspend=True)
    assert result.result == "ok" and line.store.get_contact(PEER1)["suspended"] is True
    assert keys(result, COORD) == ["peer.suspended"] and keys(result, PEER1) == ["peer.suspended_notice"]
    assert PEER1 not in sends(result, COORD)[0].text
    assert line.answer(PEER1, code, KIND).result == "blocked"
    line.run("peer_leave", PERSON)
    line.run("peer_begin", PERSON)
    assert [s.to for s in sends(line.post("another thing"))] == [PEER2]
    back = line.run("peer_suspend", COORD, who=alias, suspend=False)
    assert keys(back) == ["peer.reinstated"] and line.store.get_contact(PEER1)["suspended"] is False


def test_unknown_and_usage():
    line = Line()
    line.add(COORD, roles=["coordinator"])
    assert line.run("peer_suspend", COORD, who="9999", suspend=True).result == "unknown"
    assert line.run("peer_suspend", COORD, who="", suspend=True).result == "usage"
