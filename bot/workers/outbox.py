"""The outbox dispatcher: sends replies after commit, retries with back-off, gives up visibly.

It is a `bot.workers.loop.Work`: rows are claimed in a short transaction and marked `sending`
(storage/outbox.py; PostgreSQL: FOR UPDATE SKIP LOCKED), the network call happens outside any
transaction, and the result is written back; a failure goes back to `pending` after
`backoff(tries)`. A row stuck in `sending` (the process died mid-send) is taken again after
SENDING_TIMEOUT. Whether it went out is then unknown (`OutMessage.uncertain_since`): a sender
that can ask its channel (WhatsApp: what Twilio has sent to the person) sends only what the API
does not have yet; otherwise it is sent again (a duplicate is better than a
lost reply). One person's replies go out in order; different people in parallel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Engine

from bot.workers.loop import WorkerLoop
from bot.workers.loop import backoff as _backoff
from storage import outbox as rows
from storage.db import read_session, unit_of_work
from storage.models import Outbox, utcnow

log = logging.getLogger(__name__)
SENDING_TIMEOUT = dt.timedelta(minutes=2)
BASE_DELAY = 2.0  # seconds; doubles per try, with jitter
MAX_DELAY = 600.0
BATCH = 20


class SendError(Exception):
    """A send failed. `retry_after` (seconds) when the API said when to retry; `permanent` when retrying
    is useless; `settle_as` the status a permanent failure leaves (undelivered unless said: WhatsApp holds)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False,
                 settle_as: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent or settle_as is not None
        self.settle_as = settle_as
        # a long text goes out in parts: when a later part fails, what is left to send (text,
        # buttons), so that the retry does not repeat the parts the person already has
        self.rest: tuple[str, tuple[dict[str, str], ...]] | None = None

    def after_parts(self, text: str, buttons: tuple[dict[str, str], ...]) -> SendError:
        self.rest = (text, buttons)
        return self


@dataclass(frozen=True)
class OutMessage:
    id: int
    channel: str
    address: str
    text: str
    buttons: tuple[dict[str, str], ...]
    contact_id: int
    claimed_at: dt.datetime | None = None  # identifies this claim: a later claim of the row supersedes it
    # set when an earlier claim (made at this time) died mid-send: the message may already be out
    uncertain_since: dt.datetime | None = None
    last_inbound_at: dt.datetime | None = None  # when the person last wrote, read with the claim


@dataclass(frozen=True)
class Sent:
    """A send that needs more than an id: `note` is shown in the console (last_error), `status` overrides "sent".

    The WhatsApp sender uses it when the 24-hour window is closed: a template went out, or the
    message is held until the person writes again.
    """

    external_id: str | None
    note: str = ""
    status: str = rows.SENT


class Sender(Protocol):
    channel: str

    async def send(self, message: OutMessage) -> str | Sent:
        """Deliver one message; return the channel's message id (or a Sent). Raise SendError on failure.

        A sender that can ask its channel what went out reads `message.uncertain_since` and
        sends only what the channel does not have yet (see WhatsAppSender)."""


def backoff(tries: int, retry_after: float | None = None, base: float | None = None) -> float:
    return _backoff(tries, base=base or BASE_DELAY, cap=MAX_DELAY, retry_after=retry_after)


class Dispatcher:
    name = "outbox"

    def __init__(self, db: Engine, senders: Sequence[Sender], max_tries: int = 6, base_delay: float | None = None,
                 sending_timeout: dt.timedelta = SENDING_TIMEOUT, interval: float = 2.0) -> None:
        self.db = db
        self.senders = {s.channel: s for s in senders}
        self.max_tries = max_tries
        self.base_delay = base_delay
        self.sending_timeout = sending_timeout
        self.loop: WorkerLoop[OutMessage] = WorkerLoop(self, interval=interval, batch=BATCH)

    @property
    def channels(self) -> list[str]:
        return list(self.senders)

    # -- the Work: claim → handle → finish / retry --

    def claim(self, limit: int = BATCH, ids: Sequence[int] | None = None) -> list[OutMessage]:
        if not self.senders:
            return []
        now = utcnow()
        with unit_of_work(self.db) as s:
            claimed = rows.claim(s, channels=self.channels, limit=limit, sending_timeout=self.sending_timeout,
                                 ids=ids, now=now)
            # the rows hold their status before this claim: `sending` means a process died mid-send
            return [OutMessage(r.id, r.channel, r.address, r.text, tuple(r.buttons or ()), r.contact_id, now,
                               uncertain_since=r.next_attempt_at if r.status == rows.SENDING else None,
                               last_inbound_at=r.last_inbound_at)
                    for r in claimed]

    def lane(self, message: OutMessage) -> object:
        return message.contact_id  # one conversation's messages keep their order

    async def handle(self, message: OutMessage) -> None:
        try:
            result = await self.senders[message.channel].send(message)
        except SendError:
            raise
        except Exception as exc:  # an unknown failure is retried like a network error, never lost
            log.exception("sender %s failed on outbox %s", message.channel, message.id)
            raise SendError(type(exc).__name__) from exc
        sent = result if isinstance(result, Sent) else Sent(result)
        # the result is written in a worker thread: database I/O must not stall the event loop
        await asyncio.to_thread(self._finish, message.id, sent=sent, claimed_at=message.claimed_at)

    async def retry(self, message: OutMessage, exc: Exception) -> None:
        error = exc if isinstance(exc, SendError) else SendError(type(exc).__name__)
        await asyncio.to_thread(self._finish, message.id, error=error, claimed_at=message.claimed_at)

    def _finish(self, message_id: int, *, sent: Sent | None = None, error: SendError | None = None,
                claimed_at: dt.datetime | None = None) -> None:
        with unit_of_work(self.db) as s:
            if error is None:
                sent = sent or Sent(None)
                done = rows.finish_sent(s, message_id=message_id, claimed_at=claimed_at or utcnow(),
                                        status=sent.status, external_id=sent.external_id, note=sent.note)
            else:
                tries = rows.tries(s, message_id=message_id) + 1
                delay = dt.timedelta(seconds=backoff(tries, error.retry_after, self.base_delay))
                row = rows.finish_failed(s, message_id=message_id, claimed_at=claimed_at, error=str(error),
                                         give_up_status=(error.settle_as or rows.UNDELIVERED) if error.permanent else None,
                                         max_tries=self.max_tries, delay=delay, rest=error.rest)
                done = row is not None
                if row is not None and row.status == rows.UNDELIVERED:
                    log.warning("outbox %s undelivered after %d tries", message_id, row.tries)
        if not done:  # another process took the row over (this send outlived sending_timeout): its result counts
            log.warning("outbox %s: result of a superseded send attempt ignored", message_id)

    # -- running --

    async def send_one(self, message: OutMessage) -> None:
        await self.loop.run_batch([message])

    async def drain(self, ids: Sequence[int] | None = None) -> int:
        """Send what is due now (or just these rows); return how many were attempted."""
        if ids is None:
            return await self.loop.run_once()
        batch = await asyncio.to_thread(self.claim, BATCH, ids)
        await self.loop.run_batch(batch)
        return len(batch)

    def poke(self) -> None:
        """New rows were committed: send them now rather than at the next tick."""
        self.loop.poke()

    async def run_forever(self, interval: float | None = None) -> None:
        if interval is not None:
            self.loop.interval = interval
        await self.loop.run_forever()


def undelivered(db: Engine, limit: int = 100) -> list[Outbox]:
    with read_session(db) as s:
        return rows.undelivered(s, limit=limit)


def mark_status(db: Engine, *, external_id: str, status: str, error: str = "") -> bool:
    """A channel's delivery report (Twilio status callback): move the status forward only.

    `error` (e.g. Twilio's ErrorCode) is kept in last_error on a failure, so the console says why.
    """
    with unit_of_work(db) as s:
        return rows.mark_status(s, external_id=external_id, status=status, error=error)
