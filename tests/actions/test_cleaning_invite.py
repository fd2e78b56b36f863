from bot.actions import load
from bot.actions.base import ActionContext
from bot.engine.model import CounterIds, Send, UpdateContact
from bot.store.contacts import view
from bot.store.memory import MemoryStore
from support import NOW, flowset

ACTION = load()["cleaning_invite"]
CLIENT, CLEANER, COORD = "+14155550101", "+14155550202", "+14155550303"


def ctx(store, who=CLIENT):
    return ActionContext(view(store.get_contact(who)), store, flowset().catalog, NOW, CounterIds())


def store():
    s = MemoryStore()
    s.upsert_contact(CLIENT, roles=["client"], lang="en", name="Ana Ruiz")
    s.upsert_contact(COORD, roles=["coordinator"], lang="en", name="Coco")
    return s


def texts(result):
    return [e for e in result.effects if isinstance(e, Send)]


def test_a_client_invites_a_cleaner_who_gets_a_code_and_never_the_number():
    s = store()
    result = ACTION.run(ctx(s), {"cleaner": CLEANER})
    assert result.result == "invited"
    job = s.find_records("cleaning.job", client=CLIENT)[0]
    assert job["status"] == "pending" and job["cleaner"] == CLEANER and len(job["code"]) == 3
    to_cleaner = [m for m in texts(result) if m.to == CLEANER][0]
    assert "Ana" in to_cleaner.text and f"ACCEPT {job['code']}" in to_cleaner.text
    assert all(CLIENT not in m.text and CLEANER not in m.text for m in texts(result))
    cleaner = s.get_contact(CLEANER)
    assert "cleaner" in cleaner["roles"] and cleaner["lang"] == "en"  # unknown language: the line's own
    assert UpdateContact(CLIENT, {"roles": ["client"], "cleaning_job": job["id"]}) in result.effects


def test_an_invited_spanish_speaker_is_written_to_in_spanish():
    s = store()
    s.upsert_contact(CLEANER, lang="es", name="Rosa")
    result = ACTION.run(ctx(s), {"cleaner": CLEANER})
    assert [m for m in texts(result) if m.to == CLEANER][0].text.startswith("Ana le pide limpiar")


def test_own_number_is_refused():
    s = store()
    result = ACTION.run(ctx(s), {"cleaner": CLIENT})
    assert result.result == "same" and s.find_records("cleaning.job") == []


def test_a_client_with_an_open_job_is_told_so():
    s = store()
    ACTION.run(ctx(s), {"cleaner": CLEANER})
    s.upsert_contact(CLIENT, cleaning_job=s.find_records("cleaning.job")[0]["id"])
    result = ACTION.run(ctx(s), {"cleaner": "+14155550404"})
    assert result.result == "busy" and len(s.find_records("cleaning.job")) == 1


def test_a_coordinator_pairs_two_members():
    s = store()
    result = ACTION.run(ctx(s, COORD), {"client": CLIENT, "cleaner": CLEANER})
    assert result.result == "invited"
    job = s.find_records("cleaning.job")[0]
    assert job["client"] == CLIENT
    assert {m.to for m in texts(result)} == {COORD, CLEANER, CLIENT}


def test_missing_numbers_are_a_bad_number():
    assert ACTION.run(ctx(store()), {"cleaner": ""}).result == "bad_number"
