"""A small local fake of Twilio's Messages REST API, for driving the real
``twilio.rest.Client`` in tests (never the internet).

    with FakeTwilio(account_sid="AC…", auth_token="…") as fake:
        fake.url                 # -> TWILIO_API_URL
        fake.script.append(Reply(500, {"code": 20500, "message": "boom"}))
        ...
        fake.messages            # every accepted POST's form, in order

It answers ``POST /2010-04-01/Accounts/<sid>/Messages.json`` like Twilio: 401
without the right basic auth, 400 (code 21602/21604) without Body/To, else 201
with a message resource. Scripted replies are used first, one per request.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")


@dataclass
class Reply:
    status: int
    body: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


class FakeTwilio:
    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "secret-token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.script: list[Reply] = []  # answers for the next requests, in order
        self.requests: list[dict] = []  # every request: method, path, form, auth_ok
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                self._answer(fake.handle("POST", self.path, form, self.headers.get("Authorization")))

            def do_GET(self):
                self._answer(fake.handle("GET", self.path, {}, self.headers.get("Authorization")))

            def _answer(self, reply: Reply):
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-twilio", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def messages(self) -> list[dict]:
        """The forms of the messages it accepted (201), in order."""
        return [r["form"] for r in self.requests if r["status"] == 201]

    def _auth_ok(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def handle(self, method: str, path: str, form: dict, auth: str | None) -> Reply:
        with self._lock:
            reply = self._reply(method, path, form, auth)
            self.requests.append({"method": method, "path": path, "form": form, "status": reply.status})
            return reply

    def _reply(self, method: str, path: str, form: dict, auth: str | None) -> Reply:
        match = MESSAGES.match(path.split("?")[0])
        if method != "POST" or not match:
            return Reply(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
        if not self._auth_ok(auth) or match["sid"] != self.account_sid:
            return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if self.script:
            return self.script.pop(0)
        if not form.get("To"):
            return Reply(400, {"code": 21604, "message": "A 'To' phone number is required.", "status": 400})
        if not form.get("Body"):
            return Reply(400, {"code": 21602, "message": "Message body is required.", "status": 400})
        sid = f"SM{next(self._ids):032x}"
        return Reply(201, {"sid": sid, "account_sid": self.account_sid, "to": form["To"],
                           "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
                           "body": form["Body"], "status": "queued", "num_segments": "1",
                           "direction": "outbound-api", "api_version": "2010-04-01",
                           "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"})

    def __enter__(self) -> "FakeTwilio":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
