"""The web chat at /try: the embedded default channel.

The server issues each browser a random session secret in an HttpOnly, SameSite=Strict cookie
scoped to /try; it never travels in a URL or a body, and scripts cannot read it. The contact
is keyed by the secret's SHA-256, so a copy of the database does not open anyone's chat. The
page shows the conversation from the database, so a reload or a later visit brings back the
history, and an officer's answer written later arrives through the same polling.

No cookie is set until the person sends something: opening the page writes nothing.

Floods: new sessions and the cases they open are counted per client address, per session and
service-wide (`limits.webchat` in config.yaml). Nobody is refused and every reply goes out,
emergency guidance included; a case opened over a limit is flagged "kemungkinan spam" for
the supervisors (storage.case_spam.flag_suspected_spam), so fake emergencies cannot push a real
one off the console's first page. The counting is in bot/web/webchat_floods.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid
from typing import Annotated, Any, Sequence

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.auth import secure_cookies
from bot.web.webchat_floods import FloodGuard, watch_floods
from flows import phrases
from flows.messages import Inbound
from storage import contacts, repo, transcripts
from storage.db import read_session, unit_of_work
from storage.ids import saved_id
from storage.models import MessageLog, utcnow

COOKIE = "mc_webchat"
COOKIE_PATH = "/try"  # the page and its API; no other path of the site receives the secret
TOKEN_RX = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32): 256 bits
MAX_TEXT = 4000
WELCOME_BUTTONS = [{"label": b.label, "payload": b.payload} for b in phrases.MAIN_MENU_BUTTONS]

router = APIRouter()
log = logging.getLogger(__name__)


class WebMessage(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    # the browser's id of this message: a retried POST of it is handled once
    message_id: str = Field(default="", max_length=64)
    # the last message the browser shows; the answer carries everything after it
    after: int = Field(default=0, ge=0, le=2**31 - 1)


def _service(request: Request) -> Any:
    return request.app.state.service


Service = Annotated[Any, Depends(_service)]


def _address(token: str) -> str:
    """The contact's address: the secret's hash, never the secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def _current(request: Request, service: Any) -> str | None:
    """The browser's live session secret: one this server issued whose chat has not gone idle."""
    token = request.cookies.get(COOKIE, "")
    if not TOKEN_RX.match(token):
        return None
    address = _address(token)
    with read_session(service.db) as s:
        contact = contacts.by_urn(s, urn=f"web:{address}")
        # a secret with no contact was not issued here (the first message creates the contact)
        if contact is None:
            return None
        idle = dt.timedelta(minutes=service.settings.webchat.session_idle_minutes)
        if utcnow() - transcripts.last_activity(s, contact=contact) > idle:
            return None
        return token


def _keep_cookie(request: Request, response: Response, token: str) -> None:
    # The server decides when the session is over (_current): an officer's answer written while
    # the tab is closed keeps the chat open, which a browser-side idle timer cannot know. So the
    # cookie lives as long as the messages are kept, and a dead one is deleted on the next visit.
    days = request.app.state.service.settings.privacy.retention_days
    response.set_cookie(COOKIE, token, max_age=days * 86400, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=secure_cookies(request))


def _as_json(rows: Sequence[MessageLog], offered: list[dict[str, str]] | None) -> list[dict[str, Any]]:
    """Rows as the page draws them. A pressed button was stored as its payload: show its label.

    `offered`: the buttons on screen before the first row; None means the page's welcome menu.
    """
    shown: list[dict[str, Any]] = []
    offered = WELCOME_BUTTONS if offered is None else offered
    for row in rows:
        if row.direction == "in":
            label = next((b["label"] for b in offered if b["payload"] == row.text), row.text)
            shown.append({"id": row.id, "from": "user", "text": label})
        else:
            # officers' usernames stay inside: the person sees "Petugas"
            who = "officer" if row.author.startswith("officer:") else "bot"
            shown.append({"id": row.id, "from": who, "text": row.text, "buttons": row.buttons})
            offered = row.buttons
    return shown


def _transcript(service: Any, address: str, after: int) -> list[dict[str, Any]]:
    """The messages after `after`; replies fetched here count as delivered (the console shows it)."""
    with read_session(service.db) as s:
        contact = contacts.by_urn(s, urn=f"web:{address}")
        if contact is None or contact.id is None:
            return []
        contact_id = contact.id
        rows = transcripts.messages(s, contact_id=contact_id, after_id=after)
        offered = None
        if rows and rows[0].direction == "in":  # its button, if it pressed one, was offered before
            offered = transcripts.buttons_before(s, contact_id=contact_id, before_id=saved_id(rows[0].id))
        unshown = transcripts.unshown_outbox_ids(s, log_ids=[saved_id(r.id) for r in rows if r.direction == "out"])
    if unshown:  # only then take the write lock: idle polling must not queue behind webhooks
        with unit_of_work(service.db) as s:
            repo.mark_sent(s, outbox_ids=unshown, status="delivered")
    return _as_json(rows, offered)




# --- routes --------------------------------------------------------------------------------------


@router.get("/try", response_class=HTMLResponse)
def chat_page(request: Request, service: Service) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, "webchat.html", {
        "service_name": service.settings.service.name, "welcome": phrases.greeting(service.settings.service.name),
        "buttons": WELCOME_BUTTONS})


@router.post("/try/api/messages")
def send(message: WebMessage, request: Request, response: Response, service: Service) -> dict:
    current = _current(request, service)
    new_session = current is None
    token = current or secrets.token_urlsafe(32)
    address = _address(token)
    # scoped to this session, so one browser's ids can never mark another person's message a duplicate
    message_ref = f"{address[:16]}:{message.message_id or uuid.uuid4().hex}"
    handled = service.engine.handle(Inbound("web", address, message_ref, message.text))
    with unit_of_work(service.db) as s:
        repo.mark_sent(s, outbox_ids=handled.outbox_ids, status="delivered")
    watch_floods(request, service, address=address, new_session=new_session, handled=handled)
    _keep_cookie(request, response, token)
    return {"duplicate": handled.duplicate, "new_session": new_session,
            "messages": _transcript(service, address, 0 if new_session else message.after),
            # the engine's answer to this message alone (scripts and tests read it)
            "replies": [{"id": i, "text": r.text, "buttons": [{"label": b.label, "payload": b.payload}
                                                               for b in r.buttons]}
                        for i, r in zip(handled.outbox_ids, handled.replies, strict=True)]}


@router.get("/try/api/messages")
def poll(request: Request, response: Response, service: Service, after: int = Query(default=0, ge=0, le=2**31 - 1)) -> dict:
    """The conversation after message `after` (0: the history); officer answers arrive this way."""
    token = _current(request, service)
    if token is None:
        if COOKIE not in request.cookies:
            return {"messages": []}
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return {"messages": [], "expired": True}  # the page clears what it shows
    _keep_cookie(request, response, token)
    return {"messages": _transcript(service, _address(token), after)}


# The page has no inline script or style; API answers hold a person's messages and must not be
# kept by a shared phone's browser or a proxy.
PAGE_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                 b"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
]
API_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"no-referrer")]


class WebChatHeaders:
    """Security headers on every /try response, errors included. Plain ASGI, like ConsoleHeaders:
    other paths (webhooks) pay nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/try":
            extra = PAGE_HEADERS
        elif path.startswith("/try/api/"):
            extra = API_HEADERS
        else:
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in extra}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    app.state.webchat_flood_guard = FloodGuard(app.state.settings.limits.webchat)
    app.add_middleware(WebChatHeaders)
    app.include_router(router)
