"""A peer volunteer's languages and quiet hours: set by a coordinator
(``vecina members add --languages --quiet``, CSV columns ``languages`` and
``quiet``), and honoured when a post is sent out."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.members import MemberError, member_fields, parse_quiet, read_csv
from bot.services import peer
from bot.store.sqlite import SQLiteStore
from test_peer_kit import PEER1, PEER2, PERSON, Line, sends


def test_members_add_sets_languages_and_quiet_hours(cli):
    out = cli("members", "add", "415-555-0101", "--role", "peer", "--trained", "--lang", "en",
              "--languages", "en,ES", "--quiet", "22:00-07:00")
    assert out.exit_code == 0, out.output
    rec = json.loads(cli("members", "list", "--json").output)[0]
    assert rec["languages"] == ["en", "es"] and (rec["quiet_start"], rec["quiet_end"]) == ("22:00", "07:00")
    assert "en,es\t22:00-07:00" in cli("members", "list").output
    cli("members", "add", "415-555-0101", "--role", "peer", "--quiet", "off")  # other fields stay
    rec = json.loads(cli("members", "list", "--json").output)[0]
    assert rec["languages"] == ["en", "es"] and rec["quiet_start"] == rec["quiet_end"] and rec["trained"] is True


@pytest.mark.parametrize("args, error", [
    (("--languages", "en,fr"), "unknown language 'fr'"),
    (("--languages", ",,"), "at least one language"),
    (("--quiet", "22:00"), "22:00-07:00"),
    (("--quiet", "25:00-07:00"), "22:00-07:00"),
])
def test_bad_languages_or_quiet_hours_are_refused(cli, args, error):
    out = cli("members", "add", "415-555-0101", "--role", "peer", *args)
    assert out.exit_code != 0 and error in out.output
    assert json.loads(cli("members", "list", "--json").output) == []


def test_csv_columns_languages_and_quiet(cli, tmp_path):
    roster = tmp_path / "peers.csv"
    roster.write_text("number,roles,lang,trained,languages,quiet\n"
                      "415-555-0101,peer,en,yes,en es,22:00-07:00\n"
                      "415-555-0102,peer,es,yes,,\n"
                      "415-555-0103,peer,es,yes,es;xx,\n"
                      "415-555-0104,peer,es,yes,,late\n", encoding="utf-8")
    out = cli("members", "import", str(roster))
    assert "2 added, 0 updated, 2 bad rows" in out.output
    assert ":4: unknown language 'xx'" in out.output and ":5: quiet hours" in out.output
    rows = {r["id"]: r for r in json.loads(cli("members", "list", "--json").output)}
    assert rows["+14155550101"]["languages"] == ["en", "es"] and rows["+14155550101"]["quiet_end"] == "07:00"
    assert "languages" not in rows["+14155550102"] and "quiet_start" not in rows["+14155550102"]


def test_member_fields_without_the_new_columns_are_as_before():
    assert member_fields(["peer"], trained=True) == {"roles": ["peer"], "trained": True}
    [(_, _, fields, error)] = list(read_csv(["number,roles\n", "415-555-0101,peer\n"], "US"))
    assert error is None and fields == {"roles": ["peer"]}


@given(h1=st.integers(0, 23), m1=st.integers(0, 59), h2=st.integers(0, 23), m2=st.integers(0, 59),
       sep=st.sampled_from(["-", " - ", "–", " to "]))
def test_quiet_hours_read_in_the_usual_shapes(h1, m1, h2, m2, sep):
    assert parse_quiet(f"{h1}:{m1:02d}{sep}{h2:02d}:{m2:02d}") == (f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}")


@given(st.text(max_size=20))
def test_quiet_hours_are_read_or_refused_never_half_read(raw):
    try:
        start, end = parse_quiet(raw)
    except MemberError:
        return
    for value in (start, end):
        assert len(value) == 5 and value[2] == ":" and int(value[:2]) < 24 and int(value[3:]) < 60


# ------------------------------------------------------------------ dispatch
def peer_fields(**given):
    """What the roster saves for a peer volunteer (roles aside: the test line adds them)."""
    fields = member_fields(["peer"], **given)
    fields.pop("roles")
    return fields


def asked(result):
    return sorted(s.to for s in sends(result) if s.key == "peer.to_peer_post")


def test_a_post_goes_to_volunteers_whose_languages_include_it():
    line = Line()
    line.volunteers(PEER1, lang="en", **peer_fields(languages="en,es"))
    line.volunteers(PEER2, lang="en")  # English only
    line.add(PERSON, lang="es")
    assert asked(line.post("No duermo desde que perdí el trabajo")) == [PEER1]


def test_quiet_hours_set_by_the_coordinator_hold_posts_back_until_they_end():
    night = Line().now.replace(hour=23, minute=30)
    line = Line({"PEER_POSTS_PER_DAY": "9"}, now=night)
    line.volunteers(PEER1, **peer_fields(quiet="22:00-07:00"))
    line.volunteers(PEER2, **peer_fields(quiet="off"))  # the line's default quiet hours do not apply
    assert asked(line.post("can't sleep again, everything is too much")) == [PEER2]
    line.now = night.replace(hour=7, minute=5)
    assert asked(line.post("still awake, it is morning now")) == [PEER1, PEER2]


def test_fields_saved_by_the_roster_reach_dispatch_through_a_real_store(tmp_path):
    store = SQLiteStore(str(tmp_path / "v.db"))
    line = Line(store=store, now=Line().now.replace(hour=12))
    store.upsert_contact(PEER1, lang="en", **member_fields(["peer"], trained=True, languages="es",
                                                            quiet="11:00-13:00"))
    store.upsert_contact(PEER2, lang="en", **member_fields(["peer"], trained=True, languages="es en"))
    line.add(PERSON, lang="es")
    assert [c["id"] for c in peer.available(line.ctx(PERSON), "es", exclude=[PERSON])] == [PEER2]
    line.now = line.now.replace(hour=14)
    assert {c["id"] for c in peer.available(line.ctx(PERSON), "es", exclude=[PERSON])} == {PEER1, PEER2}
    store.close()
