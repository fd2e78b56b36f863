"""School alerts: code parsing, roster rows, texts (hypothesis for what people type)."""
import re
from pathlib import Path

from hypothesis import given, settings, strategies as st

from bot.engine.segments import count
from bot.services.school import FILLERS, MAX_CODES, parse_codes, school_key, student_id
from bot.services.school_roster import read_roster
from support import ROOT, flowset

CODE = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXZ0123456789", min_size=1, max_size=6).filter(
    lambda c: c not in FILLERS)
SEPARATOR = st.sampled_from([" ", ",", ", ", " , ", ";", "  ", "\n", " y ", " and ", " & ", "/"])


@given(st.lists(CODE, min_size=1, max_size=10, unique=True), st.data())
def test_codes_come_back_in_order_whatever_the_separators(codes, data):
    text = codes[0]
    for code in codes[1:]:
        text += data.draw(SEPARATOR) + code.lower()
    assert parse_codes(text) == codes


@given(st.text(max_size=200))
def test_any_text_gives_a_short_list_of_clean_unique_codes(text):
    codes = parse_codes(text)
    assert len(codes) <= MAX_CODES and len(set(codes)) == len(codes)
    assert all(code and code == code.upper() and not re.search(r"[\s,;/]", code) for code in codes)


def test_codes_odd_cases():
    assert parse_codes("#12, 14.") == ["12", "14"]
    assert parse_codes("12 12 a7") == ["12", "A7"]
    assert parse_codes(None) == [] and parse_codes("  y , ") == []


def test_school_names_fold_to_one_key():
    assert school_key("  Escuela   Juárez ") == school_key("escuela juarez") == "escuela juarez"
    assert student_id("Lincoln School", " 12 ", "+14155550101") == "lincoln school:+14155550101:12"


ROW = st.fixed_dictionaries({
    "code": st.text(max_size=8), "name": st.text(max_size=10), "parent": st.text(max_size=16),
    "lang": st.sampled_from(["en", "es", "ES", "fr", ""]), "school": st.text(max_size=10),
    "age": st.one_of(st.just(""), st.integers(-3, 30).map(str), st.text(max_size=3)),
})


@settings(max_examples=60)
@given(st.lists(ROW, max_size=6))
def test_roster_rows_are_each_kept_or_reported_never_a_crash(rows):
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["code", "name", "parent", "lang", "school", "age"])
    writer.writeheader()
    writer.writerows(rows)
    out = list(read_roster(buf.getvalue().splitlines(keepends=True), "US", "+14155550101"))
    for line, student, error in out:
        assert (student is None) != (error is None) and line >= 2
        if student:
            assert parse_codes(student["code"]) == [student["code"]]
            assert student["parent"].startswith("+") and student["parent_lang"] in ("en", "es", None)
            assert student["age"] is None or 0 <= student["age"] <= 18


def test_roster_reports_bad_rows_by_line_with_the_reason():
    text = ("Student Code,Child,Parent Number,Parent Language,School,Age\n"
            "12,Ana,415-555-2671,es,Lincoln School,7\n"
            "13,Luis,12,en,Lincoln School,\n"
            "14 15,Sofia,415-555-2673,en,Lincoln School,\n"
            "16,Marco,415-555-2674,fr,Lincoln School,\n"
            "\n"
            "17,Eva,415-555-2675,,Lincoln School,forty\n")
    out = list(read_roster(text.splitlines(keepends=True), "US", "+14155550101"))
    good = [(line, s["id"]) for line, s, _ in out if s]
    bad = {line: error for line, _, error in out if error}
    assert good == [(2, "lincoln school:+14155550101:12")]
    assert "parent number" in bad[3] and "one word" in bad[4] and "'fr'" in bad[5] and "'forty'" in bad[7]


def test_roster_needs_its_columns_and_a_teacher():
    [(line, _, error)] = read_roster(["number,name\n", "1,2\n"], "US")
    assert line == 1 and "code" in error and "school" in error
    [(_, _, error)] = read_roster(["code,name,parent,school\n", "12,Ana,4155552671,Lincoln\n"], "US")
    assert "--teacher" in error


SCHOOL_KEYS = ("parent_late", "parent_absent", "parent_arrived", "relay_to_teacher")


def test_every_school_text_exists_in_both_languages_and_action_texts_fit_two_sms():
    catalog = flowset().catalog
    keys = {k for k in catalog.flat["en"] if k.startswith("school.")}
    assert keys == {k for k in catalog.flat["es"] if k.startswith("school.")}
    assert {f"school.{key}" for key in SCHOOL_KEYS} <= keys  # the texts actions send (not in a flow's say)
    values = {"school": "Lincoln Elementary", "child": "Guadalupe", "code": "12", "body": ""}
    for lang in ("en", "es"):
        for key in SCHOOL_KEYS:
            assert count(catalog.text(lang, f"school.{key}", values)).segments <= 2, (lang, key)


def test_flows_use_no_opt_out_words_as_commands():
    names = ("school.yaml", "school_parent.yaml", "school_reply.yaml")
    text = " ".join(Path(ROOT / "flows" / name).read_text() for name in names)
    for word in ("STOP", "CANCEL", "END", "QUIT", "UNSUBSCRIBE"):
        assert not re.search(rf"\[[^\]]*\b{word}\b", text)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["LATE", "ABSENT", "ARRIVED", "tarde", "AUSENTE", "llegó"]), st.text(max_size=60))
def test_any_teacher_command_gets_an_answer_and_nothing_reaches_a_parent_at_once(word, rest):
    from support import conductor
    from test_school_support import MORNING, TEACHER, school_store

    con = conductor(school_store())
    sent = con.message(TEACHER, f"{word} {rest}", MORNING).sent
    assert sent and all(m["to"] == TEACHER for m in sent)
    assert all(m["key"].startswith("school.") for m in sent if m["key"]), [m["key"] for m in sent]
