"""Helpers the web tests share (a module of its own name: ``conftest`` is ambiguous on sys.path)."""
from __future__ import annotations

import re

PASSWORD = "correct horse battery staple"


def token_of(html: str) -> str:
    """The CSRF token a page carries (hidden input or the simulator's data attribute)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'data-csrf="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client, password: str = PASSWORD):
    page = client.get("/admin/login")
    res = client.post("/admin/login", data={"csrf_token": token_of(page.text), "password": password, "next": ""})
    return res
