"""The one shape of background work: claim → handle → finish, or retry after a back-off.

    claim   a short transaction leases due items (PostgreSQL: SKIP LOCKED), so workers in
            several processes never take the same item
    handle  does the work and records its end (the engine's transaction dequeues an inbox row;
            a send writes its result); raising means "not done"
    retry   puts the item back with `backoff(tries)`, or settles it when trying again is useless

The inbox processor, the outbox dispatcher and the staff desk use it; timed jobs run under
APScheduler (bot/workers/scheduler.py). A loop sleeps `interval` between sweeps unless poked.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def backoff(tries: int, *, base: float, cap: float, retry_after: float | None = None, jitter: float = 0.2) -> float:
    """Seconds before try `tries + 1`: base doubling per try, at most cap, ±jitter; the API's Retry-After wins."""
    if retry_after is not None:
        return max(retry_after, 0.5)
    delay = min(cap, base * 2 ** max(tries - 1, 0))
    return delay * random.uniform(1 - jitter, 1 + jitter) if jitter else delay


class Work(Protocol[T]):
    name: str

    def claim(self, limit: int) -> Sequence[T]:
        """Lease due items (runs in a worker thread)."""

    async def handle(self, item: T) -> None:
        """Do the work and record its end; raise when it is not done."""

    async def retry(self, item: T, exc: Exception) -> None:
        """Put the item back after a back-off, or settle it."""

    def lane(self, item: T) -> object:
        """Items of one lane are handled in claim order; lanes run side by side."""


class WorkerLoop(Generic[T]):
    def __init__(self, work: Work[T], *, interval: float, batch: int = 20) -> None:
        self.work = work
        self.interval = interval
        self.batch = batch
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """New items were committed: take them now rather than at the next sweep."""
        self._wake.set()

    async def _one(self, item: T) -> None:
        try:
            await self.work.handle(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the item is put back, never dropped
            try:
                await self.work.retry(item, exc)
            except Exception as again:  # noqa: BLE001 - its lease runs out and it is claimed again
                log.error("%s: item not put back: %s", self.work.name, type(again).__name__)

    async def run_batch(self, items: Sequence[T]) -> None:
        """Handle claimed items: each lane's in order, the lanes side by side."""
        lanes: dict[object, list[T]] = {}
        for item in items:
            lanes.setdefault(self.work.lane(item), []).append(item)

        async def run(lane: list[T]) -> None:
            for item in lane:
                await self._one(item)

        await asyncio.gather(*(run(lane) for lane in lanes.values()))

    async def run_once(self) -> int:
        """Handle everything due now; how many items were claimed.

        Claims again when all claimed items are done, as a plain loop would; an item that takes
        longer (a send hanging in an API until its timeout) holds up only its own lane: once
        `interval` has passed since the last claim, the other lanes claim anew (new items of the
        busy lane queue behind it). Without that one slow send held back every reply of the next
        batch. Claiming at most once an interval while items run keeps a poke per webhook from
        becoming a claim per webhook.
        """
        clock = asyncio.get_running_loop().time
        total, last_claim = 0, -float("inf")
        lanes: dict[object, list[T]] = {}  # each lane's claimed items; the first is being handled
        running: set[asyncio.Task[None]] = set()

        async def run(lane: object) -> None:
            try:
                while lanes[lane]:
                    await self._one(lanes[lane][0])
                    lanes[lane].pop(0)
            finally:  # items left by a cancel stay claimed in the database until their lease ends
                del lanes[lane]

        woken: asyncio.Task[bool] | None = None
        try:
            while True:
                waiting = sum(len(items) for items in lanes.values())
                items: Sequence[T] = []
                if not lanes or (waiting <= self.batch // 2 and clock() - last_claim >= self.interval):
                    last_claim = clock()
                    try:
                        items = await asyncio.to_thread(self.work.claim, self.batch - waiting)
                    except Exception as exc:  # noqa: BLE001 - the lanes in hand finish; the sweep fails after
                        if not running:
                            raise
                        log.error("%s: claim failed: %s", self.work.name, type(exc).__name__)
                for item in items:
                    lane = self.work.lane(item)
                    if lane in lanes:
                        lanes[lane].append(item)
                    else:
                        lanes[lane] = [item]
                        running.add(asyncio.create_task(run(lane)))
                total += len(items)
                if not running:
                    return total
                woken = woken or asyncio.create_task(self._wake.wait())
                await asyncio.wait({*running, woken}, timeout=max(last_claim + self.interval - clock(), 0.01),
                                   return_when=asyncio.FIRST_COMPLETED)
                running = {task for task in running if not task.done()}
                if woken.done():
                    self._wake.clear()
                    woken = None
        finally:
            for task in [*running, *([woken] if woken else [])]:
                task.cancel()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001 - a database hiccup; the items wait where they are
                log.error("%s: sweep failed: %s", self.work.name, type(exc).__name__)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that arrives as
            # the wait ends, and the loop then never stops (a hung shutdown)
            try:
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
