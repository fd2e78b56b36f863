"""The coordinator commands, run as a coordinator would run them."""
import shutil
import subprocess
import sys
import time

from click.testing import CliRunner

from bot.cli import main
from bot.flowfiles import LiveFlows
from support import ROOT


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_lint_shipped_flows_is_clean_and_fast():
    started = time.perf_counter()
    result = run("lint", str(ROOT / "flows"))
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 5  # the benchmark tracks the real figure
    assert " 0 errors" in result.output


def copy_line(tmp_path):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    return tmp_path / "flows", tmp_path / "locales"


def test_lint_reports_file_line_col_and_exits_1(tmp_path):
    flows, _ = copy_line(tmp_path)
    (flows / "bad.yaml").write_text("flow: bad\nstart: a\nstates:\n  a:\n    say: main.welcome\n    goto: b\n")
    result = run("lint", str(flows))
    assert result.exit_code == 1
    assert f"{flows / 'bad.yaml'}:6:5: state 'a' goes to unknown state 'b'" in result.output \
        or "bad.yaml:6:5: state 'a' goes to unknown state 'b'" in result.output


def test_lint_one_file(tmp_path):
    flows, _ = copy_line(tmp_path)
    result = run("lint", str(flows / "profile.yaml"))
    assert result.exit_code == 0, result.output


def test_lint_missing_locale_key_names_the_locale_file(tmp_path):
    flows, locales = copy_line(tmp_path)
    es = (locales / "es.yaml").read_text(encoding="utf-8").replace("  saved: \"Guardado.\"\n", "")
    (locales / "es.yaml").write_text(es, encoding="utf-8")
    result = run("lint", str(flows))
    assert result.exit_code == 1
    assert "'profile.saved' is missing in " in result.output and "es.yaml" in result.output


def test_simulate_reads_stdin_and_shows_every_message():
    result = run("simulate", "--as", "+14155552671", "--lang", "es", input="hola\n2\n1\n")
    assert result.exit_code == 0, result.output
    assert "¿Qué necesitas?" in result.output
    assert "¿Qué idioma?" in result.output
    assert "1 Mis datos" in result.output


def test_simulate_ussd_and_telegram_renderings():
    ussd = run("simulate", "--lang", "en", "--channel", "ussd", input="hi\n")
    assert "CON What do you need? Reply with a number.\n   1. My details" in ussd.output
    tg = run("simulate", "--lang", "en", "--channel", "telegram", input="hi\n")
    assert "[My details]  [Language / Idioma]" in tg.output


def test_python_dash_m_bot_is_the_same_cli():
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "lint" in out.stdout and "simulate" in out.stdout


def test_vecina_test_runs_the_transcripts():
    result = run("test")
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_hot_reload_refuses_a_broken_edit_and_keeps_the_last_good_set(tmp_path):
    flows, locales = copy_line(tmp_path)
    live = LiveFlows(flows, locales)
    live.CHECK_EVERY = 0  # look at the files on every call here
    good = live.engine()
    path = flows / "profile.yaml"
    path.write_text(path.read_text() + "  extra:\n    goto: nowhere\n")
    time.sleep(0.01)
    assert live.engine() is good  # refused
    assert any("nowhere" in p.message for p in live.last_problems)
    text = (locales / "en.yaml").read_text(encoding="utf-8").replace('saved: "Saved."', 'saved: "All saved."')
    path.write_text(path.read_text().replace("  extra:\n    goto: nowhere\n", ""))
    (locales / "en.yaml").write_text(text, encoding="utf-8")
    fresh = live.engine()
    assert fresh is not good
    assert fresh.catalog.text("en", "profile.saved") == "All saved."


def test_hot_reload_looks_at_the_files_at_most_once_a_second(tmp_path):
    flows, locales = copy_line(tmp_path)
    live = LiveFlows(flows, locales)
    good = live.engine()
    text = (locales / "en.yaml").read_text(encoding="utf-8").replace('saved: "Saved."', 'saved: "All saved."')
    (locales / "en.yaml").write_text(text, encoding="utf-8")
    assert live.engine() is good  # not looked at yet: the edit waits for the next look
    live._checked -= live.CHECK_EVERY
    assert live.engine().catalog.text("en", "profile.saved") == "All saved."
