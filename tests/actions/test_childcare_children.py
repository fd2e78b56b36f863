from bot.services.childcare import CHILD
from test_childcare_support import PARENT, line, run


def test_one_registered_child_is_picked_without_asking():
    result = run("childcare_children", line(), PARENT)
    assert result.result == "one"
    assert (result.data["name"], result.data["age"], result.data["place"], result.data["has_place"]) == \
        ("Ana", 7, "Lincoln School", True)


def test_several_children_are_listed_then_picked_by_number():
    store = line()
    store.add_record(CHILD, {"id": "k2", "parent": PARENT, "name": "Leo", "age": 4, "place": ""})
    listed = run("childcare_children", store, PARENT)
    assert (listed.result, listed.data["list"], listed.data["count"]) == ("many", "1 Ana (7), 2 Leo (4)", 2)
    leo = run("childcare_children", store, PARENT, {"pick": 2})
    assert (leo.result, leo.data["name"], leo.data["has_place"]) == ("one", "Leo", False)
    assert run("childcare_children", store, PARENT, {"pick": 3}).result == "many"


def test_no_children_and_someone_elses_are_not_mine():
    store = line()
    assert run("childcare_children", store, "+14155550999").result == "none"


def test_a_child_handed_over_by_another_flow_skips_the_questions():
    store = line()
    given = run("childcare_children", store, PARENT, {"child_name": "Ana", "child_age": 7, "place": "Juarez School"})
    assert (given.result, given.data["place"]) == ("given_all", "Juarez School")
    assert run("childcare_children", store, PARENT, {"child_name": "Ana", "place": None}).result == "given_name"
    assert run("childcare_children", store, PARENT, {"child_name": "  "}).result == "one"
