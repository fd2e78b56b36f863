"""The coordinator's login, session cookie, CSRF tokens and page guards.

* ``ADMIN_PASSWORD`` (env, or ``ADMIN_PASSWORD`` in the app's test config) is
  hashed with werkzeug at startup; the plain text is not kept.
* Login needs ``SECRET_KEY`` (it signs the session cookie). On the embedded
  profile a missing one is replaced by a random per-process key with a
  warning (logins then end with a restart); on the scaled profile several
  processes must share one, so login is refused until it is set.
* Every form of these pages carries a per-session CSRF token, compared with
  :func:`hmac.compare_digest`; a missing or wrong one is a 400.
* Login attempts are paced per client IP by the store's shared limiter
  (``store.rate_wait``), so every process counts them together: 429 past it.
  Behind a reverse proxy the client's IP comes from ``X-Forwarded-For`` only
  with ``TRUSTED_PROXIES`` set (werkzeug's ProxyFix, bot/web/__init__.py).
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, current_app, redirect, render_template, request, session,
                   url_for)
from werkzeug.security import check_password_hash, generate_password_hash

from .i18n import t

log = logging.getLogger("vecina.web")

bp = Blueprint("auth", __name__, url_prefix="/admin")

LOGIN_INTERVAL = 12.0  # seconds between attempts at the steady rate, per IP
LOGIN_BURST = 5  # attempts that may go back to back


def init_app(app: Flask, rt: Any) -> None:
    password = app.config.pop("ADMIN_PASSWORD", None)
    if password is None:
        password = os.environ.get("ADMIN_PASSWORD", "")
    app.config["ADMIN_PASSWORD_HASH"] = generate_password_hash(password) if password else None
    app.config.setdefault("LOGIN_INTERVAL", LOGIN_INTERVAL)
    app.config.setdefault("LOGIN_BURST", LOGIN_BURST)
    if not app.config.get("SECRET_KEY") and not rt.cfg.redis_url:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        log.warning("SECRET_KEY is not set: using a random key for this process (logins end when it restarts)")
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=rt.cfg.public_url.lower().startswith("https://"))
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["is_admin"] = is_admin
    app.register_blueprint(bp)


# ---------------------------------------------------------------- state
def password_set() -> bool:
    return bool(current_app.config.get("ADMIN_PASSWORD_HASH"))


def can_login() -> bool:
    return password_set() and bool(current_app.secret_key)


def is_admin() -> bool:
    return bool(current_app.secret_key) and session.get("admin") is True


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def simulator_open() -> bool:
    """The simulator needs no login on the embedded profile with no
    ADMIN_PASSWORD, and then only from this machine: its side panes show every
    message the line sends (crisis alerts included), so a line started with
    HOST=0.0.0.0 must not hand them to anyone on the network."""
    rt = current_app.extensions["vecina"]
    if password_set() or rt.cfg.redis_url:
        return False
    return (request.remote_addr or "") in LOOPBACK or (request.remote_addr or "").startswith("127.")


# ---------------------------------------------------------------- CSRF
def csrf_token() -> str:
    if not current_app.secret_key:  # no session without a key: forms then cannot post (login is off)
        return ""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not current_app.secret_key:
        abort(503, "SECRET_KEY is not set")
    expected = session.get("csrf") or ""
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(400, "missing or wrong CSRF token")


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def secure_headers(blueprint: Blueprint) -> None:
    """Pages of these blueprints load only from this site, are never framed
    and never cached (they show members' data)."""

    @blueprint.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def guard(blueprint: Blueprint, open_when: Callable[[], bool] | None = None) -> None:
    """Every request to ``blueprint`` needs a login (unless ``open_when()``) and,
    when it changes something, the CSRF token. Pages redirect to the login;
    JSON and form posts get 401."""

    @blueprint.before_request
    def _guard():
        if not (open_when and open_when()) and not is_admin():
            if request.method == "GET" and not request.path.endswith(".json"):
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401)
        check_csrf()
        return None

    secure_headers(blueprint)


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("board.board")
    return target


# ---------------------------------------------------------------- routes
secure_headers(bp)


@bp.get("/login")
def login():
    return render_template("login.html", error=None, can_login=can_login(), password_set=password_set(),
                           next=request.args.get("next", "")), 200


@bp.post("/login")
def login_post():
    check_csrf()
    rt = current_app.extensions["vecina"]
    now = datetime.now(timezone.utc)
    wait = rt.store.rate_wait(f"login:{request.remote_addr}", float(current_app.config["LOGIN_INTERVAL"]), now,
                              int(current_app.config["LOGIN_BURST"]))
    nxt = request.form.get("next", "")
    if wait:
        page = render_template("login.html", error=t("login.too_many", seconds=int(wait) + 1),
                               can_login=can_login(), password_set=password_set(), next=nxt)
        return page, 429, {"Retry-After": str(int(wait) + 1)}
    if not can_login():
        return render_template("login.html", error=t("login.off"),
                               can_login=False, password_set=password_set(), next=nxt), 403
    given = request.form.get("password", "")
    if not check_password_hash(current_app.config["ADMIN_PASSWORD_HASH"], given):
        log.warning("admin login failed from %s", request.remote_addr)
        return render_template("login.html", error=t("login.wrong"), can_login=True, password_set=True,
                               next=nxt), 401
    session.clear()  # a fresh session (and CSRF token) after login
    session["admin"] = True
    csrf_token()
    return redirect(_safe_next(nxt))


@bp.post("/logout")
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("auth.login"))

