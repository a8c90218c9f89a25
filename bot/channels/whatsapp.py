"""WhatsApp through Twilio: signed webhooks in, REST messages out, the 24-hour window in between.

In: POST /webhooks/whatsapp (form-encoded, `X-Twilio-Signature` over HELPDESK_PUBLIC_URL + path +
query, so it validates behind a TLS-terminating proxy). Nothing is stored before the signature
is checked. Then the delivery is stored in the inbox (bot.inbox; a retried MessageSid is
dropped there, also two deliveries at the same moment: the key is unique) and the webhook
answers an empty `<Response/>` at once; the inbox processor runs the engine, and the replies
go through the outbox and `WhatsAppSender` (the sync twilio client in a worker thread).

Out of the window (no message from the person in the last 24 h) WhatsApp accepts only an
approved template. The first such message sends the template (config `whatsapp:`); it and any
later ones get the outbox status "held" (storage/outbox.py; a note in last_error says why, for
the console) and are re-queued as soon as the person writes again (`release_held`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import requests
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator, compare
from twilio.rest import Client

from bot.channels import BadWebhook, media_type, read_limited, split_text
from bot.channels.media import MediaError, accepted, normalise_type
from bot.outbox import OutMessage, SendError, Sent, mark_status
from flows.messages import Button, Inbound, MediaRef, Outbound
from storage import outbox as outbox_rows
from storage import repo
from storage.db import read_session, unit_of_work
from storage.ids import saved_id
from storage.models import Contact, utcnow

if TYPE_CHECKING:
    from bot.channels.wiring import Runtime

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # Twilio rejects a longer Body (errors 21617/21658)
MAX_FORM_BYTES = 64 * 1024  # a real inbound webhook is a few kB
MAX_MEDIA = 10  # WhatsApp sends at most 10 media per message
WINDOW = dt.timedelta(hours=24)
WINDOW_MARGIN = dt.timedelta(minutes=5)  # the clock of Meta and ours may differ a little
CLOCK_SKEW = dt.timedelta(minutes=2)  # Twilio's clock and ours, when matching what it already sent
RELEASE_AGE = dt.timedelta(days=30)
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
FORM_TYPE = "application/x-www-form-urlencoded"

# Shown to officers in the console (outbox.last_error) beside the status "held"; only the status counts.
HELD = "Ditahan: di luar jendela 24 jam WhatsApp"
NOTE_TEMPLATE = HELD + "; template {sid} dikirim, teks asli menyusul setelah pelapor membalas"
NOTE_WAITING = HELD + "; menunggu balasan pelapor atas template, teks asli menyusul"
NOTE_NO_TEMPLATE = HELD + "; belum ada template (whatsapp.template_content_sid), teks asli menyusul setelah pelapor membalas"
NOTE_63016 = HELD + " (Twilio 63016); teks asli menyusul setelah pelapor membalas"
NOTE_FOUND = "Sudah diterima Twilio sebelum proses berhenti; tidak dikirim ulang"
NOTE_RELEASED = "Dikirim ulang sebagai outbox #{id} setelah pelapor membalas (sebelumnya di luar jendela 24 jam)"

_FROM = re.compile(r"^whatsapp:\+?[0-9]{5,20}$")
_SID = re.compile(r"^[A-Za-z0-9]{10,64}$")


# --- the twilio client, pointed at a local fake when HELPDESK_TWILIO_API_URL is set ------------------------


def is_twilio_host(host: str | None) -> bool:
    host = (host or "").lower()
    return host == "twilio.com" or host.endswith(".twilio.com")


def rewrite_twilio_url(url: str, base: str | None) -> str:
    """Send a *.twilio.com URL to `base` instead (tests, a local stand-in); other URLs unchanged."""
    parts = urllib.parse.urlsplit(url)
    if not base or not is_twilio_host(parts.hostname):
        return url
    return base.rstrip("/") + parts.path + ("?" + parts.query if parts.query else "")


class LocalTwilioHttpClient(TwilioHttpClient):
    """The one documented subclass (LIBRARIES §2.9): rewrites the host, nothing else."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_quiet_logger())
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # twilio ships no types
        return super().request(method, rewrite_twilio_url(url, self.base), *args, **kwargs)


def _quiet_logger() -> logging.Logger:
    # twilio logs every request URL and query at INFO; keep that out of the service log
    logger = logging.getLogger("bot.channels.twilio_http")
    logger.setLevel(logging.WARNING)
    return logger


def make_client(account_sid: str, auth_token: str, api_url: str | None, timeout: float = 15.0) -> Client:
    http = LocalTwilioHttpClient(api_url, timeout) if api_url else TwilioHttpClient(timeout=timeout,
                                                                                   logger=_quiet_logger())
    return Client(account_sid, auth_token, http_client=http)


def whatsapp_address(number: str) -> str:
    number = number.strip()
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


# --- inbound: form parsing and the signature ---------------------------------------------------------------


class FormParams:
    """A form body as Twilio posted it: every pair kept, for the signature (multi-values included)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self._pairs))

    def __len__(self) -> int:
        return len(self._pairs)

    def getall(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    def get(self, name: str, default: str = "") -> str:
        for k, v in self._pairs:
            if k == name:
                return v
        return default


def parse_form(body: bytes) -> FormParams:
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                                       errors="strict", max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise BadWebhook(400, "form body is not valid") from None
    return FormParams(pairs)


def signed_url(public_url: str, request: Request) -> str:
    """The URL Twilio signed: the public address, not what the proxy forwarded to us."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return public_url.rstrip("/") + request.url.path + ("?" + query if query else "")


def signature_ok(validator: RequestValidator, url: str, params: FormParams, signature: str | None) -> bool:
    if not signature:
        return False
    # the URL as configured is what Twilio signs; validate() also tries it with and without the
    # default port, two more HMACs on every request, so it only runs when the first check fails
    if compare(validator.compute_signature(url, params), signature):
        return True
    return bool(validator.validate(url, params, signature))


def _media_kind(content_type: str) -> str:
    major = normalise_type(content_type).split("/", 1)[0]
    return {"image": "photo", "audio": "voice"}.get(major, "document" if major == "application" else "other")


def inbound_from_form(form: FormParams) -> Inbound:
    """The Twilio fields we use (LIBRARIES §2.1); a tap on a quick-reply button comes back as its payload."""
    sender, sid = form.get("From"), form.get("MessageSid") or form.get("SmsSid")
    if not _FROM.match(sender):
        raise BadWebhook(400, "From is not a WhatsApp address")
    if not _SID.match(sid):
        raise BadWebhook(400, "MessageSid missing or malformed")
    count = form.get("NumMedia", "0") or "0"
    if not count.isdigit() or int(count) > MAX_MEDIA:
        raise BadWebhook(400, "NumMedia is not a number from 0 to 10")
    media = []
    for i in range(int(count)):
        url, ctype = form.get(f"MediaUrl{i}"), form.get(f"MediaContentType{i}")
        if url.startswith(("https://", "http://")):
            media.append(MediaRef(_media_kind(ctype), url[:500], normalise_type(ctype)[:100]))
    text = form.get("ButtonPayload") or form.get("ListId") or form.get("Body")
    return Inbound("whatsapp", sender.removeprefix("whatsapp:"), sid, text, tuple(media),
                   display_name=form.get("ProfileName")[:200])


# --- outbound -----------------------------------------------------------------------------------------------


def _plain(message: OutMessage) -> str:
    buttons = tuple(Button(b.get("label", ""), b.get("payload", "")) for b in message.buttons)
    return Outbound(message.text, buttons).as_plain()


def _window(db: Engine, contact_id: int) -> str:
    """open | template (send it now) | waiting (a template already went out since the person last wrote)."""
    with read_session(db) as s:
        contact = s.get(Contact, contact_id)
        last = contact.last_inbound_at if contact else None
        if last is not None and utcnow() - last < WINDOW - WINDOW_MARGIN:
            return "open"
        waiting = outbox_rows.template_sent_since(s, contact_id=contact_id, since=last)
        return "waiting" if waiting else "template"


def _send_error(exc: Exception) -> SendError:
    """Retry what may pass later (429, 5xx, network, credentials); give up on what never will."""
    if isinstance(exc, TwilioRestException):
        status, code = int(exc.status or 0), exc.code
        # exc.msg can quote the phone number: only status and code are kept
        if code == 63016:
            return SendError(NOTE_63016, settle_as=outbox_rows.HELD)
        if status == 429 or status >= 500 or status == 0:
            return SendError(f"Twilio HTTP {status}, kode {code}")
        if status == 401:
            log.warning("Twilio rejected the account credentials (401); will retry")
            return SendError("Twilio menolak kredensial (401)")
        return SendError(f"Twilio HTTP {status}, kode {code}", permanent=True)  # 21211, 21610, 21408 …
    if isinstance(exc, (requests.RequestException, TwilioException, OSError)):
        return SendError(f"jaringan: {type(exc).__name__}")
    return SendError(type(exc).__name__)


class WhatsAppSender:
    """bot.outbox.Sender for WhatsApp: free text inside the window, the template outside it."""

    channel = "whatsapp"

    def __init__(self, db: Engine, client: Client, from_number: str, *, status_callback: str | None,
                 template_sid: str | None, template_variables: dict[str, str]) -> None:
        self.db = db
        self.client = client
        self.from_ = whatsapp_address(from_number)
        self.status_callback = status_callback
        self.template_sid = template_sid
        self.template_variables = dict(template_variables)

    async def send(self, message: OutMessage) -> str | Sent:
        window = await asyncio.to_thread(_window, self.db, message.contact_id)
        if window == "open":
            sid = ""
            parts = split_text(_plain(message), MAX_BODY_CHARS)
            done = 0
            if message.uncertain_since is not None:  # a process died mid-send: ask Twilio what it has
                done, sid = await self._already_sent(message, parts, message.uncertain_since)
                if done == len(parts):
                    return Sent(sid, NOTE_FOUND)
            for i, part in enumerate(parts[done:], start=done):
                try:
                    sid = await self._create(message, body=part)
                except SendError as error:
                    if i > 0:  # the buttons are already in the text, as its numbered list
                        error.after_parts("\n\n".join(parts[i:]), ())
                    raise
            return sid
        if not self.template_sid:
            return Sent(None, NOTE_NO_TEMPLATE, status=outbox_rows.HELD)
        if window == "waiting":
            return Sent(None, NOTE_WAITING, status=outbox_rows.HELD)
        variables = json.dumps(self.template_variables) if self.template_variables else None
        sid = await self._create(message, content_sid=self.template_sid, content_variables=variables)
        # held all the same: the template asks the person to write; the text follows when they do
        return Sent(sid, NOTE_TEMPLATE.format(sid=self.template_sid), status=outbox_rows.HELD)

    async def _already_sent(self, message: OutMessage, parts: list[str], since: dt.datetime) -> tuple[int, str]:
        """How many leading parts Twilio accepted since the dead claim, and the last one's sid.

        Twilio has no idempotency key for a send; its message list is the record of what went out.
        If the list cannot be read, nothing is taken as sent: a duplicate beats a lost reply.
        """
        try:
            listed = await asyncio.to_thread(self.client.messages.list, to=whatsapp_address(message.address),
                                             from_=self.from_, page_size=50, limit=50)
        except Exception as exc:  # noqa: BLE001 - any failure of the check falls back to sending
            log.warning("outbox %s: could not list Twilio's messages (%s); sending again", message.id, exc)
            return 0, ""
        since = since.replace(tzinfo=since.tzinfo or dt.UTC) - CLOCK_SKEW
        # Twilio's times have whole seconds, so the parts' order is not in the list: match each part
        # to a listed message of its own
        unused = [m for m in listed if m.date_created is not None and m.date_created >= since
                  and m.status not in ("failed", "undelivered", "canceled")]
        done, sid = 0, ""
        for part in parts:
            found = next((m for m in unused if m.body == part), None)
            if found is None:
                break
            unused.remove(found)
            done, sid = done + 1, str(found.sid)
        return done, sid

    async def _create(self, message: OutMessage, **fields: Any) -> str:
        kwargs = {k: v for k, v in fields.items() if v is not None}
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        try:
            created = await asyncio.to_thread(self.client.messages.create, to=whatsapp_address(message.address),
                                              from_=self.from_, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a SendError (retried unless final)
            raise _send_error(exc) from None
        return str(created.sid)


def window_was_closed(last_inbound_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether the window was closed before the person's new message, so that messages may be held.

    Only then can a reply have been held (`_window` holds nothing while it is open); checking
    this first saves a query on nearly every message.
    """
    return last_inbound_at is None or (now or utcnow()) - last_inbound_at >= WINDOW - WINDOW_MARGIN


def release_held(db: Engine, *, urn: str) -> list[int]:
    """The person wrote, the window is open again: queue the held messages anew, oldest first.

    Runs after the engine committed the inbound (so last_inbound_at is fresh). The rows are
    locked, so two messages of the person arriving together release each held row once.
    """
    since = utcnow() - RELEASE_AGE
    with read_session(db) as s:
        if not outbox_rows.has_held(s, urn=urn, since=since):
            return []  # the usual case: nothing held, so no write lock is taken
    with unit_of_work(db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == urn)).first()
        if contact is None:
            return []
        new_ids = []
        for row in outbox_rows.take_held(s, contact_id=saved_id(contact.id), since=since):
            copy = repo.enqueue(s, contact=contact, text=row.text, buttons=row.buttons,
                                message_log_id=row.message_log_id)
            outbox_rows.mark_released(s, row=row, note=NOTE_RELEASED.format(id=copy.id))
            new_ids.append(saved_id(copy.id))
        return new_ids


# --- media (evidence) ---------------------------------------------------------------------------------------


class TwilioMedia:
    """media.Fetcher for Twilio media URLs: Basic auth with the account SID and token, only to Twilio's hosts."""

    def __init__(self, account_sid: str, auth_token: str, api_url: str | None, timeout: float = 30.0) -> None:
        self.auth = (account_sid, auth_token)
        self.api_url = api_url
        # httpx drops the Authorization header when Twilio redirects to its storage host
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=True, max_redirects=3)

    async def fetch(self, ref: str, content_type: str, max_bytes: int) -> tuple[bytes, str]:
        if not is_twilio_host(urllib.parse.urlsplit(ref).hostname):
            raise MediaError("media URL is not on a Twilio host")  # never send our credentials elsewhere
        url = rewrite_twilio_url(ref, self.api_url)
        try:
            async with self.client.stream("GET", url, auth=self.auth) as response:
                if response.status_code != 200:
                    raise MediaError(f"media download answered HTTP {response.status_code}")
                ctype = normalise_type(response.headers.get("content-type")) or content_type
                if not accepted(ctype):
                    raise MediaError(f"content type {ctype or 'missing'} is not accepted")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise MediaError("file larger than the limit")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise MediaError("file larger than the limit")
        except httpx.HTTPError as exc:
            raise MediaError(f"media download failed: {type(exc).__name__}") from None
        return bytes(data), ctype

    async def close(self) -> None:
        await self.client.aclose()


# --- the routes ---------------------------------------------------------------------------------------------

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
    if not _SID.match(sid) or not re.fullmatch(r"[a-z_]{1,30}", status) or not re.fullmatch(r"[0-9]{0,10}", code):
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
        await self.media.close()
