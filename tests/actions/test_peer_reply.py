import pytest

from bot.services import peer
from test_peer_kit import PEER1, PEER2, PEER3, PEER4, PERSON, Line, keys, sends

KIND = "That sounds really hard. You are not alone in this."


def posted(**settings):
    line = Line(settings)
    line.volunteers(PEER1, PEER2, PEER3, PEER4)
    line.post("I feel worthless since I lost my job")
    return line, line.posts()[0]["code"]


def test_a_kind_reply_reaches_the_person_signed_with_a_pseudonym_never_a_number():
    line, code = posted()
    result = line.answer(PEER1, code, KIND)
    assert result.result == "sent"
    to_person = sends(result, PERSON)[0]
    alias = line.store.get_contact(PEER1)["peer_pseudonym"]
    assert f"Volunteer {alias}" in to_person.text and KIND in to_person.text and PEER1 not in to_person.text
    assert keys(result, PEER1) == ["peer.reply_sent"] and PERSON not in sends(result, PEER1)[0].text
    reply = line.store.find_records(peer.REPLY, post=line.posts()[0]["id"])[0]
    assert reply["peer_pseudonym"] == alias and reply["rating"] is None and reply["by"] == "peer"


@pytest.mark.parametrize("text, reason", [
    ("call me at 415 555 2671 whenever you need", "contact"),
    ("text me on whatsapp, it is easier to talk there", "contact"),
    ("we could meet up for a coffee this week", "contact"),
    ("follow me @kindpeer so we stay in touch", "contact"),
    ("look at www.help-me.org it has good tips", "contact"),
    ("nos vemos en el parque mañana y hablamos", "contact"),
    ("llámame cuando quieras, de verdad te escucho", "contact"),
    ("mi número es el cinco cinco cinco uno dos tres cuatro", "contact"),
    ("man that is fucking rough, sorry to hear it", "abuse"),
    ("stop whining and kys already", "abuse"),
    ("eres un pendejo por quejarte tanto", "abuse"),
    ("vete a la mierda con tus problemas", "abuse"),
    ("ok", "too_short"),
    ("hang in there", "too_short"),
])
def test_moderation_refuses_and_tells_the_peer_why(text, reason):
    line, code = posted()
    result = line.answer(PEER1, code, text)
    assert result.result == reason
    assert keys(result) == [f"peer.rejected_{reason}"] and sends(result)[0].to == PEER1
    assert line.store.find_records(peer.REPLY) == []


def test_at_most_k_volunteers_answer():
    line, code = posted(PEER_MAX_REPLIES="2")
    assert line.answer(PEER1, code, KIND).result == "sent"
    assert line.answer(PEER2, code, KIND).result == "sent"
    assert line.posts()[0]["status"] == "answered" and line.posts()[0]["replies"] == 2
    assert line.answer(PEER3, code, KIND).result == "full"


def test_a_volunteer_waits_for_the_person_before_writing_again():
    line, code = posted()
    line.answer(PEER1, code, KIND)
    assert line.answer(PEER1, code, KIND).result == "wait"
    line.run("peer_listen", PERSON, text="thank you, that helps a little")
    assert line.answer(PEER1, code, "Glad it helps. Take it one day at a time.").result == "sent"


def test_unknown_code_and_usage():
    line, code = posted()
    assert line.answer(PEER1, "999", KIND).result == "unknown"
    assert line.run("peer_reply", PEER1, text="").result == "usage"
    assert line.run("peer_reply", PEER1, text=code).result == "usage"


def test_untrained_suspended_and_non_asked_volunteers_cannot_answer():
    line, code = posted(PEER_FANOUT="1")
    asked = line.posts()[0]["asked"][0]
    other = next(n for n in (PEER1, PEER2, PEER3, PEER4) if n != asked)
    assert line.answer(other, code, KIND).result == "unknown"
    line.store.upsert_contact(asked, suspended=True)
    assert line.answer(asked, code, KIND).result == "blocked"
    line.store.upsert_contact(asked, suspended=False, trained=False)
    assert line.answer(asked, code, KIND).result == "blocked"


def test_a_person_who_left_gets_nothing_more():
    line, code = posted()
    line.run("peer_leave", PERSON)
    result = line.answer(PEER1, code, KIND)
    assert result.result == "closed" and sends(result, PERSON) == []


def test_a_reply_to_someone_listening_offers_the_rating_numbers():
    from bot.engine.model import Session

    line, code = posted()
    line.store.save_session(Session(contact=PERSON, flow="peer", state="posted", status="waiting_input",
                                    vars={"listening": True}))
    assert keys(line.answer(PEER1, code, KIND), PERSON) == ["peer.reply_to_you"]
    line.store.save_session(Session(contact=PERSON, flow="main", state="menu", status="waiting_input"))
    assert keys(line.answer(PEER2, code, KIND), PERSON) == ["peer.reply_to_you_away"]
