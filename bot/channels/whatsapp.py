"""WhatsApp through Twilio: the webhook routes and the channel object the lifespan starts.

In: POST /webhooks/whatsapp (form-encoded, `X-Twilio-Signature`; whatsapp_inbound.py). Nothing
is stored before the signature is checked. Then the delivery is stored in the inbox (bot.workers.inbox;
a retried MessageSid is dropped there, also two deliveries at the same moment: the key is
unique) and the webhook answers an empty `<Response/>` at once; the inbox processor runs the
engine, and the replies go through the outbox and `WhatsAppSender` (whatsapp_sender.py: the
sync twilio client in a worker thread, the 24-hour window, held replies). Twilio's delivery
reports arrive at POST /webhooks/whatsapp/status. Media is downloaded by whatsapp_twilio.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from bot.channels import BadWebhook, media_type, read_limited
from bot.channels.whatsapp_inbound import (
    FORM_TYPE,
    MAX_FORM_BYTES,
    MESSAGE_SID,
    FormParams,
    inbound_from_form,
    parse_form,
    signature_ok,
    signed_url,
)
from bot.channels.whatsapp_sender import NOTE_63016, WhatsAppSender
from bot.channels.whatsapp_twilio import TwilioMedia, make_client
from bot.workers.outbox import mark_status
from storage import outbox as outbox_rows

if TYPE_CHECKING:
    from bot.channels.wiring import Runtime

log = logging.getLogger(__name__)

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

router = APIRouter()


def _reject(status: int, reason: str) -> PlainTextResponse:
    log.info("whatsapp webhook rejected: %s %s", status, reason)
    return PlainTextResponse(reason, status_code=status)


async def _signed_form(request: Request, runtime: Runtime) -> FormParams:
    """Content type, size, form syntax, then the signature: nothing of the body is trusted before that."""
    if media_type(request) != FORM_TYPE:
        raise BadWebhook(415, "expected application/x-www-form-urlencoded")
    form = parse_form(await read_limited(request, MAX_FORM_BYTES))
    wa = runtime.whatsapp
    assert wa is not None
    if not signature_ok(wa.validator, signed_url(wa.public_url, request), form,
                        request.headers.get("x-twilio-signature")):
        raise BadWebhook(403, "invalid signature")
    return form


def _runtime(request: Request) -> Runtime | None:
    runtime = getattr(request.app.state, "channels", None)
    return runtime if runtime is not None and runtime.whatsapp is not None else None


@router.post("/webhooks/whatsapp")
async def whatsapp_inbound(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime is None:
        return _reject(503, "whatsapp channel not running")
    try:
        form = await _signed_form(request, runtime)
        inbound = inbound_from_form(form)
    except BadWebhook as exc:
        return _reject(exc.status, str(exc))
    assert runtime.inbox is not None
    try:
        await runtime.inbox.store(inbound)
    except SQLAlchemyError as exc:  # the database is down: Twilio retries the webhook later
        log.error("whatsapp inbound not stored: %s", type(exc).__name__)
        return PlainTextResponse("temporarily unavailable", status_code=503)
    return Response(TWIML_EMPTY, media_type="application/xml")


@router.post("/webhooks/whatsapp/status")
async def whatsapp_status(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime is None:
        return _reject(503, "whatsapp channel not running")
    try:
        form = await _signed_form(request, runtime)
    except BadWebhook as exc:
        return _reject(exc.status, str(exc))
    sid, status, code = form.get("MessageSid"), form.get("MessageStatus").lower(), form.get("ErrorCode")
    if not MESSAGE_SID.match(sid) or not re.fullmatch(r"[a-z_]{1,30}", status) or not re.fullmatch(r"[0-9]{0,10}", code):
        return _reject(400, "MessageSid, MessageStatus or ErrorCode malformed")
    error = NOTE_63016 if code == "63016" else (f"Twilio kode {code}" if code else "")
    if code == "63016":  # the window was closed after all: the text waits for the person's next message
        status = outbox_rows.HELD
    await asyncio.to_thread(mark_status, runtime.service.db, external_id=sid, status=status, error=error)
    return Response(status_code=204)


class WhatsAppChannel:
    """What the routes and the lifespan need: the validator, the public URL, the sender, the media fetcher."""

    def __init__(self, db: Engine, *, account_sid: str, auth_token: str, from_number: str, public_url: str,
                 api_url: str | None, template_sid: str | None, template_variables: dict[str, str]) -> None:
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.client = make_client(account_sid, auth_token, api_url)
        self.sender = WhatsAppSender(db, self.client, from_number,
                                     status_callback=self.public_url + "/webhooks/whatsapp/status",
                                     template_sid=template_sid, template_variables=template_variables)
        self.media = TwilioMedia(account_sid, auth_token, api_url)

    async def close(self) -> None:
        self.sender.close()
        await self.media.close()
