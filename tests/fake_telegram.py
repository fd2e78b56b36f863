"""A small local stand-in for the Telegram Bot API, for tests that drive the
real python-telegram-bot client (no test reaches the internet).

    fake = FakeTelegram(token="123:abc").start()
    Bot("123:abc", base_url=fake.url + "/bot")   # what our sender builds
    fake.calls("sendMessage")                      # [{"chat_id": 42, "text": …}, …]
    fake.fail("sendMessage", "429", retry_after=7) # the next sendMessage gets a 429
    fake.stop()

It answers ``POST /bot<token>/<method>`` with the Bot API's envelope
(``{"ok": true, "result": …}``), parses both JSON and form bodies (PTB posts
forms, nested objects such as ``reply_markup`` as JSON strings), and records
every call. Scripted failures are the answers the sender must tell apart:
429 with ``retry_after``, 403 "bot was blocked by the user", 400, 500.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

JSON_FIELDS = {"reply_markup", "entities", "link_preview_options", "reply_parameters", "allowed_updates"}

FAILURES = {
    "429": lambda ra: (429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {ra}",
                             "parameters": {"retry_after": ra}}),
    "403": lambda ra: (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    "400": lambda ra: (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
    "500": lambda ra: (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
}


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token"):
        self.token = token
        self._calls: list[tuple[str, dict]] = []
        self._failures: dict[str, list[tuple[str, int]]] = {}
        self._lock = threading.Lock()
        self._next_message_id = 1000
        self.delay = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control
    def start(self) -> "FakeTelegram":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                if fake.delay:  # a slow provider, so a test can kill a worker mid-batch
                    time.sleep(fake.delay)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the client died mid-request (a killed worker): like the real
                    return              # API, a request that never fully arrived is not acted on
                status, payload = fake._answer(self.path, self.headers.get("Content-Type", ""), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 5, after: int = 0) -> None:
        """After ``after`` good answers, the next ``times`` calls of ``method``
        get the ``kind`` failure ("429", "403", "400", "500")."""
        with self._lock:
            self._failures.setdefault(method, []).extend([None] * after + [(kind, retry_after)] * times)

    def calls(self, method: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(p) for m, p in self._calls if method is None or m == method]

    def webhook_answer(self, response_json: dict | None) -> None:
        """What Telegram does with a webhook's HTTP answer that names a method
        ("making requests when getting updates"): it runs it, as if posted."""
        if response_json and "method" in response_json:
            params = {k: v for k, v in response_json.items() if k != "method"}
            self._answer(f"/bot{self.token}/{response_json['method']}", "application/json",
                         json.dumps(params).encode())

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    # ---------------------------------------------------------------- the API
    def _answer(self, path: str, content_type: str, body: bytes) -> tuple[int, dict]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):].split("?")[0]
        params = _params(content_type, body)
        with self._lock:
            self._calls.append((method, params))
            queued = self._failures.get(method)
            failure = queued.pop(0) if queued else None
        if failure:
            kind, retry_after = failure
            return FAILURES[kind](retry_after)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": handler(params)}

    def _m_getMe(self, params):  # noqa: N802
        return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Vecina",
                "username": "VecinaTestBot"}

    def _m_sendMessage(self, params):  # noqa: N802
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
        msg = {"message_id": message_id, "date": int(time.time()),
               "chat": {"id": int(params.get("chat_id", 0)), "type": "private"}, "text": params.get("text", "")}
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        return msg

    def _m_answerCallbackQuery(self, params):  # noqa: N802
        return True

    def _m_setWebhook(self, params):  # noqa: N802
        return True

    def _m_editMessageReplyMarkup(self, params):  # noqa: N802
        return True


def _params(content_type: str, body: bytes) -> dict:
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    params: dict = {}
    for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        if key in JSON_FIELDS:
            value = json.loads(value)
        elif key == "chat_id" and value.lstrip("-").isdigit():
            value = int(value)
        params[key] = value
    return params
