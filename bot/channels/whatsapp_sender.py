"""WhatsApp out: the Twilio REST sender, the 24-hour window, and the replies held while it is closed.

Out of the window (no message from the person in the last 24 h) WhatsApp accepts only an
approved template. The first such message sends the template (config `whatsapp:`); it and any
later ones get the outbox status "held" (storage/outbox.py; a note in last_error says why, for
the console) and are re-queued as soon as the person writes again (`release_held`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import requests
from sqlalchemy.engine import Engine
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from bot.channels import split_text
from bot.channels.whatsapp_twilio import whatsapp_address
from bot.workers.outbox import OutMessage, SendError, Sent
from flows.messages import Button, Outbound
from storage import contacts, repo
from storage import outbox as outbox_rows
from storage.db import read_session, unit_of_work
from storage.ids import saved_id
from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # Twilio rejects a longer Body (errors 21617/21658)
WINDOW = dt.timedelta(hours=24)
WINDOW_MARGIN = dt.timedelta(minutes=5)  # the clock of Meta and ours may differ a little
CLOCK_SKEW = dt.timedelta(minutes=2)  # Twilio's clock and ours, when matching what it already sent
RELEASE_AGE = dt.timedelta(days=30)
API_THREADS = 20  # one per lane of a dispatcher batch (bot/workers/outbox.py BATCH): a blocked call waits alone

# Shown to officers in the console (outbox.last_error) beside the status "held"; only the status counts.
HELD = "Ditahan: di luar jendela 24 jam WhatsApp"
NOTE_TEMPLATE = HELD + "; template {sid} dikirim, teks asli menyusul setelah pelapor membalas"
NOTE_WAITING = HELD + "; menunggu balasan pelapor atas template, teks asli menyusul"
NOTE_NO_TEMPLATE = HELD + "; belum ada template (whatsapp.template_content_sid), teks asli menyusul setelah pelapor membalas"
NOTE_63016 = HELD + " (Twilio 63016); teks asli menyusul setelah pelapor membalas"
NOTE_FOUND = "Sudah diterima Twilio sebelum proses berhenti; tidak dikirim ulang"
NOTE_RELEASED = "Dikirim ulang sebagai outbox #{id} setelah pelapor membalas (sebelumnya di luar jendela 24 jam)"


def _plain(message: OutMessage) -> str:
    buttons = tuple(Button(b.get("label", ""), b.get("payload", "")) for b in message.buttons)
    return Outbound(message.text, buttons).as_plain()


def _open(last: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether a person who last wrote at `last` may get free text now (Meta's 24-hour window)."""
    return last is not None and (now or utcnow()) - repo.aware(last) < WINDOW - WINDOW_MARGIN


def _window(db: Engine, contact_id: int) -> str:
    """open | template (send it now) | waiting (a template already went out since the person last wrote)."""
    with read_session(db) as s:
        last = contacts.last_inbound_at(s, contact_id=contact_id)
        if _open(last):
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
    """bot.workers.outbox.Sender for WhatsApp: free text inside the window, the template outside it."""

    channel = "whatsapp"

    def __init__(self, db: Engine, client: Client, from_number: str, *, status_callback: str | None,
                 template_sid: str | None, template_variables: dict[str, str]) -> None:
        self.db = db
        self.client = client
        self.from_ = whatsapp_address(from_number)
        self.status_callback = status_callback
        self.template_sid = template_sid
        self.template_variables = dict(template_variables)
        # the twilio client blocks: its calls get threads of their own, so that a slow or hanging API
        # (up to the client's timeout) never holds the shared pool that webhooks and the engine use
        self._calls = ThreadPoolExecutor(max_workers=API_THREADS, thread_name_prefix="twilio")

    async def _call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._calls, functools.partial(fn, **kwargs))

    def close(self) -> None:
        self._calls.shutdown(wait=False, cancel_futures=True)

    async def send(self, message: OutMessage) -> str | Sent:
        # a reply nearly always follows the message it answers: the claim's reading of when the person
        # last wrote settles it, and the database is asked only when the window looks closed
        window = "open" if _open(message.last_inbound_at) else await asyncio.to_thread(_window, self.db, message.contact_id)
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
            listed = await self._call(self.client.messages.list, to=whatsapp_address(message.address),
                                      from_=self.from_, page_size=50, limit=50)
        except Exception as exc:  # noqa: BLE001 - any failure of the check falls back to sending
            log.warning("outbox %s: could not list Twilio's messages (%s); sending again", message.id, exc)
            return 0, ""
        since = repo.aware(since) - CLOCK_SKEW
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
            created = await self._call(self.client.messages.create, to=whatsapp_address(message.address),
                                       from_=self.from_, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a SendError (retried unless final)
            raise _send_error(exc) from None
        return str(created.sid)


def window_was_closed(last_inbound_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether the window was closed before the person's new message, so that messages may be held.

    Only then can a reply have been held (`_window` holds nothing while it is open); checking
    this first saves a query on nearly every message.
    """
    return not _open(last_inbound_at, now)


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
        contact = contacts.by_urn(s, urn=urn)
        if contact is None:
            return []
        new_ids = []
        for row in outbox_rows.take_held(s, contact_id=saved_id(contact.id), since=since):
            copy = repo.enqueue(s, contact=contact, text=row.text, buttons=row.buttons,
                                message_log_id=row.message_log_id)
            outbox_rows.mark_released(s, row=row, note=NOTE_RELEASED.format(id=copy.id))
            new_ids.append(saved_id(copy.id))
        return new_ids
