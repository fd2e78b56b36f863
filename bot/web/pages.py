"""The coordinator's web pages: one call from ``create_app`` registers them all."""
from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask, rt: Any) -> None:
    from . import admin, auth, board, i18n, rights, roster, simulator

    i18n.init_app(app)
    auth.init_app(app, rt)  # first: the secret key, cookie flags and template globals the others use
    for module in (simulator, admin, board, roster, rights):
        app.register_blueprint(module.bp)
