"""A small local LibreTranslate for tests: POST /translate (q, source, target,
format, api_key as query or form fields), answering like the real server
({"translatedText": ...}). ``mode`` switches how it behaves: "ok", "error"
(HTTP 500), "garbage" (not JSON), "empty" ({}), "slow" (sleeps ``delay``
seconds, then answers), "raw" (answers ``raw`` bytes with status 200). Every request is recorded in ``calls``."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeLibreTranslate:
    def __init__(self, translations: dict | None = None):
        self.translations = dict(translations or {})  # (source, target, q) -> text
        self.mode = "ok"
        self.delay = 0.0
        self.raw = b""
        self.calls: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                fields = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                fields.update({k: v[0] for k, v in parse_qs(body).items()})
                fake.calls.append({"path": urlparse(self.path).path, **fields})
                mode = fake.mode
                if mode == "slow":
                    time.sleep(fake.delay)
                if mode == "error":
                    return self._send(500, b'{"error": "boom"}')
                if mode == "garbage":
                    return self._send(200, b"<html>not json</html>", "text/html")
                if mode == "empty":
                    return self._send(200, b"{}")
                if mode == "raw":
                    return self._send(200, fake.raw)
                q, source, target = fields.get("q", ""), fields.get("source"), fields.get("target")
                text = fake.translations.get((source, target, q), f"[{target}] {q}")
                return self._send(200, json.dumps({"translatedText": text}).encode())

            def _send(self, status, payload, ctype="application/json"):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeLibreTranslate":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A URL where nothing listens (connection refused)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"
