"""A small fake Telegram Bot API on 127.0.0.1 for tests with the real python-telegram-bot.

Serves POST /bot<token>/<method> (form-encoded or JSON, as PTB sends them) and
GET /file/bot<token>/<path>. Records every call; can fail the next N calls (HTTP 500) or
answer them 429 with retry_after; queues updates for getUpdates (polling). Forum topics keep
their name and open/closed state (`topics`); `manage_topics=False` takes the bot's right to
manage topics away: creating, editing, closing and reopening them are refused.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_ID = 4242


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    def json(self, name: str) -> Any:
        """A parameter PTB JSON-encoded (reply_markup, …)."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Failure:
    status: int
    retry_after: int | None = None
    description: str = "Internal Server Error"
    methods: tuple[str, ...] | None = None
    match: dict[str, Any] = field(default_factory=dict)  # only calls with these parameters


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token_abc"
    forum: bool = True
    manage_topics: bool = True
    members: dict[int, str] = field(default_factory=dict)  # user id -> status (default "left")
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file_id -> (path, bytes)
    calls: list[Call] = field(default_factory=list)
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)  # thread id -> {"name", "closed"}

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._failures: list[_Failure] = []
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1000)
        self._thread_ids = itertools.count(500)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control --

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, n: int, status: int = 500, methods: tuple[str, ...] | None = ("sendMessage",),
                  **match: Any) -> None:
        with self._lock:
            self._failures += [_Failure(status, methods=methods, match=match) for _ in range(n)]

    def rate_limit_next(self, n: int, retry_after: int = 1, methods: tuple[str, ...] | None = ("sendMessage",)) -> None:
        with self._lock:
            self._failures += [_Failure(429, retry_after, f"Too Many Requests: retry after {retry_after}", methods)
                               for _ in range(n)]

    def queue_update(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def of(self, method: str, **match: Any) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method
                    and all(str(c.params.get(k)) == str(v) for k, v in match.items())]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0, **match: Any) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method, **match)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"fake Telegram: {method} {match} called {len(self.of(method, **match))} times, "
                             f"wanted {count}; calls: {[c.method for c in self.calls]}")

    # -- the API --

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(method, params))
            for i, failure in enumerate(self._failures):
                if ((failure.methods is None or method in failure.methods)
                        and all(str(params.get(k)) == str(v) for k, v in failure.match.items())):
                    del self._failures[i]
                    body: dict[str, Any] = {"ok": False, "error_code": failure.status,
                                            "description": failure.description}
                    if failure.retry_after is not None:
                        body["parameters"] = {"retry_after": failure.retry_after}
                    return failure.status, body
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        try:
            return 200, {"ok": True, "result": handler(params)}
        except _ApiError as exc:
            return exc.status, {"ok": False, "error_code": exc.status, "description": exc.description}

    def _api_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Helpdesk", "username": "helpdesk_test_bot",
                "can_join_groups": True, "can_read_all_group_messages": True, "supports_inline_queries": False}

    def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        if not str(p.get("text", "")).strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(p["text"]) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        if p.get("message_thread_id") and chat_id < 0 and not self.forum:
            raise _ApiError(400, "Bad Request: message thread not found")
        msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                               "from": {"id": BOT_ID, "is_bot": True, "first_name": "Helpdesk"}, "text": p["text"]}
        if p.get("message_thread_id"):
            msg["message_thread_id"] = int(p["message_thread_id"])
            msg["is_topic_message"] = True
        return msg

    def _api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        return True

    def _api_createForumTopic(self, p: dict[str, Any]) -> dict[str, Any]:
        if not self.forum:
            raise _ApiError(400, "Bad Request: the chat is not a forum")
        if not self.manage_topics:
            raise _ApiError(400, "Bad Request: not enough rights to create a topic")
        thread_id = next(self._thread_ids)
        with self._lock:
            self.topics[thread_id] = {"name": p["name"], "closed": False}
        return {"message_thread_id": thread_id, "name": p["name"], "icon_color": 7322096}

    def _topic(self, p: dict[str, Any]) -> dict[str, Any]:
        if not self.forum:
            raise _ApiError(400, "Bad Request: the chat is not a forum")
        topic = self.topics.get(int(p["message_thread_id"]))
        if topic is None:
            raise _ApiError(400, "Bad Request: message thread not found")
        if not self.manage_topics:
            raise _ApiError(400, "Bad Request: not enough rights to manage topics")
        return topic

    def _api_editForumTopic(self, p: dict[str, Any]) -> bool:
        with self._lock:
            topic = self._topic(p)
            if p.get("name") in (None, topic["name"]):
                raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
            topic["name"] = p["name"]
        return True

    def _api_closeForumTopic(self, p: dict[str, Any]) -> bool:
        return self._set_closed(p, True)

    def _api_reopenForumTopic(self, p: dict[str, Any]) -> bool:
        return self._set_closed(p, False)

    def _set_closed(self, p: dict[str, Any], closed: bool) -> bool:
        with self._lock:
            topic = self._topic(p)
            if topic["closed"] == closed:
                raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
            topic["closed"] = closed
        return True

    def _api_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        user_id = int(p["user_id"])
        status = self.members.get(user_id, "left")
        member: dict[str, Any] = {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": "U"}}
        if status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                           "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
                           "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                           "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
                           "can_manage_topics": True})
        if status == "creator":
            member["is_anonymous"] = False
        return member

    def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        wait = min(float(p.get("timeout") or 0), 0.3)  # short: tests must not wait on long polls
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait:
                self._lock.wait(wait)
            return list(self._updates)

    def _api_setWebhook(self, p: dict[str, Any]) -> bool:
        return True

    def _api_deleteWebhook(self, p: dict[str, Any]) -> bool:
        return True

    def _api_getFile(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = p["file_id"]
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data), "file_path": path}

    # -- HTTP --

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                if len(parts) != 2 or parts[0] != f"bot{fake.token}":
                    self._send(401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}')
                    return
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ctype = (self.headers.get("Content-Type") or "").split(";")[0]
                if ctype == "application/json":
                    params = json.loads(raw or b"{}")
                else:
                    params = dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
                status, body = fake._answer(parts[1], params)
                self._send(status, json.dumps(body).encode())

            def do_GET(self) -> None:
                prefix = f"/file/bot{fake.token}/"
                path = urllib.parse.unquote(self.path.split("?", 1)[0])
                if not path.startswith(prefix):
                    self._send(404, b"not found", "text/plain")
                    return
                with fake._lock:
                    fake.calls.append(Call("download", {"path": path[len(prefix):]}))
                for file_path, data in fake.files.values():
                    if file_path == path[len(prefix):]:
                        self._send(200, data, "application/octet-stream")
                        return
                self._send(404, b"not found", "text/plain")

        return Handler


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# -- update builders ----------------------------------------------------------------------------------------

_update_ids = itertools.count(10_000)
_message_ids = itertools.count(1)


def user(user_id: int, name: str = "Siti") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name}


def message_update(chat_id: int, text: str | None = None, *, user_id: int | None = None,
                   chat_type: str = "private", message_id: int | None = None, update_id: int | None = None,
                   **extra: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "supergroup":
        chat.update({"title": "Petugas", "is_forum": True})
    msg: dict[str, Any] = {"message_id": message_id or next(_message_ids), "date": int(time.time()), "chat": chat,
                           "from": user(user_id or chat_id)}
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    msg.update(extra)
    return {"update_id": update_id or next(_update_ids), "message": msg}


def callback_update(chat_id: int, data: str, *, update_id: int | None = None) -> dict[str, Any]:
    return {"update_id": update_id or next(_update_ids),
            "callback_query": {"id": f"cq{next(_message_ids)}", "from": user(chat_id), "chat_instance": "ci",
                               "data": data,
                               "message": {"message_id": next(_message_ids), "date": int(time.time()),
                                           "chat": {"id": chat_id, "type": "private"}, "text": "menu"}}}
