from bot.services.childcare import CHILD
from test_childcare_support import PARENT, line, run


def test_a_child_record_is_written_in_the_documented_shape():
    store = line()
    got = run("childcare_add_child", store, PARENT, {"name": " Leo ", "age": 4, "place": "Oak Daycare"})
    rec = store.get_record(CHILD, got.data["id"])
    assert rec == {"id": got.data["id"], "parent": PARENT, "name": "Leo", "age": 4, "place": "Oak Daycare"}


def test_the_same_name_updates_and_an_empty_name_is_refused():
    store = line()
    got = run("childcare_add_child", store, PARENT, {"name": "ana", "age": 8, "place": "Lincoln"})
    assert got.data["id"] == "k1" and store.get_record(CHILD, "k1")["age"] == 8
    assert run("childcare_add_child", store, PARENT, {"name": "  "}).result == "empty"
