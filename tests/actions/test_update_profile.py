from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import Audit, Contact, CounterIds, UpdateContact
from bot.store.memory import MemoryStore
from support import NOW, PARENT, flowset

ACTION = load()["update_profile"]


def ctx():
    return ActionContext(Contact(PARENT, lang="en"), MemoryStore(), flowset().catalog, NOW, CounterIds())


def test_saves_name_and_area_tidied():
    result = ACTION.run(ctx(), {"name": "  Ana \n María ", "area": "Eastside"})
    assert result.data == {"name": "Ana María", "area": "Eastside"}
    assert UpdateContact(PARENT, {"name": "Ana María", "area": "Eastside"}) in result.effects
    assert any(isinstance(e, Audit) and e.data == {"fields": ["area", "name"]} for e in result.effects)


def test_empty_values_change_nothing():
    result = ACTION.run(ctx(), {"name": "   ", "area": None})
    assert result.effects == () and result.data == {}


def test_cannot_set_roles_or_vetting():
    result = ACTION.run(ctx(), {"name": "Ana", "roles": ["coordinator"], "vetted": True})
    assert result.effects[0] == UpdateContact(PARENT, {"name": "Ana"})


def test_long_names_are_cut():
    result = ACTION.run(ctx(), {"name": "x" * 500})
    assert len(result.data["name"]) == 60
