"""Lean routes (bot/web/lean_routes.py): webhooks answered in front of Flask
keep what Flask would have given them: limits, 405, error handling, and the
proxy middleware around them."""
from __future__ import annotations

import logging

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import Conflict
from werkzeug.wrappers import Response

from bot.config import Config
from bot.web.lean_routes import lean_route

RUNTIME = object()  # what the app holds at extensions["vecina"]; a lean view gets it


def small_app(**config) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.extensions["vecina"] = RUNTIME

    @app.post("/flask")
    def through_flask():
        return "flask", 200

    def echo(req, rt):
        assert rt is RUNTIME
        return Response(f"{req.method} {req.path} {req.get_data(as_text=True)}", mimetype="text/plain")

    def refuse(req, rt):
        raise Conflict("taken")

    def broken(req, rt):
        raise RuntimeError("a bug in a view")

    lean_route(app, "/echo", echo, methods=("POST", "put"))
    lean_route(app, "/refuse", refuse)
    lean_route(app, "/broken", broken)
    return app


def test_a_lean_view_answers_its_path_and_methods_and_flask_keeps_the_rest():
    client = small_app().test_client()
    assert client.post("/echo", data=b"hi").get_data(as_text=True) == "POST /echo hi"
    assert client.put("/echo", data=b"there").get_data(as_text=True) == "PUT /echo there"
    assert client.post("/flask").get_data(as_text=True) == "flask"
    assert client.post("/echo/").status_code == 404  # exact paths only, as the Flask rule would be
    assert client.post("/nowhere").status_code == 404


def test_a_method_the_path_does_not_serve_is_405_and_options_answers_as_flask_does():
    client = small_app().test_client()
    res = client.get("/echo")
    assert res.status_code == 405
    assert set(res.headers["Allow"].split(", ")) == {"OPTIONS", "POST", "PUT"}
    res = client.options("/echo")
    assert res.status_code == 200
    assert set(res.headers["Allow"].split(", ")) == {"OPTIONS", "POST", "PUT"}
    assert set(client.options("/flask").headers["Allow"].split(", ")) == {"OPTIONS", "POST"}


def test_the_apps_max_content_length_is_a_413_as_read_at_each_request():
    app = small_app(MAX_CONTENT_LENGTH=64)
    client = app.test_client()
    assert client.post("/echo", data=b"x" * 64).status_code == 200
    assert client.post("/echo", data=b"x" * 65).status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 1024
    assert client.post("/echo", data=b"x" * 65).status_code == 200


def test_an_http_exception_raised_in_a_view_is_its_answer():
    res = small_app().test_client().post("/refuse")
    assert res.status_code == 409
    assert "taken" in res.get_data(as_text=True)


def test_an_error_in_a_view_is_logged_and_answered_500(caplog):
    client = small_app().test_client()
    with caplog.at_level(logging.ERROR, logger="bot.web.lean_routes"):
        res = client.post("/broken")
    assert res.status_code == 500
    failures = [r for r in caplog.records if "POST /broken" in r.getMessage()]
    assert failures and failures[0].exc_info[0] is RuntimeError


@pytest.mark.parametrize("config", [{"TESTING": True}, {"DEBUG": True}, {"PROPAGATE_EXCEPTIONS": True}])
def test_an_error_in_a_view_is_raised_where_flask_would_raise_it(config):
    with pytest.raises(RuntimeError, match="a bug in a view"):
        small_app(**config).test_client().post("/broken")


def test_propagate_exceptions_false_answers_500_even_when_testing():
    res = small_app(TESTING=True, PROPAGATE_EXCEPTIONS=False).test_client().post("/broken")
    assert res.status_code == 500


def test_a_path_and_method_get_one_lean_view_only():
    app = small_app()
    with pytest.raises(ValueError, match="POST /echo has a lean view already"):
        lean_route(app, "/echo", lambda req, rt: Response(), methods=("post",))


@pytest.mark.parametrize("proxies, status", [("1", 200), ("", 403)])
def test_behind_a_trusted_proxy_twilio_signs_the_url_the_proxy_was_called_on(tmp_path, proxies, status):
    """ProxyFix wraps the lean routes too: without PUBLIC_URL, the URL whose
    signature is checked is the one the proxy forwarded, only when it is trusted."""
    from app import create_app

    token = "proxy-test-token"
    cfg = Config(db_path=str(tmp_path / "vecina.db"), twilio_auth_token=token, public_url="")
    app = create_app({"VECINA_CONFIG": cfg, "VECINA_JOBS": False, "TESTING": True, "TRUSTED_PROXIES": proxies})
    form = {"MessageSid": "SMproxy1", "From": "+14155552671", "To": "+15005550006", "Body": "hola"}
    signature = RequestValidator(token).compute_signature("https://line.example.org/sms/twilio", form)
    res = app.test_client().post("/sms/twilio", data=form, headers={
        "X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org",
        "X-Forwarded-For": "203.0.113.5"})
    assert res.status_code == status
