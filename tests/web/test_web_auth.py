"""Login, the session cookie, CSRF and the login rate limit."""
from __future__ import annotations

import pytest

from web_support import PASSWORD, login, token_of

ADMIN_PAGES = ["/admin", "/admin/board", "/admin/flows", "/admin/flows/main", "/admin/members",
               "/admin/messages", "/admin/rights"]
ADMIN_POSTS = ["/admin/members/add", "/admin/members/import", "/admin/members/abc/vet", "/admin/members/abc/train",
               "/admin/members/abc/suspend",
               "/admin/rights/export", "/admin/rights/erase"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_redirect_to_login_without_a_session(make_app, path):
    res = make_app().test_client().get(path)
    assert res.status_code == 302 and res.headers["Location"].startswith("/admin/login?next=")


@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_admin_posts_are_401_without_a_session(make_app, path):
    client = make_app().test_client()
    token = token_of(client.get("/admin/login").text)
    assert client.post(path, data={"csrf_token": token}).status_code == 401


def test_the_right_password_logs_in_and_lands_on_next(make_app):
    client = make_app().test_client()
    page = client.get("/admin/login?next=/admin/messages")
    assert 'value="/admin/messages"' in page.text
    res = client.post("/admin/login", data={"csrf_token": token_of(page.text), "password": PASSWORD,
                                            "next": "/admin/messages"})
    assert res.status_code == 302 and res.headers["Location"] == "/admin/messages"
    assert client.get("/admin/messages").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example/x",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_site(make_app, target):
    client = make_app().test_client()
    token = token_of(client.get("/admin/login").text)
    res = client.post("/admin/login", data={"csrf_token": token, "password": PASSWORD, "next": target})
    assert res.status_code == 302 and res.headers["Location"] == "/admin/board"


def test_a_wrong_password_is_refused(make_app):
    client = make_app().test_client()
    res = login(client, "wrong")
    assert res.status_code == 401 and "Wrong password" in res.text
    assert client.get("/admin/board").status_code == 302


def test_the_cookie_is_httponly_and_samesite_lax(make_app):
    client = make_app().test_client()
    res = login(client)
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_cookie_is_secure_behind_an_https_public_url(make_app, line):
    from dataclasses import replace

    client = make_app(cfg=replace(line, public_url="https://line.example.org")).test_client()
    assert "Secure" in login(client).headers["Set-Cookie"]


def test_the_password_is_kept_only_hashed(make_app):
    app = make_app()
    assert PASSWORD not in repr(dict(app.config))
    assert app.config["ADMIN_PASSWORD_HASH"].startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_login_without_the_right_csrf_token_is_400(make_app, token):
    client = make_app().test_client()
    client.get("/admin/login")
    data = {"password": PASSWORD} | ({"csrf_token": token} if token is not None else {})
    assert client.post("/admin/login", data=data).status_code == 400
    assert client.get("/admin/board").status_code == 302


def test_admin_forms_without_the_csrf_token_are_400(admin):
    app, client, token = admin
    assert client.post("/admin/members/add", data={"number": "+14155550123", "roles": "helper"}).status_code == 400
    assert client.post("/admin/members/add", data={"number": "+14155550123", "roles": "helper",
                                                   "csrf_token": token + "x"}).status_code == 400
    assert app.extensions["vecina"].store.get_contact("+14155550123") is None


def test_a_token_from_another_session_does_not_work(make_app):
    app = make_app()
    one, two = app.test_client(), app.test_client()
    login(one)
    login(two)
    foreign = token_of(two.get("/admin/members").text)
    assert one.post("/admin/members/add", data={"number": "+14155550123", "roles": "helper",
                                                "csrf_token": foreign}).status_code == 400


def test_logout_ends_the_session(admin):
    app, client, token = admin
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/board").status_code == 302


def test_login_attempts_are_rate_limited_per_ip(make_app):
    client = make_app(LOGIN_INTERVAL=60.0, LOGIN_BURST=3).test_client()
    codes = [login(client, "guess").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    res = login(client)  # even the right password waits its turn
    assert res.status_code == 429 and int(res.headers["Retry-After"]) > 0
    page = client.get("/admin/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    res = client.post("/admin/login", data={"csrf_token": token_of(page.text), "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert res.status_code == 302


def test_without_admin_password_login_is_off(make_app):
    client = make_app(password=None).test_client()
    page = client.get("/admin/login")
    assert "ADMIN_PASSWORD" in page.text
    res = client.post("/admin/login", data={"csrf_token": token_of(page.text), "password": ""})
    assert res.status_code == 403
    assert client.get("/admin/board").status_code == 302


def test_a_random_secret_key_is_made_on_the_embedded_profile(make_app, line, caplog):
    from dataclasses import replace

    with caplog.at_level("WARNING"):
        app = make_app(cfg=replace(line, secret_key=""))
    assert app.secret_key and len(app.secret_key) >= 32
    assert "SECRET_KEY is not set" in caplog.text
    assert login(app.test_client()).status_code == 302


def test_a_configured_secret_key_is_used(make_app, line):
    from dataclasses import replace

    app = make_app(cfg=replace(line, secret_key="s3cret-from-env"))
    assert app.secret_key == "s3cret-from-env"


def test_the_scaled_profile_needs_a_shared_secret_key_to_log_in(make_app, line):
    import uuid
    from dataclasses import replace

    from stores import REDIS_URL

    app = make_app(cfg=replace(line, redis_url=REDIS_URL, redis_prefix=f"t{uuid.uuid4().hex[:8]}", secret_key=""),
                   password=None)
    client = app.test_client()
    assert not app.secret_key
    assert client.get("/simulator").status_code == 302  # not open on the scaled profile
    page = client.get("/admin/login")
    assert "SECRET_KEY" in page.text
    assert client.post("/admin/login", data={"password": "x"}).status_code == 503


def test_pages_load_only_from_this_site_and_are_not_cached(admin):
    app, client, _ = admin
    for path in ("/admin/login", "/simulator", "/admin/board", "/simulator/feed.json"):
        res = client.get(path)
        assert "default-src 'self'" in res.headers["Content-Security-Policy"], path
        assert res.headers["X-Frame-Options"] == "DENY" and res.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in client.get("/healthz").headers


# ------------------------------------------------------------------ behind a reverse proxy
def attempts(client, forwarded_for: str, n: int, password: str = "guess") -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    codes = []
    for _ in range(n):
        page = client.get("/admin/login", headers=headers)
        codes.append(client.post("/admin/login", data={"csrf_token": token_of(page.text), "password": password},
                                 headers=headers).status_code)
    return codes


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(make_app):
    proxy = {"REMOTE_ADDR": "127.0.0.1"}  # every request reaches the app from the proxy
    client = make_app(LOGIN_INTERVAL=60.0, LOGIN_BURST=2, TRUSTED_PROXIES="1").test_client()
    client.environ_base.update(proxy)
    assert attempts(client, "203.0.113.5", 3) == [401, 401, 429]
    assert attempts(client, "198.51.100.7", 1, PASSWORD) == [302]  # another client is not held back
    # a client cannot dodge its limit by adding addresses of its own: the proxy's (last) entry counts
    assert attempts(client, "10.9.9.9, 203.0.113.5", 1) == [429]


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app):
    client = make_app(LOGIN_INTERVAL=60.0, LOGIN_BURST=2).test_client()
    assert attempts(client, "203.0.113.5", 2) == [401, 401]
    assert attempts(client, "198.51.100.7", 1) == [429]  # one address for all: the header changes nothing


def test_a_trusted_proxy_also_gives_the_scheme_and_host(make_app):
    from flask import request

    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()

    @app.get("/_where")
    def _where():
        return f"{request.remote_addr} {request.scheme} {request.host}"

    res = client.get("/_where", headers={"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https",
                                         "X-Forwarded-Host": "line.example.org"})
    assert res.text == "203.0.113.5 https line.example.org"


@pytest.mark.parametrize("value", ["yes", "-1", "1.5", "99"])
def test_a_bad_trusted_proxies_value_stops_the_start(make_app, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES=value)


def test_the_simulator_is_not_open_to_a_client_behind_a_trusted_proxy(make_app):
    """With no ADMIN_PASSWORD the simulator is open from this machine only; a
    proxy on this machine must not make every client look local."""
    client = make_app(password=None, TRUSTED_PROXIES="1").test_client()
    client.environ_base.update({"REMOTE_ADDR": "127.0.0.1"})
    assert client.get("/simulator", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 302
    assert client.get("/simulator").status_code == 200
