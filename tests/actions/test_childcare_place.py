from hypothesis import given, settings, strategies as st

from test_childcare_support import PARENT, line, run


def test_one_keeps_the_known_place_and_anything_else_is_the_new_place():
    store = line()
    assert run("childcare_place", store, PARENT, {"answer": "1", "known": "Lincoln School"}).data["place"] == \
        "Lincoln School"
    assert run("childcare_place", store, PARENT, {"answer": "uno", "known": "Lincoln School"}).data["place"] == \
        "Lincoln School"
    assert run("childcare_place", store, PARENT, {"answer": "  Grandma's   house ", "known": "Lincoln School"}) \
        .data["place"] == "Grandma's house"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_answer_gives_a_short_place(text):
    place = run("childcare_place", line(), PARENT, {"answer": text, "known": "Lincoln School"}).data["place"]
    assert place and len(place) <= 80 and "\n" not in place
