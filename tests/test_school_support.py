"""Shared fixtures of the school-alert tests (no tests here): a teacher, two parents, a roster."""
from __future__ import annotations

from datetime import datetime

from bot.actions.base import ActionContext
from bot.engine.model import Contact, CounterIds
from bot.store.memory import MemoryStore
from bot.store.contacts import view
from support import TZ, flowset

TEACHER = "+14155550101"
PARENT_EN = "+14155552671"
PARENT_ES = "+14155552672"
MORNING = datetime(2026, 3, 2, 8, 20, tzinfo=TZ)  # a Monday, school has started

STUDENTS = [
    {"id": "lincoln school:12", "code": "12", "name": "Ana", "age": 7, "parent": PARENT_EN, "parent_lang": "en",
     "school": "Lincoln School", "teacher": TEACHER},
    {"id": "lincoln school:14", "code": "14", "name": "Luis", "age": None, "parent": PARENT_ES,
     "parent_lang": "es", "school": "Lincoln School", "teacher": TEACHER},
]


def school_store(store=None, teacher_lang="en"):
    store = store if store is not None else MemoryStore()
    with store.transaction() as tx:
        tx.upsert_contact(TEACHER, roles=["teacher"], lang=teacher_lang, name="Grace Lee")
        tx.upsert_contact(PARENT_EN, roles=["parent"], lang="en", name="Maria")
        tx.upsert_contact(PARENT_ES, roles=["parent"], lang="es", name="Rosa")
        for student in STUDENTS:
            tx.put_record("school.student", student["id"], dict(student))
    return store


def context(store, who=TEACHER, now=MORNING, settings=None):
    rec = store.get_contact(who)
    contact = view(rec) if rec else Contact(who)
    return ActionContext(contact, store, flowset().catalog, now, CounterIds(), settings or {})


def apply(store, result):
    """Carry out an action's store effects (records, timers) the way the conductor does."""
    from bot.engine.model import CancelTimer, Schedule, WriteRecord

    with store.transaction() as tx:
        for effect in result.effects:
            if isinstance(effect, Schedule):
                tx.add_timer(effect.timer_id, effect.contact, effect.at, effect.event, dict(effect.data))
            elif isinstance(effect, CancelTimer):
                tx.cancel_timer(effect.timer_id)
            elif isinstance(effect, WriteRecord):
                tx.add_record(effect.kind, dict(effect.data))
    return result
