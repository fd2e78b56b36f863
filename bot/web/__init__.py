"""The Flask application: ``create_app(test_config=None)``, no module-level app.

``TRUSTED_PROXIES`` (env, or the app's test config): how many reverse proxies
stand in front of the app. Behind them every request comes from the proxy's
address, so the login limit (per client address) would be shared by everyone
and the simulator's "only from this machine" check would pass for anyone;
with ``TRUSTED_PROXIES=N`` werkzeug's ProxyFix takes the client's address,
scheme and host from the last N ``X-Forwarded-For``/``-Proto``/``-Host``
values. 0 (the default) trusts no such header: set it only when a proxy is
there (one that overwrites them), or anyone could claim any address.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask, current_app, jsonify
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import from_env
from ..pipeline import Inbound


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    test_config = dict(test_config or {})
    cfg = test_config.pop("VECINA_CONFIG", None) or from_env()
    app.config.update(SECRET_KEY=cfg.secret_key or None, MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(test_config)
    proxies = trusted_proxies(test_config.get("TRUSTED_PROXIES", os.environ.get("TRUSTED_PROXIES")))
    from .. import runtime as rt_mod

    rt = test_config.get("VECINA_RUNTIME") or rt_mod.build(cfg, store=test_config.get("VECINA_STORE"),
                                                             start_jobs=test_config.get("VECINA_JOBS", True))
    app.extensions["vecina"] = rt

    @app.get("/healthz")
    def healthz():
        ok = False
        try:
            ok = bool(rt.store.ping())
        except Exception:
            ok = False
        return jsonify(ok=ok, profile="scaled" if cfg.redis_url else "embedded"), (200 if ok else 503)

    from ..channels import init_app as init_channels

    init_channels(app, rt)
    from .pages import init_app as init_pages

    init_pages(app, rt)  # /simulator and /admin (bot/web/pages.py)
    if proxies:  # last: around the channels' lean routes too (bot/web/lean_routes.py)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def trusted_proxies(value: Any) -> int:
    """``TRUSTED_PROXIES`` as a count (empty: 0); anything else stops the start."""
    text = str(value if value is not None else "").strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) > 10:
        raise ValueError(f"TRUSTED_PROXIES must be a number of proxies from 0 to 10, not {text!r}")
    return int(text)


def runtime():
    """The runtime of the current app (for views)."""
    return current_app.extensions["vecina"]


def accept(msg: Inbound, rt=None):
    """The internal entry point every channel adapter (and the simulator)
    uses; ``rt``: the runtime, when the caller has it already."""
    return (rt or runtime()).pipeline.inbound(msg)
