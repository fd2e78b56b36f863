"""vecina roster import, on the embedded SQLite store."""


TEACHER = "+14155550101"


def store():
    from bot.config import from_env
    from bot.runtime import open_store

    return open_store(from_env())


ROSTER = ("code,name,parent,lang,school,age\n"
          "12,Ana,415-555-2671,es,Lincoln School,7\n"
          "13,Luis,not a number,en,Lincoln School,\n"
          "14,Sofia,(415) 555-2672,en,Lincoln School,\n"
          ",Marco,415-555-2673,en,Lincoln School,\n"
          "15,Eva,415-555-2674,fr,Lincoln School,\n")


def test_import_keeps_good_rows_reports_bad_ones_by_line_and_updates_on_reimport(cli, tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(ROSTER)
    out = cli("roster", "import", str(path), "--teacher", "415 555 0101")
    assert out.exit_code == 1
    assert "2 added, 0 updated, 3 bad rows" in out.output
    assert "class.csv:3: parent number" in out.output and "class.csv:5: no student code" in out.output
    assert "class.csv:6: unknown parent language 'fr'" in out.output
    s = store()
    students = {r["code"]: r for r in s.find_records("school.student")}
    assert students["12"] == {"id": f"lincoln school:{TEACHER}:12", "code": "12", "name": "Ana", "age": 7,
                              "parent": "+14155552671", "parent_lang": "es", "school": "Lincoln School",
                              "teacher": TEACHER}
    assert s.get_contact(TEACHER)["roles"] == ["teacher"]
    assert s.get_contact("+14155552671")["roles"] == ["parent"] and s.get_contact("+14155552671")["lang"] == "es"

    edited = "12,Ana María,415-555-2671,es,lincoln  school,8"  # same school, other spelling: same student
    path.write_text(ROSTER.replace("12,Ana,415-555-2671,es,Lincoln School,7", edited))
    again = cli("roster", "import", str(path), "--teacher", TEACHER)
    assert "0 added, 2 updated" in again.output
    students = {r["code"]: r for r in store().find_records("school.student")}
    assert len(students) == 2 and students["12"]["name"] == "Ana María" and students["12"]["age"] == 8


def test_a_language_the_parent_chose_is_kept_and_other_roles_too(cli, tmp_path):
    assert cli("members", "add", "415-555-2671", "--role", "helper", "--lang", "en").exit_code == 0
    path = tmp_path / "class.csv"
    path.write_text("code,name,parent,lang,school\n12,Ana,415-555-2671,es,Lincoln\n")
    out = cli("roster", "import", str(path), "--teacher", TEACHER)
    assert out.exit_code == 0 and "1 added" in out.output
    parent = store().get_contact("+14155552671")
    assert parent["lang"] == "en" and parent["roles"] == ["helper", "parent"]


def test_teacher_column_and_missing_teacher(cli, tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("code,name,parent,lang,school,teacher\n"
                    "12,Ana,415-555-2671,es,Lincoln,415-555-0102\n"
                    "13,Luis,415-555-2672,en,Lincoln,\n")
    out = cli("roster", "import", str(path))
    assert "1 added" in out.output and "class.csv:3: no teacher" in out.output
    assert store().get_record("school.student", "lincoln:+14155550102:12")["teacher"] == "+14155550102"
    assert cli("roster", "import", str(path), "--teacher", "12").exit_code != 0  # not a number: usage error


def test_a_large_roster_imports_with_its_progress_bar(cli, tmp_path):
    rows = "".join(f"{i},Kid{i},+1415555{3000 + i:04d},en,Big School,\n" for i in range(600))
    path = tmp_path / "big.csv"
    path.write_text("code,name,parent,lang,school,age\n" + rows)
    out = cli("roster", "import", str(path), "--teacher", TEACHER)
    assert out.exit_code == 0 and "600 added, 0 updated, 0 bad rows" in out.output
    assert len(store().find_records("school.student", school="Big School")) == 600


def test_a_schools_own_grace_window(cli, monkeypatch):
    monkeypatch.setenv("SCHOOL_GRACE_MINUTES", "20")
    assert "Escuela Juárez: 20 min" in cli("roster", "grace", "Escuela Juárez").output
    assert "escuela juarez: 10 min" in cli("roster", "grace", "escuela juarez", "10").output
    assert "Escuela Juárez: 10 min" in cli("roster", "grace", "Escuela Juárez").output
    assert cli("roster", "grace", "Lincoln", "999").exit_code != 0


def test_two_teachers_at_one_school_may_both_have_a_code_12():
    """One class list never overwrites another teacher's child and parent."""
    from datetime import datetime, timezone

    from bot.services.school_roster import read_roster, save_student
    from bot.store.memory import MemoryStore

    store = MemoryStore()
    a, b = "+14155550101", "+14155550102"
    for teacher, text in ((a, "code,name,parent,lang,school\n12,Ana,+14155552671,es,Lincoln School\n"),
                          (b, "code,name,parent,lang,school\n12,Luis,+14155552672,en,Lincoln School\n")):
        for _line, student, error in read_roster(text.splitlines(), "US", teacher):
            assert error is None
            with store.transaction() as tx:
                assert save_student(tx, student, datetime.now(timezone.utc)) is True  # new, not an update
    students = {(s["teacher"], s["name"], s["parent"]) for s in store.find_records("school.student")}
    assert students == {(a, "Ana", "+14155552671"), (b, "Luis", "+14155552672")}
