"""A small line for the peer support action tests: a store, contacts, the real
locales, and a way to run an action as the engine would (its contact changes
applied), plus checks every test shares."""
from __future__ import annotations

import re
from datetime import timedelta

from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import Audit, CounterIds, Send, UpdateContact
from bot.services import peer
from bot.store.contacts import view
from bot.store.memory import MemoryStore
from support import NOW, flowset

PERSON = "+14155552671"
PERSON2 = "+14155552672"
PEER1, PEER2, PEER3, PEER4 = "+14155550101", "+14155550102", "+14155550103", "+14155550104"
COORD, COORD_ES = "+14155550198", "+14155550199"
NUMBER = re.compile(r"\+?\d[\d\s().\-]{6,}\d")


class Line:
    def __init__(self, settings=None, now=NOW, store=None):
        self.store = store or MemoryStore()
        self.ids = CounterIds()
        self.settings = dict(settings or {})
        self.now = now

    def add(self, number, **fields):
        fields.setdefault("lang", "en")
        self.store.upsert_contact(number, **fields)
        return number

    def volunteers(self, *numbers, lang="en", **fields):
        for n in numbers:
            self.add(n, roles=["peer"], trained=True, lang=lang, **fields)

    def later(self, **delta):
        self.now = self.now + timedelta(**delta)

    def ctx(self, who):
        rec = self.store.get_contact(who) or self.store.upsert_contact(who, lang="en")
        return ActionContext(view(rec), self.store, flowset().catalog, self.now, self.ids, self.settings)

    def run(self, name, sender, **params):
        result = load()[name].run(self.ctx(sender), params)
        for effect in result.effects:
            if isinstance(effect, UpdateContact):
                self.store.upsert_contact(effect.contact, **dict(effect.changes))
        return result

    def post(self, text, who=PERSON):
        return self.run("peer_post", who, text=text)

    def answer(self, peer_number, code, text):
        return self.run("peer_reply", peer_number, text=f"{code} {text}")

    def posts(self, **where):
        return self.store.find_records(peer.POST, **where)


def sends(result, to=None):
    return [e for e in result.effects if isinstance(e, Send) and (to is None or e.to == to)]


def keys(result, to=None):
    return [e.key for e in sends(result, to)]


def audits(result):
    return [e for e in result.effects if isinstance(e, Audit)]


def test_audits_and_sends_to_others_never_carry_a_number():
    line = Line()
    line.volunteers(PEER1)
    line.add(COORD, roles=["coordinator"])
    result = line.post("I feel low, my number is 415 555 2671")
    for entry in audits(result):
        assert not NUMBER.search(repr(entry)), entry
    assert all("415" not in s.text for s in sends(result, PEER1))
