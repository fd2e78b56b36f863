from bot.engine.model import UpdateContact
from test_childcare_support import FAR, PARENT, ROSA, line, run


def test_trusted_helpers_are_kept_once_each():
    store = line()
    store.upsert_contact(PARENT, trusted_helpers=[ROSA])
    got = run("childcare_trust", store, PARENT, {"number": FAR})
    assert UpdateContact(PARENT, {"trusted_helpers": [ROSA, FAR]}) in got.effects
    again = run("childcare_trust", store, PARENT, {"number": ROSA})
    assert UpdateContact(PARENT, {"trusted_helpers": [ROSA]}) in again.effects


def test_not_my_own_number():
    assert run("childcare_trust", line(), PARENT, {"number": PARENT}).result == "self"
