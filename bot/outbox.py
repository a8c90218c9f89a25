"""The outbox dispatcher: sends replies after commit, retries with back-off, gives up visibly.

Rows are claimed in a short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
workers never take the same row; SQLite: the writer lock) and marked `sending`; the
network call happens outside any transaction; the result is written back. A row stuck in
`sending` (the process died mid-send) is retried after SENDING_TIMEOUT: at-least-once,
with the duplicate window limited to a crash between the API's answer and our commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from sqlalchemy import bindparam, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.db import unit_of_work
from storage.models import Outbox, utcnow

log = logging.getLogger(__name__)
_TABLE = Outbox.__table__  # type: ignore[attr-defined]
_SENT = (update(_TABLE)
         .where(_TABLE.c.id == bindparam("message_id"), _TABLE.c.status == "sending",
                _TABLE.c.next_attempt_at == bindparam("claimed_at"))
         .values(tries=_TABLE.c.tries + 1, status=bindparam("status"), sent_at=bindparam("sent_at"),
                 external_id=bindparam("external_id"), last_error=bindparam("last_error")))
SENDING_TIMEOUT = dt.timedelta(minutes=2)
BASE_DELAY = 2.0  # seconds; doubles per try, with jitter
MAX_DELAY = 600.0


class SendError(Exception):
    """A send failed. `retry_after` (seconds) when the API said when to retry; `permanent` when retrying is useless."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
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


@dataclass(frozen=True)
class Sent:
    """A send that needs more than an id: `note` is shown in the console (last_error), `status` overrides "sent".

    The WhatsApp sender uses it when the 24-hour window is closed: a template went out, or the
    message is held until the person writes again.
    """

    external_id: str | None
    note: str = ""
    status: str = "sent"


class Sender(Protocol):
    channel: str

    async def send(self, message: OutMessage) -> str | Sent:
        """Deliver one message; return the channel's message id (or a Sent). Raise SendError on failure."""


def backoff(tries: int, retry_after: float | None = None, base: float | None = None) -> float:
    if retry_after is not None:
        return max(retry_after, 0.5)
    return min(MAX_DELAY, (base or BASE_DELAY) * 2 ** max(tries - 1, 0)) * random.uniform(0.8, 1.2)


class Dispatcher:
    def __init__(self, db: Engine, senders: Sequence[Sender], max_tries: int = 6, base_delay: float | None = None,
                 sending_timeout: dt.timedelta = SENDING_TIMEOUT, busy: Callable[[], bool] | None = None) -> None:
        self.db = db
        self.busy = busy  # webhooks are arriving in a burst: yield to them (see bot.inbox)
        self.senders = {s.channel: s for s in senders}
        self.max_tries = max_tries
        self.base_delay = base_delay
        self.sending_timeout = sending_timeout
        self._wake = asyncio.Event()

    @property
    def channels(self) -> list[str]:
        return list(self.senders)

    def claim(self, limit: int = 20, ids: Sequence[int] | None = None) -> list[OutMessage]:
        if not self.senders:
            return []
        now = utcnow()
        with Session(self.db) as s:
            q = select(Outbox).where(col(Outbox.channel).in_(self.channels)).where(
                or_(col(Outbox.status) == "pending",
                    (col(Outbox.status) == "sending") & (col(Outbox.next_attempt_at) <= now - self.sending_timeout)))
            q = q.where(col(Outbox.next_attempt_at) <= now)
            if ids is not None:
                q = q.where(col(Outbox.id).in_(list(ids)))
            q = q.order_by(col(Outbox.id)).limit(limit)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = list(s.exec(q))
            if rows:
                s.execute(update(_TABLE).where(_TABLE.c.id.in_([r.id for r in rows]))
                          .values(status="sending", next_attempt_at=now))
            s.commit()
            return [OutMessage(r.id, r.channel, r.address, r.text, tuple(r.buttons), r.contact_id, now)  # type: ignore[arg-type]
                    for r in rows]

    def _finish(self, message_id: int, *, sent: Sent | None = None, error: SendError | None = None,
                claimed_at: dt.datetime | None = None) -> None:
        if error is None and claimed_at is not None:
            self._finish_sent(message_id, sent or Sent(None), claimed_at)
            return
        with Session(self.db) as s:
            row = s.get(Outbox, message_id)
            if row is None:
                return
            if claimed_at is not None and (row.status != "sending" or row.next_attempt_at != claimed_at):
                # another process took the row over (this send outlived sending_timeout): its result counts
                log.warning("outbox %s: result of a superseded send attempt ignored", message_id)
                return
            row.tries += 1
            if error is not None and error.rest is not None:
                row.text, row.buttons = error.rest[0], list(error.rest[1])  # the transcript keeps the whole text
            if error is None:
                sent = sent or Sent(None)
                row.status, row.sent_at, row.external_id = sent.status, utcnow(), sent.external_id
                row.last_error = sent.note[:500]
            elif error.permanent or row.tries >= self.max_tries:
                row.status, row.last_error = "undelivered", str(error)[:500]
                log.warning("outbox %s undelivered after %d tries", message_id, row.tries)
            else:
                row.status, row.last_error = "pending", str(error)[:500]
                row.next_attempt_at = utcnow() + dt.timedelta(seconds=backoff(row.tries, error.retry_after, self.base_delay))
            s.add(row)
            s.commit()

    def _finish_sent(self, message_id: int, sent: Sent, claimed_at: dt.datetime) -> None:
        """The usual end of a send, in one statement (it runs once per reply)."""
        with unit_of_work(self.db) as s:
            done = s.connection().execute(_SENT, {
                "message_id": message_id, "claimed_at": claimed_at, "status": sent.status, "sent_at": utcnow(),
                "external_id": sent.external_id, "last_error": sent.note[:500]}).rowcount
        if not done:  # another process took the row over (this send outlived sending_timeout): its result counts
            log.warning("outbox %s: result of a superseded send attempt ignored", message_id)

    async def send_one(self, message: OutMessage) -> None:
        sender = self.senders[message.channel]
        # the result is written in a worker thread: database I/O must not stall the event loop
        try:
            result = await sender.send(message)
        except SendError as exc:
            await asyncio.to_thread(self._finish, message.id, error=exc, claimed_at=message.claimed_at)
        except Exception as exc:  # an unknown failure is retried like a network error, never lost
            log.exception("sender %s failed on outbox %s", message.channel, message.id)
            await asyncio.to_thread(self._finish, message.id, error=SendError(type(exc).__name__),
                                    claimed_at=message.claimed_at)
        else:
            sent = result if isinstance(result, Sent) else Sent(result)
            await asyncio.to_thread(self._finish, message.id, sent=sent, claimed_at=message.claimed_at)

    async def drain(self, ids: Sequence[int] | None = None) -> int:
        """Send what is due now (or just these rows); return how many were attempted."""
        total = 0
        while True:
            batch = await asyncio.to_thread(self.claim, 20, ids)
            if not batch:
                return total
            # one conversation's messages keep their order; different people go in parallel
            by_contact: dict[int, list[OutMessage]] = {}
            for m in batch:
                by_contact.setdefault(m.contact_id, []).append(m)

            async def run(msgs: list[OutMessage]) -> None:
                for m in msgs:
                    started = time.monotonic()
                    await self.send_one(m)
                    if self.busy is not None and self.busy():
                        await asyncio.sleep(time.monotonic() - started)

            await asyncio.gather(*(run(v) for v in by_contact.values()))
            total += len(batch)
            if ids is not None:
                return total

    def poke(self) -> None:
        """New rows were committed: send them now rather than at the next tick."""
        self._wake.set()

    async def run_forever(self, interval: float = 2.0) -> None:
        while True:
            try:
                await self.drain()
            except Exception:  # the loop must survive a database hiccup; rows stay pending
                log.exception("outbox drain failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that
            # arrives as the wait ends, and the loop then never stops (a hung shutdown)
            try:
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()


def undelivered(db: Engine, limit: int = 100) -> list[Outbox]:
    with Session(db) as s:
        return list(s.exec(select(Outbox).where(Outbox.status == "undelivered").order_by(col(Outbox.id).desc())
                           .limit(limit)))


def mark_status(db: Engine, *, external_id: str, status: str, error: str = "") -> bool:
    """A channel's delivery report (Twilio status callback): move the status forward only.

    `error` (e.g. Twilio's ErrorCode) is kept in last_error on a failure, so the console says why.
    """
    order = {"pending": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
    with Session(db) as s:
        row = s.exec(select(Outbox).where(Outbox.external_id == external_id)).first()
        if row is None:
            return False
        if status in ("failed", "undelivered"):
            row.status = "undelivered"
            if error:
                row.last_error = error[:500]
        elif order.get(status, -1) > order.get(row.status, -1):
            row.status = status
        s.add(row)
        s.commit()
        return True
