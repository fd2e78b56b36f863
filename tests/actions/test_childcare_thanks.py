from test_childcare_support import PARENT, ROSA, line, request, run, sends, texts


def test_thanks_reach_the_helper_once_without_the_parents_number():
    store = line()
    assert run("childcare_thanks", store, PARENT, {"note": "hi"}).result == "none"
    req = request(store)
    run("childcare_accept", store, ROSA, {"code": req["code"]})
    run("childcare_safe", store, ROSA, {"code": ""})
    got = run("childcare_thanks", store, PARENT, {"note": "so much!"})
    assert (got.result, got.data["helper"]) == ("ok", "Rosa")
    assert sends(got) == [(ROSA, "childcare.thanks_note_to_helper")]
    assert texts(got)[ROSA] == "From Ana's family: Thanks so much!" and PARENT not in texts(got)[ROSA]
    assert run("childcare_thanks", store, PARENT, {"note": ""}).result == "none"
