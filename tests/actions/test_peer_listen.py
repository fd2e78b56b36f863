import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services import peer
from test_peer_kit import COORD, COORD_ES, PEER1, PEER2, PERSON, Line, audits, keys, sends

KIND = "That sounds really hard. You are not alone in this."


def answered():
    line = Line()
    line.volunteers(PEER1, PEER2)
    line.add(COORD, roles=["coordinator"])
    line.add(COORD_ES, roles=["coordinator"], lang="es")
    line.post("my boss shouts at me every day")
    code = line.posts()[0]["code"]
    line.answer(PEER1, code, KIND)
    return line, code


def listen(line, text):
    return line.run("peer_listen", PERSON, text=text)


def ratings(line):
    return [r["rating"] for r in line.store.find_records(peer.REPLY) if r["by"] == "peer"]


def test_ratings_one_two():
    line, code = answered()
    assert listen(line, "1").result == "rated" and ratings(line) == ["helpful"]
    assert listen(line, "2").result == "nothing"  # the only reply is rated already
    line.answer(PEER2, code, KIND)
    assert listen(line, "dos").result == "rated" and sorted(ratings(line)) == ["helpful", "not_helpful"]


def test_a_report_alerts_every_coordinator_by_pseudonym_and_closes_that_thread():
    line, code = answered()
    result = listen(line, "3")
    assert result.result == "reported" and ratings(line) == ["report"]
    alerts = [s for s in sends(result) if s.key == "peer.alert_report"]
    assert sorted(a.to for a in alerts) == [COORD, COORD_ES]
    alias = line.store.get_contact(PEER1)["peer_pseudonym"]
    for a in alerts:
        assert alias in a.text and KIND in a.text and PEER1 not in a.text and PERSON not in a.text
    assert line.answer(PEER1, code, "I am sorry, I did not mean to upset you.").result == "closed"
    assert listen(line, "ok thanks anyway for reading").result == "closed"  # nobody left to write back to


def test_writing_back_is_relayed_under_pseudonyms():
    line, code = answered()
    result = listen(line, "thanks, that helps. I will talk to my brother tonight")
    assert result.result == "answered"
    alias = line.store.get_contact(PEER1)["peer_pseudonym"]
    assert result.data["peer"] == f"Volunteer {alias}"
    relayed = sends(result, PEER1)[0]
    assert relayed.key == "peer.to_peer_writeback" and "talk to my brother tonight" in relayed.text
    assert PERSON not in relayed.text


@pytest.mark.parametrize("text", [
    "thanks, my email is joe@mail.com if you want",
    "call me tonight, it is easier to talk",
    "my number is four one five five five five two six seven one",
    "text me at (415) 555-2671",
    "find me on insta @joe_rivera",
    "nos vemos mañana en el parque?",
    "llámame mejor, porfa",
    "mi número es 55 1234 5678",
    "add me on whatsapp",
])
def test_a_write_back_that_shares_contacts_is_not_relayed_and_the_person_is_told_why(text):
    line, code = answered()
    before = len(line.store.find_records(peer.REPLY))
    result = listen(line, text)
    assert result.result == "contact" and sends(result) == []  # the flow says why (peer.writeback_contact)
    assert result.data["peer"] == f"Volunteer {line.store.get_contact(PEER1)['peer_pseudonym']}"
    assert len(line.store.find_records(peer.REPLY)) == before  # nothing kept to relay later
    assert [a.what for a in audits(result)] == ["peer.writeback_refused"]
    assert PERSON not in repr(audits(result)) and "joe" not in repr(audits(result))
    # the volunteer can still be written to, and an ordinary write-back goes through
    assert listen(line, "sorry. thank you for listening to me").result == "answered"


@settings(max_examples=40, deadline=None)
@given(number=st.from_regex(r"[2-9]\d{2}[2-9]\d{6}", fullmatch=True),
       shape=st.sampled_from(["{a}-{b}-{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "{a}{b}{c}"]),
       before=st.sampled_from(["", "ok ", "thanks! ", "gracias "]), after=st.sampled_from(["", " anytime", " ok?"]))
def test_a_number_in_any_shape_in_a_write_back_never_reaches_the_volunteer(number, shape, before, after):
    line, code = answered()
    typed = shape.format(a=number[:3], b=number[3:6], c=number[6:])
    result = listen(line, f"{before}{typed}{after}")
    assert result.result == "contact" and sends(result, PEER1) == []


def test_crisis_words_in_a_write_back_go_to_the_crisis_line_not_the_peer():
    line, code = answered()
    result = listen(line, "honestly i wanna die")
    assert result.result == "crisis"
    assert sends(result, PEER1) == [] and keys(result, PERSON) == ["peer.crisis"]
    assert {s.to for s in sends(result) if s.key == "peer.alert_crisis"} == {COORD, COORD_ES}
    assert line.posts()[0]["status"] == "crisis"


def test_words_for_new_status_and_leaving_and_no_reply_yet():
    line = Line()
    line.volunteers(PEER1)
    line.post("my boss shouts at me every day")
    assert listen(line, "NEW").result == "new"
    assert listen(line, "nuevo").result == "new"
    assert listen(line, "TALK").result == "status"
    assert listen(line, "Stop Talk").result == "leave"
    assert listen(line, "PARAR HABLAR").result == "leave"
    assert listen(line, "hello?").result == "no_reply"
    assert listen(line, "1").result == "nothing"


def test_with_no_open_post():
    line = Line()
    assert listen(line, "anyone there").result == "closed"


def test_crisis_words_before_any_reply_still_get_the_crisis_line_and_the_coordinators():
    line = Line()
    line.volunteers(PEER1, PEER2)
    line.add(COORD, roles=["coordinator"])
    line.post("my boss shouts at me every day")
    result = listen(line, "i want to kms")
    assert result.result == "crisis"
    assert keys(result, PERSON) == ["peer.crisis"]
    assert {s.to for s in sends(result) if s.key == "peer.alert_crisis"} == {COORD}
    assert sends(result, PEER1) == [] and sends(result, PEER2) == []
    assert line.posts()[0]["status"] == "crisis"


def test_crisis_words_with_no_open_post_still_get_the_crisis_line():
    line = Line()
    line.add(COORD, roles=["coordinator"])
    result = listen(line, "no quiero vivir")
    assert result.result == "crisis" and keys(result, PERSON) == ["peer.crisis"]
    assert {s.to for s in sends(result) if s.key == "peer.alert_crisis"} == {COORD}
