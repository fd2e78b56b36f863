from test_peer_kit import COORD, COORD_ES, NUMBER, PEER1, PERSON, Line, audits, keys, sends


def test_the_person_gets_the_crisis_line_and_every_coordinator_an_alert_in_their_language():
    line = Line(settings={"CRISIS_LINE": "741741"})
    line.add(PERSON, roles=["parent"], lang="es")
    line.volunteers(PEER1)
    line.add(COORD, roles=["coordinator"], lang="en")
    line.add(COORD_ES, roles=["coordinator"], lang="es")
    result = line.run("crisis_alert", PERSON, text="me voy a matar, call 415 555 2671")
    assert result.result == "ok"
    mine = sends(result, PERSON)
    assert [s.key for s in mine] == ["peer.crisis"] and "741741" in mine[0].text and "Importas" in mine[0].text
    assert keys(result, COORD) == ["crisis.alert"] and keys(result, COORD_ES) == ["crisis.alert"]
    en, es = sends(result, COORD)[0].text, sends(result, COORD_ES)[0].text
    assert en.startswith("CRISIS:") and "me voy a matar" in en and "Sus palabras" in es
    # nobody else hears of it, and no number is in the alert or the audit log
    assert sends(result, PEER1) == []
    assert not NUMBER.search(en) and all(not NUMBER.search(repr(a)) for a in audits(result))
    pseudonym = line.store.get_contact(PERSON)["pseudonym"]
    assert pseudonym in en and audits(result)[0].contact == f"peer:{pseudonym}"
