from test_peer_kit import PEER1, PERSON, Line, keys, sends


def test_off_duty_gets_no_posts_and_on_duty_again_does():
    line = Line()
    line.volunteers(PEER1)
    off = line.run("peer_duty", PEER1, on=False)
    assert off.data == {"on": False} and keys(off) == ["peer.duty_off"]
    assert sends(line.post("a hard week at work")) == []
    on = line.run("peer_duty", PEER1, on=True)
    assert keys(on) == ["peer.duty_on"] and line.store.get_contact(PEER1)["on_duty"] is True
    line.later(days=1)
    assert [s.to for s in sends(line.post("another hard week", who=PERSON))] == [PEER1]
