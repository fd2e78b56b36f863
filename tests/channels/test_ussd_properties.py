"""Whatever Africa's Talking (or anyone) posts to /ussd: never a 5xx, and a 200
is always a CON/END screen within 182 characters."""
import shutil
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.ussd_screens import BODY_MAX, Labels, nav_lines, paginate, split_history, units
from bot.config import Config
from bot.engine.render import USSD_SCREEN_MAX
from support import ROOT

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NUMBERS = [f"+1415555{n:04d}" for n in range(100, 106)]
BUSY = "END Sorry, the line is busy"

inputs = st.one_of(
    st.sampled_from(["", "1", "2", "3", "4", "9", "0", "00", "98", "99", "000", " 98 ", "STOP", "START", "MENU",
                     "HELP", "LANG", "ESPAÑOL", "PROFILE", "Ana", "Eastside", "🙂", "*"]),
    st.text(max_size=12),
    st.text(alphabet="0123456789*#", max_size=8),
    st.text(min_size=150, max_size=600),
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from app import create_app

    tmp = tmp_path_factory.mktemp("ussd")
    flows = tmp / "flows"
    shutil.copytree(ROOT / "flows", flows)
    app = create_app({"VECINA_CONFIG": Config(db_path=str(tmp / "v.db"), flows_dir=str(flows)),
                      "VECINA_JOBS": False, "TESTING": True})
    return app.test_client()


def check(res):
    assert res.status_code < 500
    body = res.get_data(as_text=True)
    if res.status_code == 200:
        assert body[:4] in ("CON ", "END "), body
        assert len(body) <= USSD_SCREEN_MAX and units(body) <= USSD_SCREEN_MAX, (len(body), body)
        assert not body.startswith(BUSY), "an exception was swallowed: see the log"
    return body


@SETTINGS
@given(number=st.sampled_from(NUMBERS), typed=st.lists(inputs, max_size=8), retries=st.lists(st.booleans(), max_size=8))
def test_a_session_of_random_inputs_is_always_a_screen(client, number, typed, retries):
    session = f"S{uuid.uuid4().hex}"
    history: list[str] = []

    def post(text):
        return check(client.post("/ussd", data={"sessionId": session, "serviceCode": "*384#", "phoneNumber": number,
                                                "networkCode": "63902", "text": text}))

    first = post("")
    for i, value in enumerate(typed):
        history.append(value)
        shown = post("*".join(history))
        if i < len(retries) and retries[i]:
            assert post("*".join(history)) == shown  # a retry: the same screen
    assert first


@SETTINGS
@given(number=st.sampled_from(NUMBERS), texts=st.lists(st.text(max_size=300), min_size=1, max_size=5))
def test_histories_that_jump_around_are_still_screens(client, number, texts):
    session = f"S{uuid.uuid4().hex}"
    for text in texts:
        check(client.post("/ussd", data={"sessionId": session, "serviceCode": "*384#", "phoneNumber": number,
                                         "networkCode": "63902", "text": text}))


fields = st.dictionaries(
    st.sampled_from(["sessionId", "serviceCode", "phoneNumber", "networkCode", "text", "other"]),
    st.one_of(st.text(max_size=40), st.sampled_from(NUMBERS + ["", "0", "98"]), st.text(min_size=500, max_size=3000)),
)


@SETTINGS
@given(data=fields)
def test_random_fields_never_make_a_server_error(client, data):
    res = client.post("/ussd", data=data)
    check(res)
    if not {"sessionId", "serviceCode", "phoneNumber", "text"} <= set(data):
        assert res.status_code == 400


# ------------------------------------------------------------------ paging alone
label = st.text(max_size=30)


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=2000), labels=st.builds(Labels, label, label, label), final=st.booleans())
def test_pages_fit_and_keep_every_character_in_order(text, labels, final):
    pages = paginate(text, labels, final)
    clipped = labels.clipped()
    bodies = []
    for i, page in enumerate(pages):
        assert units(page) <= BODY_MAX
        last = i == len(pages) - 1
        nav = [] if final and last else nav_lines(clipped, not last, i > 0)
        tail = "\n".join(nav)
        assert page.endswith(tail)
        bodies.append(page[:len(page) - len(tail)] if tail else page)
    squeeze = lambda s: "".join(s.split())  # noqa: E731  (paging may only move whitespace)
    assert squeeze("".join(bodies)) == squeeze(text)


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="*"), max_size=5), min_size=1, max_size=10))
def test_the_history_splits_back_into_what_was_typed(typed):
    joined = "*".join(typed)
    assert split_history(joined) == (typed if joined else [])  # one empty input reads as none
