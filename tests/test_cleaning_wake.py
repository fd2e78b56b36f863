"""A job text that reaches the other side puts them in the job's conversation,
so their plain answer is a note back, not the main menu; someone busy in
another conversation is left where they are."""
from bot.store.memory import MemoryStore
from support import NOW, conductor

CLIENT, CLEANER = "+14155550101", "+14155550202"


def line():
    store = MemoryStore()
    store.upsert_contact(CLIENT, roles=["client", "parent"], lang="en", name="Ana", cleaning_job="cj1")
    store.upsert_contact(CLEANER, roles=["cleaner"], lang="en", name="Rosa", cleaning_job="cj1")
    store.put_record("cleaning.job", "cj1", {"id": "cj1", "client": CLIENT, "cleaner": CLEANER, "status": "active",
                                             "client_lang": "en", "cleaner_lang": "en", "code": "100",
                                             "created_at": NOW.isoformat(), "list_sent": True})
    c = conductor(store)

    class Line:
        @staticmethod
        def message(who, text, now):  # a text, then the events it addressed to others (as the pipeline does)
            out = c.message(who, text, now)
            out.sent += c.fire_timers(now).sent
            return out

        event = staticmethod(c.event)
    return store, Line()


def test_a_note_wakes_the_other_side_silently_and_their_answer_goes_back():
    store, c = line()
    c.message(CLEANER, "HERE", NOW)
    out = c.message(CLEANER, "The key is under the mat", NOW)
    assert [(m["to"], m["text"]) for m in out.sent if m["to"] == CLIENT] == [(CLIENT, "Rosa: The key is under the mat")]
    session = store.get_session(CLIENT)
    assert (session.flow, session.state) == ("cleaning_job", "listen")
    back = c.message(CLIENT, "Thanks, got it", NOW)
    assert [m["text"] for m in back.sent if m["to"] == CLEANER] == ["Ana: Thanks, got it"]


def test_someone_busy_elsewhere_keeps_their_conversation():
    store, c = line()
    c.message(CLIENT, "NANNY", NOW)  # the client is asking for childcare
    before = store.get_session(CLIENT)
    c.message(CLEANER, "HERE", NOW)
    c.message(CLEANER, "The key is under the mat", NOW)
    after = store.get_session(CLIENT)
    assert (after.flow, after.state) == (before.flow, before.state) == ("childcare", before.state)


def test_the_line_starts_a_flow_only_at_a_state_it_names_as_an_entry():
    store, c = line()
    c.event(CLIENT, "start:cleaning_job", {"state": "pay"}, NOW)  # not an entry: the flow's own start instead
    assert store.get_session(CLIENT).state != "pay"
