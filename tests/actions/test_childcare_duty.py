from bot.engine.model import UpdateContact
from test_childcare_support import ROSA, line, run


def test_pause_and_resume_set_on_duty():
    store = line()
    off = run("childcare_duty", store, ROSA, {"on_duty": "no"})
    assert UpdateContact(ROSA, {"on_duty": False}) in off.effects
    on = run("childcare_duty", store, ROSA, {"on_duty": "yes"})
    assert UpdateContact(ROSA, {"on_duty": True}) in on.effects and on.data == {"on_duty": True}
