"""The coordinator's web in a real browser: headless Chromium driven by Selenium.

Debian's ``chromium`` and ``chromium-driver`` (``scripts/ensure-chromium.sh``,
run by ``make test``). Without them the test is skipped on a laptop and FAILS
in CI (``CI=true``): a browser test that silently never runs is no test.
"""
from __future__ import annotations

import os
import shutil
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from web_support import PASSWORD

PHONE = "+14155550100"


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: CI must run the browser test (scripts/ensure-chromium.sh installs it)")
    pytest.skip(reason)


@pytest.fixture
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        _missing("chromium and chromedriver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1200,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def served(make_app):
    """The app on a free port in a thread, with its jobs thread (the outbox) running."""
    from werkzeug.serving import make_server

    app = make_app(password=PASSWORD, jobs=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_log_in_open_the_board_and_play_a_conversation(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    app, base = served
    now = datetime.now(timezone.utc)
    app.extensions["vecina"].store.put_record("childcare.request", "R1", {
        "id": "R1", "code": "K7", "status": "open", "child_name": "Leo", "place": "Lincoln School",
        "pickup_at": now + timedelta(hours=1), "area": "Eastside", "asked": [], "created_at": now})
    wait = WebDriverWait(browser, 15)

    # login, then the board
    browser.get(f"{base}/admin/board")
    assert "/admin/login" in browser.current_url
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.ID, "login").click()
    assert "Wrong password" in wait.until(EC.presence_of_element_located((By.ID, "login-error"))).text
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    wait.until(EC.url_contains("/admin/board"))
    board = browser.find_element(By.ID, "board-childcare-request").text
    assert "K7" in board and "Leo" in board and "Lincoln School" in board

    # the simulator, as a Telegram phone
    browser.get(f"{base}/simulator?number={quote(PHONE)}&channel=telegram")
    box = wait.until(EC.element_to_be_clickable((By.ID, "text")))
    box.send_keys("hola")
    browser.find_element(By.ID, "send").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "chat"), "Bienvenido a Vecina"))
    assert "hola" in browser.find_element(By.CSS_SELECTOR, "#chat .msg.you").text
    button = wait.until(EC.element_to_be_clickable(
        (By.XPATH, "//div[@id='chat']//button[contains(@class,'tg-button') and normalize-space()='Mis datos']")))
    button.click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "chat"), "Tus datos"))

    # the same conversation as a USSD screen, within 182 characters
    Select(browser.find_element(By.ID, "channel")).select_by_value("ussd")
    screen = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#chat .ussd-screen")))
    assert screen.text.startswith(("CON", "END"))
    screens = [s.text for s in browser.find_elements(By.CSS_SELECTOR, "#chat .ussd-screen")]
    assert all(len(s) <= 182 for s in screens) and any("1. Nombre" in s for s in screens)

    # the line really recorded those messages, through the outbox
    rows = app.extensions["vecina"].store.list_outbound(to=PHONE)
    assert [m["key"] for m in rows][:2] == ["main.welcome", "main.menu"]
