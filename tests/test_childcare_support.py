"""Emergency childcare: shared test helpers (a small line on a memory store)
and tests of the service module's own pieces (codes, code words, rings)."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings as hsettings, strategies as st

from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import Contact, CounterIds, Send
from bot.services import childcare as cc
from bot.store.contacts import view
from bot.store.memory import MemoryStore
from support import NOW, PARENT, TZ, flowset

ROSA, LUIS, WEN = "+14155550101", "+14155550102", "+14155550103"
HELPERS = [ROSA, LUIS, WEN]
FAR = "+14155550201"  # a vetted helper of another area
COORD = "+14155550199"
PICKUP = NOW + timedelta(hours=1)


def line() -> MemoryStore:
    """A parent (Eastside, one child), three vetted Eastside helpers, one in
    Westside, and the Eastside coordinator."""
    store = MemoryStore()
    store.upsert_contact(PARENT, roles=["parent"], lang="en", name="Maria Lopez", area="Eastside")
    for number, lang, name in ((ROSA, "en", "Rosa Diaz"), (LUIS, "es", "Luis"), (WEN, "en", "Wen")):
        store.upsert_contact(number, roles=["helper"], lang=lang, name=name, area="Eastside", vetted=True)
    store.upsert_contact(FAR, roles=["helper"], lang="en", name="Pat", area="Westside", vetted=True)
    store.upsert_contact(COORD, roles=["coordinator"], lang="en", name="Cora", area="Eastside")
    store.add_record(cc.CHILD, {"id": "k1", "parent": PARENT, "name": "Ana", "age": 7, "place": "Lincoln School"})
    return store


def ctx(store, who: str = PARENT, now: datetime = NOW, ids=None, **settings) -> ActionContext:
    rec = store.get_contact(who)
    if ids is None:  # one id counter per line, like the live line's ids
        ids = store.__dict__.setdefault("_test_ids", CounterIds())
    return ActionContext(view(rec) if rec else Contact(who), store, flowset().catalog, now, ids,
                         {k: str(v) for k, v in settings.items()})


def run(name: str, store, who: str, params: dict | None = None, now: datetime = NOW, **settings):
    return load()[name].run(ctx(store, who, now, **settings), params or {})


def sends(result) -> list[tuple[str, str]]:
    return [(e.to, e.key) for e in result.effects if isinstance(e, Send)]


def texts(result) -> dict[str, str]:
    return {e.to: e.text for e in result.effects if isinstance(e, Send)}


def request(store, pickup: datetime = PICKUP, now: datetime = NOW, **settings) -> dict:
    """A parent's request, as the flow's send state makes it; returns the record."""
    made = run("childcare_request", store, PARENT, {"child_name": "Ana", "child_age": 7, "place": "Lincoln School",
                                                    "pickup_at": pickup}, now, **settings)
    return store.get_record(cc.REQUEST, made.data["id"])


# ---------------------------------------------------------------- the module's own pieces
@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_a_code_is_read_from_any_text_safely(text):
    code = cc.code_in(text)
    assert code == "" or (code.isdigit() and code in text)


def test_codes_are_read_the_usual_ways():
    assert [cc.code_in(t) for t in ("482", " #482 ", "482 please", "", None, "abc")] == ["482"] * 3 + [""] * 3


def test_new_codes_are_three_digits_and_unique_among_live_requests():
    store = line()
    codes = set()
    for i in range(30):
        code = cc.new_code(store, f"cc{i % 3}")  # the same ids again: the code still differs
        store.add_record(cc.REQUEST, {"id": f"r{i}", "code": code, "status": cc.OPEN})
        codes.add(code)
    assert len(codes) == 30 and all(len(c) == 3 and c.isdigit() for c in codes)


def test_a_code_comes_free_again_once_its_request_is_over():
    store = line()
    first = cc.new_code(store, "cc1")
    store.add_record(cc.REQUEST, {"id": "r1", "code": first, "status": cc.SAFE})
    assert cc.new_code(store, "cc1") == first


def test_code_words_come_from_the_parents_language():
    cat = flowset().catalog
    assert cc.codeword(cat, "es", "cc1") in cat.words("es", "childcare.codewords")
    assert cc.codeword(cat, "en", "cc1") in cat.words("en", "childcare.codewords")
    assert len({cc.codeword(cat, "en", f"cc{i}") for i in range(40)}) > 5


def test_month_start_rolls_over_the_year():
    dec = datetime(2026, 12, 15, 18, 30, tzinfo=TZ)
    assert cc.month_start(dec, 1) == datetime(2027, 1, 1, 10, 0, tzinfo=TZ)
    assert cc.month_start(dec, -1) == datetime(2026, 11, 1, 10, 0, tzinfo=TZ)
    assert cc.month_start(datetime(2026, 1, 3, tzinfo=TZ), -1) == datetime(2025, 12, 1, 10, 0, tzinfo=TZ)


def test_the_first_ring_is_trusted_then_same_area_and_never_unvetted_off_duty_or_the_parent():
    store = line()
    store.upsert_contact(PARENT, trusted_helpers=[FAR], roles=["parent", "helper"], vetted=True)
    store.upsert_contact(ROSA, on_duty=False)
    store.upsert_contact(LUIS, vetted=False)
    req = {"id": "r1", "parent": PARENT, "area": "Eastside", "asked": [], "pickup_at": PICKUP}
    assert cc.next_ring(ctx(store), req) == [FAR, WEN]


def test_wider_rings_take_other_areas_and_fewest_helps_first():
    store = line()
    store.upsert_contact(ROSA, helped_count=5)
    c = ctx(store, CHILDCARE_RING_SIZE=2)
    req = {"id": "r1", "parent": PARENT, "area": "Eastside", "asked": [], "pickup_at": PICKUP}
    assert cc.next_ring(c, req) == [LUIS, WEN]
    assert cc.next_ring(c, {**req, "asked": [LUIS, WEN]}) == [ROSA, FAR]
    assert cc.next_ring(c, {**req, "asked": [LUIS, WEN, ROSA, FAR]}) == []


def test_with_nobody_in_the_area_the_first_ring_goes_wide():
    store = line()
    req = {"id": "r1", "parent": PARENT, "area": "Northside", "asked": [], "pickup_at": PICKUP}
    assert len(cc.next_ring(ctx(store), req)) == 3


def test_a_booked_helper_is_busy_only_at_overlapping_times():
    store = line()
    store.add_record(cc.REQUEST, {"id": "r0", "status": cc.COVERED, "helper": ROSA, "pickup_at": PICKUP})
    c = ctx(store)
    assert cc.busy(c, ROSA, {"id": "r1", "pickup_at": PICKUP + timedelta(minutes=30)})
    assert not cc.busy(c, ROSA, {"id": "r1", "pickup_at": PICKUP + timedelta(hours=3)})
    assert not cc.busy(ctx(store, CHILDCARE_BOOKING_MINUTES=20), ROSA,
                       {"id": "r1", "pickup_at": PICKUP + timedelta(minutes=30)})


def test_settings_have_defaults_and_ignore_nonsense():
    store = line()
    assert cc.setting(ctx(store), "CHILDCARE_RING_SIZE") == 3
    assert cc.setting(ctx(store, CHILDCARE_RING_SIZE="x"), "CHILDCARE_RING_SIZE") == 3
    assert cc.setting(ctx(store, CHILDCARE_RING_SIZE="0"), "CHILDCARE_RING_SIZE") == 3
    assert cc.setting(ctx(store, CHILDCARE_RING_MINUTES="7"), "CHILDCARE_RING_MINUTES") == 7


def test_a_claimed_decision_survives_a_ring_job_rewriting_the_request():
    store = line()
    req = request(store)
    assert cc.decide(ctx(store, ROSA), req, ROSA)
    store.put_record(cc.REQUEST, req["id"], {**req, "ring": 2})  # a racing ring job's stale write
    got = cc.load(store, req["id"])
    assert (got["status"], got["helper"]) == (cc.COVERED, ROSA)
    assert not cc.decide(ctx(store, LUIS), req, LUIS)
