"""Lean routes: provider webhooks answered in front of Flask's dispatch.

A provider's webhook runs once for every message the line receives, and does
little: check a signature, store the message, answer. Flask's request context
around it (URL adapter and match, app context, session, six signals, hooks,
teardown) cost more CPU than that work itself: under gunicorn, serving Twilio's
inbound webhook here instead of through Flask took its workers from ~650–810
to ~560 µs of CPU a request (bench/README.md, "webhook.py").

A lean view is a function ``view(request, runtime) -> Response`` over
werkzeug's own ``Request`` and ``Response``: it reads no Flask global (no
``request``, ``current_app``, ``session``, ``g``) and gets no Flask hook. What
Flask would do for it still holds:

* the app's MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS limit
  the request (413 past them);
* OPTIONS is answered with ``Allow``, and a method the path does not serve
  gets 405 with it;
* an ``HTTPException`` raised in a view is its answer; any other error is
  logged with its traceback and answered 500, or raised where Flask would raise
  it (PROPAGATE_EXCEPTIONS, or TESTING/DEBUG when it is unset).

Every other path goes on to Flask. ``lean_route`` puts the router in front of
Flask's ``wsgi_app`` the first time it is called; middleware that must see
every request (ProxyFix) is wrapped around it afterwards (``create_app``).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

LeanView = Callable[[Request, Any], Response]
EXTENSION = "vecina.lean_routes"


class LeanRoutes:
    """WSGI middleware: exact paths to lean views, by method; other paths to
    the next WSGI app (Flask's)."""

    def __init__(self, flask_app: Any, wsgi_app: Callable):
        self.flask_app = flask_app
        self.next = wsgi_app
        self.views: dict[str, dict[str, LeanView]] = {}

    def add(self, path: str, view: LeanView, methods: tuple[str, ...] = ("POST",)) -> None:
        by_method = self.views.setdefault(path, {})
        for method in map(str.upper, methods):
            if method in by_method:
                raise ValueError(f"{method} {path} has a lean view already: {by_method[method].__qualname__}")
            by_method[method] = view

    def __call__(self, environ: dict, start_response: Callable):
        by_method = self.views.get(environ.get("PATH_INFO", ""))
        if by_method is None:
            return self.next(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        view = by_method.get(method)
        if view is None:
            allowed = sorted({*by_method, "OPTIONS"})
            if method == "OPTIONS":  # as Flask answers it for each of its routes
                return Response(status=200, headers={"Allow": ", ".join(allowed)})(environ, start_response)
            return MethodNotAllowed(valid_methods=allowed)(environ, start_response)
        return self.answer(view, environ)(environ, start_response)

    def answer(self, view: LeanView, environ: dict) -> Callable:
        """What answers the request (a Response or an HTTPException, both WSGI apps)."""
        app = self.flask_app
        config = app.config
        req = Request(environ)
        # Instance attributes over werkzeug's class defaults: the limits Flask's
        # own Request reads from the config through current_app.
        req.max_content_length = config["MAX_CONTENT_LENGTH"]
        req.max_form_memory_size = config["MAX_FORM_MEMORY_SIZE"]
        req.max_form_parts = config["MAX_FORM_PARTS"]
        try:
            return view(req, app.extensions["vecina"])
        except HTTPException as exc:
            return exc
        except Exception:
            propagate = config["PROPAGATE_EXCEPTIONS"]
            if propagate if propagate is not None else (app.testing or app.debug):
                raise
            log.exception("lean view %s failed on %s %s", view.__qualname__, req.method, req.path)
            return InternalServerError()


def lean_route(app: Any, path: str, view: LeanView, methods: tuple[str, ...] = ("POST",)) -> None:
    """Serve ``path`` with ``view`` in front of Flask (module docstring)."""
    routes = app.extensions.get(EXTENSION)
    if routes is None:
        routes = app.extensions[EXTENSION] = LeanRoutes(app, app.wsgi_app)
        app.wsgi_app = routes
    routes.add(path, view, methods)
