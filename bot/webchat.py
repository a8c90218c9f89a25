"""The web chat at /try: the embedded default channel. The browser polls for replies, so an
officer's answer written later reaches it through the same outbox as the bot's."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from flows.messages import Inbound
from storage import repo
from storage.db import unit_of_work
from storage.models import Contact
from sqlmodel import select

SESSION_RX = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_TEXT = 4000

router = APIRouter()


class WebMessage(BaseModel):
    session: str = Field(min_length=8, max_length=64)
    text: str = Field(default="", max_length=MAX_TEXT)
    message_id: str = Field(default="", max_length=64)


def _service(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.service


def _check_session(session: str) -> str:
    if not SESSION_RX.match(session):
        raise HTTPException(422, "session must be 8-64 letters, digits, '-' or '_'")
    return session


def _rows_json(rows) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{"id": r.id, "text": r.text, "buttons": r.buttons} for r in rows]


@router.get("/try", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "webchat.html", {"service_name": _service(request).settings.service.name})


@router.post("/try/api/messages")
def send(message: WebMessage, service: Annotated[object, Depends(_service)]) -> dict:
    session = _check_session(message.session)
    message_ref = message.message_id or uuid.uuid4().hex
    handled = service.engine.handle(Inbound("web", session, message_ref, message.text))  # type: ignore[attr-defined]
    with unit_of_work(service.db) as s:  # type: ignore[attr-defined]
        repo.mark_sent(s, outbox_ids=handled.outbox_ids, status="delivered")
    return {"duplicate": handled.duplicate,
            "replies": [{"id": i, "text": r.text, "buttons": [{"label": b.label, "payload": b.payload}
                                                               for b in r.buttons]}
                        for i, r in zip(handled.outbox_ids, handled.replies, strict=True)]}


@router.get("/try/api/messages")
def poll(service: Annotated[object, Depends(_service)], session: str = Query(max_length=64),
         after: int = Query(default=0, ge=0)) -> dict:
    """Replies not yet shown in this browser (officer answers arrive this way)."""
    _check_session(session)
    with unit_of_work(service.db) as s:  # type: ignore[attr-defined]
        contact = s.exec(select(Contact).where(Contact.urn == f"web:{session}")).first()
        if contact is None:
            return {"messages": []}
        rows = repo.messages_after(s, contact_id=contact.id, after_id=after)  # type: ignore[arg-type]
        repo.mark_sent(s, outbox_ids=[r.id for r in rows if r.status != "delivered"], status="delivered")  # type: ignore[misc]
        return {"messages": _rows_json(rows)}
