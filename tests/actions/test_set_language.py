from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import Contact, CounterIds, UpdateContact
from bot.store.memory import MemoryStore
from support import NOW, PARENT, flowset

ACTION = load()["set_language"]


def ctx():
    return ActionContext(Contact(PARENT, lang="en"), MemoryStore(), flowset().catalog, NOW, CounterIds())


def test_sets_a_known_language():
    result = ACTION.run(ctx(), {"lang": "ES "})
    assert result.result == "ok" and result.data == {"lang": "es"}
    assert result.effects == (UpdateContact(PARENT, {"lang": "es"}),)


def test_unknown_language_changes_nothing():
    result = ACTION.run(ctx(), {"lang": "fr"})
    assert result.result == "unknown" and result.effects == ()
    assert ACTION.run(ctx(), {"lang": None}).result == "unknown"
