"""The coordinator's pages in the reader's language (English or Spanish).

Strings live in the locales, section ``web:`` of ``locales/<lang>.yaml``, and
are read through the line's catalog (so they reload with the flows). Templates
call ``t("key", name=value)``; views call :func:`t` for their flash messages.

The language of a request: ``?lang=xx`` (remembered in the session, so the
switch in the header sticks), else the one the session remembers, else the
best match of the browser's ``Accept-Language``, else the line's DEFAULT_LANG.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, session


def _catalog():
    cached = g.get("web_catalog")
    if cached is None:
        cached = g.web_catalog = current_app.extensions["vecina"].flows.engine().catalog
    return cached


def langs() -> tuple[str, ...]:
    return tuple(_catalog().langs)


def current_lang() -> str:
    cached = g.get("web_lang")
    if cached:
        return cached
    available = langs()
    keyed = bool(current_app.secret_key)  # no session to remember it in without a key
    asked = request.args.get("lang")
    if asked in available:
        lang = asked
        if keyed and session.get("lang") != asked:
            session["lang"] = asked
    elif keyed and session.get("lang") in available:
        lang = session["lang"]
    else:
        default = current_app.extensions["vecina"].cfg.default_lang
        lang = request.accept_languages.best_match(available) or (default if default in available else available[0])
    g.web_lang = lang
    return lang


def t(key: str, default: str | None = None, **values: Any) -> str:
    """The text at ``web.<key>`` in the request's language; ``default`` (else
    the key itself) when no locale has it: a missing string shows, it never
    breaks a page."""
    catalog = _catalog()
    full = f"web.{key}"
    lang = current_lang()
    if not (catalog.has(lang, full) or catalog.has(catalog.lang_for(None), full)):
        return key if default is None else default
    return catalog.text(lang, full, values)


def lang_name(lang: str) -> str:
    """A language's name in that language ("English", "Español"), for the switch."""
    catalog = _catalog()
    return catalog.text(lang, "web.lang_name") if catalog.has(lang, "web.lang_name") else lang


def lang_url(lang: str) -> str:
    """This page in ``lang``: the same path and query (a member's page, a
    filter), only ``lang`` changed."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", lang)]
    return f"{request.path}?{urlencode(args)}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=t, current_lang=current_lang, web_langs=langs, lang_name=lang_name,
                                 lang_url=lang_url)
