"""The inbox processor: hands acknowledged deliveries to the engine, in order per person.

A webhook stores the delivery (`InboxProcessor.store`: the deliveries of concurrent requests
go in one transaction) and answers the channel once it is committed; this processor claims the waiting rows (storage.inbox), runs the engine on each in a worker
thread (the engine dequeues the row in its own transaction) and then calls `after` — send
the replies, fetch the files, mirror into the staff chat. If the engine fails (the database
is down) the row goes back in line with a growing delay: an acknowledged message is never
dropped. Rows left by a process that died are taken again when their lease ends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from flows import signals
from flows.engine import Engine as FlowEngine
from flows.engine import Handled
from flows.messages import Inbound
from storage import inbox
from storage.db import read_session, unit_of_work

log = logging.getLogger(__name__)

BATCH = 20
MAX_GROUP = 200  # deliveries stored in one transaction
BUSY_WINDOW = 0.05  # seconds: a webhook arrived this recently, so a burst is on
BURST_YIELD = 1.0  # during a burst the processor takes at most half of the time
MAX_RETRY_DELAY = 60.0  # seconds; a database outage is retried at least once a minute

After = Callable[[Inbound, Handled], Awaitable[None]]


def accept_many(db: Engine, deliveries: list[Inbound]) -> list[bool]:
    """Store deliveries for the processor in one transaction; False for a retry of one already stored or handled."""
    # danger is read here (a fraction of a millisecond) so that a burst cannot hold an emergency back
    rows = [(i.dedupe_key, i.urn, i.to_json(), signals.read(i.text).is_emergency) for i in deliveries]
    with unit_of_work(db) as s:
        return inbox.add_many(s, rows)


def accept(db: Engine, inbound: Inbound) -> bool:
    return accept_many(db, [inbound])[0]


class InboxWriter:
    """Stores the deliveries of concurrent webhook requests together: one transaction for all that
    arrived while the previous one committed. Each request still answers only after its row is
    committed; under load this replaces dozens of small write transactions (each waiting for
    SQLite's one writer and a worker thread) by a few larger ones."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._waiting: list[tuple[Inbound, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        # its own thread: a store must not queue in the default pool behind the engine and the sends
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-writer")
        self.last_arrival = -1e9

    def close(self) -> None:
        self._thread.shutdown(wait=False)

    def busy(self) -> bool:
        """Webhooks are arriving right now."""
        return time.monotonic() - self.last_arrival < BUSY_WINDOW

    async def accept(self, inbound: Inbound) -> bool:
        self.last_arrival = time.monotonic()
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((inbound, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            try:
                stored = await asyncio.get_running_loop().run_in_executor(
                    self._thread, accept_many, self.db, [inbound for inbound, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every request of the group answers 503; the channel retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), fresh in zip(batch, stored):
                if not future.done():  # a request whose client went away was cancelled meanwhile
                    future.set_result(fresh)


def backlog(db: Engine) -> tuple[int, dt.datetime | None]:
    with read_session(db) as s:
        return inbox.backlog(s)


def retry_delay(tries: int) -> float:
    return min(MAX_RETRY_DELAY, 0.5 * 2 ** tries)


class InboxProcessor:
    def __init__(self, db: Engine, engine: FlowEngine, after: After) -> None:
        self.db = db
        self.engine = engine
        self.after = after
        self.worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.writer = InboxWriter(db)
        self._wake = asyncio.Event()

    async def store(self, inbound: Inbound) -> bool:
        """Keep a delivery (committed when this returns) and have it handled; False for a retry."""
        fresh = await self.writer.accept(inbound)
        if fresh:
            self.poke()
        return fresh

    def poke(self) -> None:
        """A delivery was stored: handle it now rather than at the next tick."""
        self._wake.set()

    def _claim(self) -> list[tuple[int, Inbound, int]]:
        with unit_of_work(self.db) as s:
            return [(item.id, Inbound.from_json(item.payload), item.tries)  # type: ignore[misc]
                    for item in inbox.claim(s, worker=self.worker, limit=BATCH)]

    def _retry(self, item_id: int, tries: int, exc: Exception) -> None:
        delay = dt.timedelta(seconds=retry_delay(tries))
        with unit_of_work(self.db) as s:
            inbox.retry(s, item_id=item_id, error=type(exc).__name__, delay=delay)

    async def process_pending(self) -> int:
        """Handle everything that is due now; return how many deliveries were handled."""
        total = 0
        while batch := await asyncio.to_thread(self._claim):
            for item_id, inbound, tries in batch:
                started = time.monotonic()
                try:
                    handled = await asyncio.to_thread(self.engine.handle, inbound, item_id)
                except Exception as exc:  # noqa: BLE001 - the row stays; it is tried again, never dropped
                    log.error("inbox %s not handled (try %s): %s", item_id, tries + 1, type(exc).__name__)
                    try:
                        await asyncio.to_thread(self._retry, item_id, tries, exc)
                    except Exception as again:  # noqa: BLE001 - the lease runs out and the row is taken again
                        log.error("inbox %s not put back: %s", item_id, type(again).__name__)
                    continue
                total += 1
                if not handled.duplicate:
                    try:
                        await self.after(inbound, handled)
                    except Exception:  # the message is handled and its replies are in the outbox
                        log.exception("after-handling step failed for inbox %s", item_id)
                if self.writer.busy():
                    # during a burst, acknowledging comes first (Twilio gives a webhook 15 s, then
                    # retries; a line in danger is still taken first): pause BURST_YIELD times as
                    # long as this message took, so acks get at least that share of the time
                    await asyncio.sleep((time.monotonic() - started) * BURST_YIELD)
        return total

    async def run_forever(self, interval: float = 2.0) -> None:
        while True:
            try:
                await self.process_pending()
            except Exception as exc:  # noqa: BLE001 - a database hiccup; the rows wait in the inbox
                log.error("inbox processing failed: %s", type(exc).__name__)
            try:  # asyncio.timeout, not wait_for (see bot.outbox.Dispatcher.run_forever)
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
