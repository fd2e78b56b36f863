"""The coordinator's pages in Spanish: from the browser's Accept-Language, or
?lang=es (remembered); every string of the pages in both locales."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from web_support import login, token_of

ROOT = Path(__file__).resolve().parent.parent.parent
WEB = ROOT / "bot" / "web"
ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def web_keys(lang: str) -> set[str]:
    def flat(tree, prefix=""):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from flat(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}"

    data = yaml.safe_load((ROOT / "locales" / f"{lang}.yaml").read_text(encoding="utf-8"))
    return set(flat(data["web"]))


def used_keys() -> set[str]:
    """Every literal key the pages and views pass to t()."""
    found = set()
    for path in list(WEB.glob("*.py")) + list((WEB / "templates").glob("*.html")):
        found |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    return found


def test_both_locales_have_the_same_web_strings():
    assert web_keys("en") == web_keys("es")


def test_every_string_the_pages_use_is_in_the_locales():
    from bot.web.board import SECTIONS

    keys = {k for k in used_keys() if not k.endswith(("_", "."))}  # "board.h_" + name: checked below
    keys |= {f"board.h_{h}" for _, _, headers, _, _ in SECTIONS for h in headers}
    keys |= {title for _, title, _, _, _ in SECTIONS}
    assert not keys - web_keys("en")
    assert len(keys) > 100  # the scan found the pages' strings


def test_every_role_and_channel_has_a_name():
    from bot.store.contacts import ROLES
    from bot.web.simulator import CHANNELS

    keys = web_keys("es")
    assert {f"role.{r}" for r in ROLES} <= keys and {f"sim.channel_{c}" for c in CHANNELS} <= keys


def test_the_login_page_follows_the_browser(make_app):
    client = make_app().test_client()
    page = client.get("/admin/login", headers=ES).text
    assert '<html lang="es">' in page and "Acceso de coordinación" in page and "Contraseña" in page
    assert "Password" not in page
    english = make_app().test_client().get("/admin/login", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="en">' in english and "Coordinator login" in english


def test_a_wrong_password_is_told_in_spanish(make_app):
    client = make_app().test_client()
    page = client.get("/admin/login", headers=ES)
    res = client.post("/admin/login", data={"csrf_token": token_of(page.text), "password": "no"}, headers=ES)
    assert res.status_code == 401 and "Contraseña incorrecta." in res.text


@pytest.mark.parametrize("path, spanish", [
    ("/admin/members", ["Miembros", "Verificado", "Capacitado", "Ayuda dada", "Guardar miembro", "Importar un CSV"]),
    ("/admin/board", ["Tablero en vivo", "Pedidos de cuidado infantil", "Avisos escolares", "Nada por ahora."]),
    ("/admin/messages", ["Mensajes", "No hay mensajes."]),
    ("/admin/flows", ["Flujos", "Guiones de prueba"]),
    ("/admin/rights", ["Derechos de datos", "Borrar a un miembro"]),
    ("/simulator", ["Configurar este teléfono", "Mostrar como", "Pantalla USSD", "Enviar"]),
])
def test_the_pages_in_spanish(admin, path, spanish):
    app, client, _ = admin
    page = client.get(path, headers=ES).text
    for words in spanish:
        assert words in page, words
    assert "Cerrar sesión" in page and "Tablero" in page  # the shared layout


def test_the_language_switch_sticks_for_the_session(admin):
    app, client, _ = admin
    page = client.get("/admin/board").text
    assert 'href="/admin/board?lang=es"' in page and "Live board" in page
    assert "Tablero en vivo" in client.get("/admin/board?lang=es").text
    assert "Ayuda dada" in client.get("/admin/members").text
    assert "Miembros" in client.get("/admin/members", headers={"Accept-Language": "en"}).text  # the choice wins
    assert "Members" in client.get("/admin/members?lang=en").text
    assert "?lang=xx" not in client.get("/admin/members?lang=xx").text  # an unknown language changes nothing
    # the switch keeps the page's other arguments (a filter, a lookup)
    page = client.get("/admin/members?role=helper&pseudonym=3310&lang=en").text
    assert 'href="/admin/members?role=helper&amp;pseudonym=3310&amp;lang=es"' in page


def test_flash_messages_are_in_the_page_language(admin):
    app, client, token = admin
    client.get("/admin/members?lang=es")
    client.post("/admin/members/add", data={"csrf_token": token, "number": "+14155550177", "roles": ["helper"]})
    assert "Añadido •••0177." in client.get("/admin/members").text


def test_the_board_speaks_spanish_about_timers(admin):
    from datetime import datetime, timedelta, timezone

    app, client, _ = admin
    now = datetime.now(timezone.utc)
    store = app.extensions["vecina"].store
    store.put_record("childcare.request", "R1", {
        "id": "R1", "code": "K1", "status": "open", "parent": "+14155550188", "pickup_at": now + timedelta(hours=1),
        "asked": [], "helper": None, "created_at": now})
    for job, minutes in (("ring", 5), ("pickup", 60), ("expire", 90)):  # as the request schedules them
        key = f"job:childcare.{job}:R1"
        store.add_timer(key, key, now + timedelta(minutes=minutes), f"childcare_{job}", {"request": "R1"})
    page = client.get("/admin/board?lang=es").text
    assert "próxima ronda" in page and "control de recogida" in page and "vence" in page and "abierta" in page


def test_the_simulator_scripts_words_come_from_the_page(admin):
    app, client, _ = admin
    page = client.get("/simulator?lang=es").text
    assert 'data-t-play="Actuar como"' in page and 'data-t-phone-is="Este teléfono es {number}."' in page
    assert login  # the shared helpers load
