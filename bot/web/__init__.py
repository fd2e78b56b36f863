"""The Flask application: ``create_app(test_config=None)``, no module-level app."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, current_app, jsonify

from ..config import from_env
from ..pipeline import Inbound


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    test_config = dict(test_config or {})
    cfg = test_config.pop("VECINA_CONFIG", None) or from_env()
    app.config.update(SECRET_KEY=cfg.secret_key or None, MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(test_config)
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
    return app


def runtime():
    """The runtime of the current app (for views)."""
    return current_app.extensions["vecina"]


def accept(msg: Inbound):
    """The internal entry point every channel adapter (and the simulator) uses."""
    return runtime().pipeline.inbound(msg)
