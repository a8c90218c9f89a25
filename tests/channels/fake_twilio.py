"""A small fake Twilio REST API on 127.0.0.1 for tests with the real twilio client.

POST /2010-04-01/Accounts/{sid}/Messages.json answers 201 {sid, status} (HTTP Basic auth
checked), records the form fields, and can fail the next N sends with a given HTTP status and
Twilio error code, or hold every send (a hanging API); GET on it lists the accepted messages (filters To and From, newest first). Media files registered with `add_media` are served at
/2010-04-01/Accounts/{sid}/Messages/{MM}/Media/{ME}, also behind Basic auth.
"""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict[str, str]] = field(default_factory=list)  # successful sends, in order
    attempts: int = 0
    downloads: list[str] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[tuple[int, int] | None] = []  # the next sends' fate: None succeeds
        self._media: dict[str, tuple[str, bytes]] = {}
        self._sids = itertools.count(1)
        self._created: dict[str, str] = {}  # sid → date_created (RFC 2822, as Twilio writes it)
        self._gate = threading.Event()
        self._gate.set()
        self.waiting = 0  # sends held at the gate (`hold`)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def hold(self) -> None:
        """Keep every send waiting (a hanging API) until `release`."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def fail_next(self, n: int, status: int = 500, code: int = 20500, after: int = 0) -> None:
        """Fail `n` sends, once `after` more have gone through."""
        with self._lock:
            self._failures += [None] * after + [(status, code)] * n

    def media_url(self, name: str) -> str:
        """The address Twilio would post in MediaUrl0 (api.twilio.com; the app rewrites it to this fake)."""
        return f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Messages/MM{'1' * 32}/Media/{name}"

    def add_media(self, name: str, content_type: str, data: bytes) -> str:
        self._media[name] = (content_type, data)
        return self.media_url(name)

    def sent_to(self, to: str) -> list[dict[str, str]]:
        with self._lock:
            return [m for m in self.messages if m.get("To") == to]

    def wait_for(self, count: int = 1, timeout: float = 10.0, to: str | None = None) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent_to(to) if to else list(self.messages)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"fake Twilio got {len(self.messages)} messages, wanted {count}")

    def _authorised(self, header: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == expected

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not self._gate.is_set():
            with self._lock:
                self.waiting += 1
            self._gate.wait()
            with self._lock:
                self.waiting -= 1
        with self._lock:
            self.attempts += 1
            failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                status, code = failure
                return status, {"code": code, "message": "fake failure", "more_info": "", "status": status}
            sid = f"SM{next(self._sids):032x}"
            self.messages.append({**form, "Sid": sid})
            self._created[sid] = email.utils.formatdate(usegmt=True)
        return 201, self._resource({**form, "Sid": sid})

    def _resource(self, message: dict[str, str]) -> dict[str, Any]:
        sid = message["Sid"]
        return {"sid": sid, "status": "queued", "account_sid": self.account_sid, "to": message.get("To"),
                "from": message.get("From"), "body": message.get("Body", ""), "num_segments": "1",
                "date_created": self._created[sid], "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"}

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            found = [m for m in reversed(self.messages)
                     if all(m.get(k) == query[k] for k in ("To", "From") if k in query)]
        size = int(query.get("PageSize", 50))
        return {"messages": [self._resource(m) for m in found[:size]], "page": 0, "page_size": size,
                "next_page_uri": None, "previous_page_uri": None, "first_page_uri": None, "uri": ""}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real API: the client reuses its connections

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, body: dict[str, Any]) -> None:
                self._send(status, json.dumps(body).encode())

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not fake._authorised(self.headers.get("Authorization")):
                    self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                if self.path != prefix + "Messages.json":
                    self._json(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
                if len(raw) < int(self.headers.get("Content-Length") or 0) or "To" not in form:
                    # a sender killed mid-request: Twilio answers 400 and sends nothing
                    self._json(400, {"code": 21604, "message": "'To' is required", "status": 400})
                    return
                self._json(*fake._create(form))

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path == "/_fake/stats":  # for a fake running in another process (benchmarks)
                    self._json(200, {"messages": len(fake.messages), "attempts": fake.attempts})
                    return
                if not fake._authorised(self.headers.get("Authorization")):
                    self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                if path == prefix + "Messages.json":
                    self._json(200, fake._list(dict(urllib.parse.parse_qsl(query))))
                    return
                name = path.rsplit("/", 1)[-1]
                if not path.startswith(prefix) or "/Media/" not in path or name not in fake._media:
                    self._json(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                with fake._lock:
                    fake.downloads.append(name)
                content_type, data = fake._media[name]
                self._send(200, data, content_type)

        return Handler
