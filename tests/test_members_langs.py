"""Member languages come from the locale files, not from code (bot/members.py)."""
import pytest

from bot.members import LANGS, MemberError, locale_langs, member_fields
from support import ROOT


def test_the_shipped_locales_are_the_languages():
    shipped = tuple(sorted(p.stem for p in (ROOT / "locales").glob("*.yaml") if p.stem != "glossary"))
    assert LANGS == shipped and {"en", "es"} <= set(LANGS)


def test_a_new_locale_file_is_a_new_language_with_no_code_change(tmp_path):
    for name in ("en.yaml", "es.yaml", "fr.yaml", "glossary.yaml", "_draft.yaml", "notes.txt"):
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    assert locale_langs(tmp_path) == ("en", "es", "fr")


def test_an_unknown_language_names_the_ones_there_are():
    assert member_fields(["helper"], lang="es")["lang"] == "es"
    with pytest.raises(MemberError) as err:
        member_fields(["helper"], lang="xx")
    assert " or ".join(LANGS) in str(err.value)
