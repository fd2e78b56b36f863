"""/admin/members?pseudonym=…: a coordinator maps a pseudonym from an alert
("Volunteer 3310", "Neighbour 4821") to the member, logged in only, and the
lookup is on the audit log under the pseudonym."""
from __future__ import annotations

import re

from bot.web.common import mask

VOLUNTEER, PERSON, OTHER = "+14155550101", "+14155552671", "+14155550102"


def seed(app):
    store = app.extensions["vecina"].store
    store.upsert_contact(VOLUNTEER, lang="en", roles=["peer"], trained=True, name="Marco", peer_pseudonym="3310")
    store.upsert_contact(PERSON, lang="es", pseudonym="4821")
    store.upsert_contact(OTHER, lang="en", roles=["peer"], trained=True, name="Dana", peer_pseudonym="5555",
                         pseudonym="3311")
    return store


def lookup_section(page: str) -> str:
    return re.search(r'<section class="card" id="pseudonym-lookup">.*?</section>', page, re.S).group(0)


def test_a_volunteer_pseudonym_finds_the_member_row(admin):
    app, client, _ = admin
    store = seed(app)
    page = client.get("/admin/members?pseudonym=Volunteer+3310").text
    found = lookup_section(page)
    assert found.count('class="found"') == 1
    assert "Marco" in found and mask(VOLUNTEER) in found and "Volunteer 3310" in found and "peer" in found
    ref = re.search(r'href="#m-(\w+)"', found).group(1)
    assert f'id="m-{ref}"' in page  # the link leads to the row with suspend / trained
    assert VOLUNTEER not in page and "Dana" not in found
    entry = [e for e in store.audit_entries() if e.get("what") == "peer.pseudonym_lookup"]
    assert entry and entry[-1]["contact"] == "peer:3310" and entry[-1]["data"] == {"found": 1}
    assert VOLUNTEER not in repr(entry)


def test_a_neighbour_pseudonym_finds_the_person_in_either_language(admin):
    app, client, _ = admin
    seed(app)
    found = lookup_section(client.get("/admin/members?pseudonym=Vecino%204821&lang=es").text)
    assert found.count('class="found"') == 1 and mask(PERSON) in found
    assert "Vecino 4821 (la persona que pide apoyo)" in found and "(sin nombre)" in found
    en = lookup_section(client.get("/admin/members?pseudonym=4821&lang=en").text)
    assert "Neighbour 4821 (the person asking)" in en and "Find a pseudonym" in en


def test_an_unknown_or_empty_pseudonym_says_so(admin):
    app, client, _ = admin
    seed(app)
    assert "No member has the pseudonym 9999." in lookup_section(
        client.get("/admin/members?pseudonym=9999&lang=en").text)
    assert "Ningún miembro tiene el seudónimo" in lookup_section(
        client.get("/admin/members?pseudonym=nadie&lang=es").text)
    plain = lookup_section(client.get("/admin/members?lang=en").text)
    assert 'class="found"' not in plain and "No member has" not in plain


def test_no_lookup_without_logging_in(make_app):
    app = make_app()
    seed(app)
    client = app.test_client()
    res = client.get("/admin/members?pseudonym=3310")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
    assert "Marco" not in res.text and not [e for e in app.extensions["vecina"].store.audit_entries()
                                            if e.get("what") == "peer.pseudonym_lookup"]
