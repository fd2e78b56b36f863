"""vecina members and vecina outbox, on the embedded SQLite store."""
import json


def test_add_list_update_remove(cli):
    out = cli("members", "add", "(415) 555-2671", "--role", "helper", "--name", "Rosa", "--area", "Eastside",
              "--vetted", "--lang", "es")
    assert out.exit_code == 0 and "added +14155552671" in out.output
    rows = json.loads(cli("members", "list", "--json").output)
    assert rows[0]["id"] == "+14155552671" and rows[0]["vetted"] is True and rows[0]["roles"] == ["helper"]
    again = cli("members", "add", "+1 415 555 2671", "--role", "helper", "--role", "parent")
    assert "updated" in again.output
    assert json.loads(cli("members", "list", "--role", "parent", "--json").output)[0]["name"] == "Rosa"
    assert cli("members", "remove", "415-555-2671").exit_code == 0
    assert json.loads(cli("members", "list", "--json").output) == []


def test_bad_number_or_role_is_a_clear_error(cli):
    out = cli("members", "add", "12", "--role", "helper")
    assert out.exit_code != 0 and "phone number" in out.output


def test_import_keeps_good_rows_reports_bad_ones_by_line_and_updates_on_reimport(cli, tmp_path):
    csv = tmp_path / "roster.csv"
    csv.write_text("number,roles,name,lang,area,vetted\n"
                   "415-555-2671,helper,Rosa,es,Eastside,yes\n"
                   "not a number,helper,X,en,,\n"
                   "+1 415 555 2672,parent;helper,Ana,en,Eastside,\n"
                   "415 555 2673,wizard,Merlin,en,,\n")
    out = cli("members", "import", str(csv))
    assert out.exit_code == 1
    assert "2 added, 0 updated, 2 bad rows" in out.output
    assert "roster.csv:3:" in out.output and "roster.csv:5: unknown role 'wizard'" in out.output
    again = cli("members", "import", str(csv))
    assert "0 added, 2 updated" in again.output
    assert len(json.loads(cli("members", "list", "--json").output)) == 2


def test_outbox_lists_recorded_messages_as_json(cli, tmp_path):

    from bot.config import from_env
    from bot.runtime import build
    from bot.pipeline import Inbound

    rt = build(from_env(), start_jobs=False)
    rt.pipeline.inbound(Inbound("sms", "SM1", "+14155552671", "hola"))
    rt.outbox.run_once()
    lines = cli("outbox", "--json", "--to", "(415) 555-2671").output.strip().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["status"] for r in rows] == ["recorded", "recorded"]
    assert {"to", "channel", "text", "status", "created_at"} <= set(rows[0])
    assert rows[0]["text"].startswith("Bienvenido")
    assert cli("outbox", "--failed", "--json").output.strip() == ""


def test_remove_waits_for_a_step_of_theirs_running_now_and_leaves_none_of_it(cli):
    import threading

    from bot.engine.model import Session

    assert cli("members", "add", "415-555-2671", "--role", "parent").exit_code == 0
    store, held, done = cli.store(), threading.Event(), threading.Event()
    number = "+14155552671"

    def their_step():  # a message of theirs being answered while the coordinator removes them
        with store.contact_lock(number):
            held.set()
            done.wait(0.3)
            store.save_session(Session(contact=number, flow="childcare", state="name"))

    t = threading.Thread(target=their_step)
    t.start()
    held.wait(5)
    out = cli("members", "remove", "415-555-2671")
    t.join()
    assert out.exit_code == 0 and "removed +14155552671" in out.output
    assert store.get_contact(number) is None and store.get_session(number) is None
