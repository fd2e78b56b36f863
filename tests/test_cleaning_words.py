"""Reading a cleaner's or client's texts (bot/services/cleaning_words.py)."""
from datetime import date

import yaml
from hypothesis import given, settings, strategies as st

from bot.engine.inputs.normalize import normalize
from bot.services.cleaning_words import (COMMANDS, MAX_BAD_LEN, MAX_BAD_WORDS, amount_and_note, command_table,
                                         match, parse_day, plausible, read_task_numbers, split_tasks)
from support import ROOT, flowset

TODAY = date(2026, 3, 2)
DAY_WORDS = {"today": ["today", "hoy"], "tomorrow": ["tomorrow", "mañana"]}


def test_flow_command_triggers_and_locale_command_words_agree():
    flow = yaml.safe_load((ROOT / "flows" / "cleaning_job.yaml").read_text(encoding="utf-8"))
    catalog = flowset().catalog
    for cmd in flow["triggers"]["commands"]:
        for lang, words in cmd["words"].items():
            assert words == catalog.words(lang, f"cleaning.commands.{cmd['start']}"), (cmd["start"], lang)
    assert {c["start"] for c in flow["triggers"]["commands"]} == set(COMMANDS)


def test_commands_match_longest_phrase_first_with_accents_ignored():
    table = command_table(flowset().catalog)
    assert match(table, "no puedo entrar, la puerta") == ("no_entry", "la puerta")
    assert match(table, "llegue") == ("here", "")
    assert match(table, "Prestamo 200 para la renta") == ("loan", "200 para la renta")
    assert match(table, "hello there") is None


def test_tasks_split_on_commas_semicolons_and_lines():
    assert split_tasks("Change the sheets, mop the floor;\n- clean the oven\n\n2) water plants") == [
        "Change the sheets", "mop the floor", "clean the oven", "water plants"]


def test_task_numbers():
    assert read_task_numbers("1 3") == ([1, 3], [])
    assert read_task_numbers("#2 y 4, 2") == ([2, 4], [])
    assert read_task_numbers("the second") == ([], ["the", "second"])


def test_task_numbers_with_words_that_are_not_numbers():
    assert read_task_numbers("1 3 99 abc") == ([1, 3, 99], ["abc"])
    assert read_task_numbers("#2 y 4, 2, dos") == ([2, 4], ["dos"])
    assert read_task_numbers("1000 x x") == ([], ["1000", "x"])
    assert read_task_numbers("") == ([], [])


_WORD = st.text("abcxyzñé-", min_size=1, max_size=30).filter(
    lambda w: w.strip("#.-") and normalize(w) not in ("y", "e", "and"))  # "y"/"and" join numbers


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 999).map(str), _WORD), max_size=12), st.sampled_from([" ", ", ", ";", " y "]))
def test_number_lists_read_back_what_was_written(tokens, sep):
    nums, bad = read_task_numbers(sep.join(tokens))
    written = [int(t) for t in tokens if t.isdigit()]
    words = list(dict.fromkeys(t.strip("#.")[:MAX_BAD_LEN] for t in tokens if not t.isdigit()))
    assert nums == sorted(set(written))
    assert bad == words[:MAX_BAD_WORDS]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_the_number_reader_is_sane_on_any_text(text):
    nums, bad = read_task_numbers(text)
    assert nums == sorted(set(nums)) and all(0 <= n < 1000 for n in nums)
    assert len(bad) <= MAX_BAD_WORDS and all(0 < len(w) <= MAX_BAD_LEN for w in bad)
    assert len(set(bad)) == len(bad)


def test_amount_and_note():
    assert amount_and_note("80,50 for the week") == ("80,50", "for the week")
    assert amount_and_note("$80") == ("$80", "")
    assert amount_and_note("veinte dólares") == ("veinte dólares", "")


def test_visit_days_by_language():
    assert parse_day("3/14", "en", TODAY, DAY_WORDS) == date(2026, 3, 14)
    assert parse_day("14/3", "es", TODAY, DAY_WORDS) == date(2026, 3, 14)
    assert parse_day("mañana", "es", TODAY, DAY_WORDS) == date(2026, 3, 3)
    assert parse_day("2026-02-01", "en", TODAY, DAY_WORDS) is None  # past
    assert parse_day("1/2", "en", TODAY, DAY_WORDS) == date(2027, 1, 2)  # next time it comes
    assert parse_day("31/2", "es", TODAY, DAY_WORDS) is None


def test_what_counts_as_a_command_inside_the_conversation():
    assert plausible("here", "", "cleaner") and not plausible("here", "is the key", "cleaner")
    assert not plausible("here", "", "client")
    assert plausible("pay", "80 for the week", "cleaner") and not plausible("pay", "attention", "client")
    assert plausible("accept", "#123", "client") and not plausible("accept", "that idea", "client")
    assert plausible("done", "1 3 99 abc", "cleaner") and plausible("done", "#2", "cleaner")
    assert not plausible("done", "2 hours ago I left", "cleaner") and not plausible("done", "with the kitchen", "cleaner")
    for amount in ("1e9", "lots", "-5", "0", "$80", ".50", "veinte dólares"):
        assert plausible("pay", amount, "cleaner") and plausible("repay", amount, "cleaner"), amount
    assert not plausible("pay", "attention to the dog", "cleaner")
    assert plausible("reverse", "482", "client") and not plausible("reverse", "the car", "client")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_readers_never_raise_and_return_sane_values(text):
    tasks = split_tasks(text)
    assert all(t and t == t.strip() and len(t) <= 200 and "," not in t and "\n" not in t for t in tasks)
    nums, bad = read_task_numbers(text)
    assert nums == sorted(set(nums)) and all(0 <= n < 1000 for n in nums) and all(isinstance(b, str) for b in bad)
    raw, note = amount_and_note(text)
    assert isinstance(raw, str) and isinstance(note, str)
    day = parse_day(text, "en", TODAY, DAY_WORDS)
    assert day is None or day >= TODAY
    hit = match(command_table(flowset().catalog), text)
    assert hit is None or (hit[0] in COMMANDS and normalize(hit[1]) in normalize(text))
    for cmd in COMMANDS:
        assert plausible(cmd, text, "client") in (True, False)
