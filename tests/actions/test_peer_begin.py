from test_peer_kit import PEER1, PERSON, Line, keys, sends


def test_first_time_sends_expectations_with_the_crisis_line_once():
    line = Line({"CRISIS_LINE": "741741"})
    first = line.run("peer_begin", PERSON)
    assert first.result == "first" and keys(first) == ["peer.intro"]
    assert "741741" in sends(first)[0].text and "not therapists" in sends(first)[0].text
    assert line.store.get_contact(PERSON)["peer_intro_seen"] is True
    assert line.run("peer_begin", PERSON).result == "ok"


def test_a_pseudonym_is_drawn_once_and_never_from_the_number():
    line = Line()
    line.run("peer_begin", PERSON)
    alias = line.store.get_contact(PERSON)["pseudonym"]
    assert len(alias) == 4 and alias not in PERSON
    line.run("peer_begin", PERSON)
    assert line.store.get_contact(PERSON)["pseudonym"] == alias


def test_an_open_post_is_shown_instead_of_asking_for_another():
    line = Line()
    line.volunteers(PEER1)
    line.post("work is crushing me lately")
    assert line.run("peer_begin", PERSON).result == "waiting"
    code = line.posts()[0]["code"]
    line.answer(PEER1, code, "That sounds heavy, thank you for telling us.")
    opened = line.run("peer_begin", PERSON)
    assert opened.result == "open" and opened.data["replies"] == 1
    assert line.run("peer_begin", PERSON, new=True).result == "first"  # never saw the intro: it posted directly


def test_the_daily_limit_answers_with_the_crisis_line():
    line = Line({"PEER_POSTS_PER_DAY": "1"})
    line.post("one thing on my mind today")
    line.run("peer_leave", PERSON)  # the post closes; the limit still counts it
    result = line.run("peer_begin", PERSON)
    assert result.result == "limit" and "988" in sends(result)[0].text


def test_talk_brings_back_someone_who_left():
    line = Line()
    line.run("peer_leave", PERSON)
    assert line.store.get_contact(PERSON)["peer_off"] is True
    line.run("peer_begin", PERSON)
    assert line.store.get_contact(PERSON)["peer_off"] is False
