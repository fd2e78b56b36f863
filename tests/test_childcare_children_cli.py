"""vecina members child add|import|list: a coordinator registers children,
writing the very record the CHILD / HIJO flow writes."""
from hypothesis import given, strategies as st

from bot.services.childcare import CHILD
from bot.services.childcare_kids import ChildError, parse_age, read_children_csv
from test_childcare_support import PARENT, run

NUMBER = "+14155552671"
assert PARENT == NUMBER


def test_a_coordinator_adds_a_child_as_the_flow_would(cli):
    assert cli("members", "add", "(415) 555-2671", "--role", "parent", "--name", "Maria").exit_code == 0
    out = cli("members", "child", "add", "415-555-2671", "--name", " Ana ", "--age", "7", "--place", "Lincoln  School")
    assert out.exit_code == 0 and "added Ana for +14155552671" in out.output
    store = cli.store()
    (kid,) = store.find_records(CHILD, parent=NUMBER)
    # The CHILD / HIJO flow's action writes the same record; with the same name it updates this one.
    got = run("childcare_add_child", store, NUMBER, {"name": "ana", "age": 8, "place": "Lincoln School"})
    assert got.result == "ok" and got.data["id"] == kid["id"]
    (same,) = store.find_records(CHILD, parent=NUMBER)
    assert set(same) == set(kid) == {"id", "parent", "name", "age", "place"}
    assert (kid["name"], kid["age"], kid["place"]) == ("Ana", 7, "Lincoln School")
    again = cli("members", "child", "add", NUMBER, "--name", "ANA", "--age", "9")
    assert "updated ANA" in again.output and len(store.find_records(CHILD, parent=NUMBER)) == 1
    assert cli("members", "child", "list", NUMBER).output == "ANA\t9\t\n"
    audit = [e["what"] for e in store.audit_entries(NUMBER)]
    assert audit.count("childcare.child_saved") == 2  # the two CLI runs (the action's audit is an effect)


def test_add_refuses_a_stranger_a_bad_age_or_no_name(cli):
    out = cli("members", "child", "add", NUMBER, "--name", "Ana")
    assert out.exit_code != 0 and "not on the roster" in out.output
    cli("members", "add", NUMBER, "--role", "helper")
    assert "not a parent" in cli("members", "child", "add", NUMBER, "--name", "Ana").output
    cli("members", "add", NUMBER, "--role", "parent")
    assert "not between 0 and 17" in cli("members", "child", "add", NUMBER, "--name", "Ana", "--age", "40").output
    assert "first name" in cli("members", "child", "add", NUMBER, "--name", "  ").output
    assert cli.store().find_records(CHILD) == []


def test_import_keeps_good_rows_reports_bad_ones_by_line_and_updates_on_reimport(cli, tmp_path):
    cli("members", "add", NUMBER, "--role", "parent")
    cli("members", "add", "+14155552672", "--role", "parent", "--lang", "es")
    csv = tmp_path / "children.csv"
    csv.write_text("parent,name,age,place\n"
                   "415-555-2671,Ana,7,Lincoln School\n"
                   "415-555-2671,Leo,,\n"
                   "not a number,X,3,\n"
                   "+1 415 555 2672,Luis,eight,Lincoln School\n"
                   "+1 415 555 2699,Sam,5,\n"
                   "+1 415 555 2672,,5,\n")
    out = cli("members", "child", "import", str(csv))
    assert out.exit_code == 1
    assert "2 added, 0 updated, 4 bad rows" in out.output
    for line in (4, 5, 6, 7):
        assert f"children.csv:{line}:" in out.output
    assert "'eight' is not a whole number" in out.output and "not on the roster" in out.output
    again = cli("members", "child", "import", str(csv))
    assert "0 added, 2 updated, 4 bad rows" in again.output
    kids = {k["name"]: k for k in cli.store().find_records(CHILD, parent=NUMBER)}
    assert (kids["Leo"]["age"], kids["Leo"]["place"]) == (None, "")


def test_a_csv_without_the_columns_is_one_clear_error():
    rows = list(read_children_csv(["number,child\n", "1,Ana\n"], "US"))
    assert rows == [(1, None, "missing column(s): parent, name (expected parent, name, age, place)")]


@given(st.text(max_size=6))
def test_an_age_is_blank_a_whole_number_in_range_or_a_clear_error(raw):
    try:
        age = parse_age(raw)
    except ChildError as exc:
        assert str(exc).startswith("age ")
        return
    assert age is None or 0 <= age <= 17
