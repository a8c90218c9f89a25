"""The inbox processor: hands acknowledged deliveries to the engine, in order per person.

A webhook stores the delivery (`accept`: one small insert, committed before the 200 goes back);
this processor is a `bot.workers.loop.Work`: it claims the head of each person's line
(storage.inbox), runs the engine on each in a worker thread (the engine dequeues the row in
its own transaction) and then calls `after` — send the replies, fetch the files, release held
WhatsApp replies. If the engine fails (the database is down) the row goes back in line after
`backoff(tries)`: an acknowledged message is never dropped. Rows left by a process that died
are taken again when their lease ends. It runs in `helpdesk serve` or in `helpdesk worker`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.workers.loop import WorkerLoop, backoff
from flows import signals
from flows.engine import Engine as FlowEngine
from flows.engine import Handled
from flows.messages import Inbound
from storage import inbox
from storage.db import read_session, unit_of_work

log = logging.getLogger(__name__)

BATCH = 20
MAX_RETRY_DELAY = 60.0  # seconds; a database outage is retried at least once a minute
# people handled side by side: SQLite has one writer, so more would only queue in its busy
# handler; PostgreSQL handles different people's messages in parallel (row locks per person)
LANES = {"sqlite": 1, "postgresql": 4}

After = Callable[[Inbound, Handled], Awaitable[None]]


def accept_many(db: Engine, deliveries: list[Inbound]) -> list[bool]:
    """Store deliveries for the processor in one transaction; False for a retry of one already stored or handled."""
    # danger is read here (a fraction of a millisecond) so that a backlog cannot hold an emergency back
    rows = [(i.dedupe_key, i.urn, i.to_json(), signals.read(i.text).is_emergency) for i in deliveries]
    with unit_of_work(db) as s:
        return inbox.add_many(s, rows)


def accept(db: Engine, inbound: Inbound) -> bool:
    return accept_many(db, [inbound])[0]


def backlog(db: Engine) -> tuple[int, dt.datetime | None]:
    with read_session(db) as s:
        return inbox.backlog(s)


def retry_delay(tries: int) -> float:
    return backoff(tries + 1, base=0.5, cap=MAX_RETRY_DELAY, jitter=0)


@dataclass(frozen=True)
class Claimed:
    id: int
    inbound: Inbound
    tries: int


class InboxProcessor:
    name = "inbox"

    def __init__(self, db: Engine, engine: FlowEngine, after: After, interval: float = 1.0) -> None:
        self.db = db
        self.engine = engine
        self.after = after
        self.worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lanes = LANES.get(db.dialect.name, 1)
        self.loop: WorkerLoop[Claimed] = WorkerLoop(self, interval=interval, batch=BATCH)

    async def store(self, inbound: Inbound) -> bool:
        """Keep a delivery (committed when this returns) and have it handled; False for a retry."""
        fresh = await asyncio.to_thread(accept, self.db, inbound)
        if fresh:
            self.poke()
        return fresh

    def poke(self) -> None:
        """A delivery was stored: handle it now rather than at the next sweep."""
        self.loop.poke()

    # -- the Work: claim → handle → finish (in the engine's transaction) / retry --

    def claim(self, limit: int) -> list[Claimed]:
        with unit_of_work(self.db) as s:
            return [Claimed(item.id, Inbound.from_json(item.payload), item.tries)
                    for item in inbox.claim(s, worker=self.worker, limit=limit)]

    def lane(self, item: Claimed) -> object:
        return hash(item.inbound.urn) % self.lanes  # claim gives one message per person at a time

    async def handle(self, item: Claimed) -> None:
        handled = await asyncio.to_thread(self.engine.handle, item.inbound, item.id)
        if not handled.duplicate:
            try:
                await self.after(item.inbound, handled)
            except Exception:
                log.exception("after-handling step failed for inbox %s", item.id)

    async def retry(self, item: Claimed, exc: Exception) -> None:
        log.error("inbox %s not handled (try %s): %s", item.id, item.tries + 1, type(exc).__name__)
        delay = dt.timedelta(seconds=retry_delay(item.tries))

        def put_back() -> None:
            with unit_of_work(self.db) as s:
                inbox.retry(s, item_id=item.id, error=type(exc).__name__, delay=delay)

        await asyncio.to_thread(put_back)

    # -- running --

    async def process_pending(self) -> int:
        """Handle everything that is due now; return how many deliveries were claimed."""
        return await self.loop.run_once()

    async def run_forever(self, interval: float | None = None) -> None:
        if interval is not None:
            self.loop.interval = interval
        await self.loop.run_forever()
