"""The one loop of background work: claim → handle → finish, or retry after a back-off; and the event sink."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.events import EventSink
from bot.workers.loop import WorkerLoop, backoff


class Queue:
    """A Work over an in-memory list: items that fail go back to the end until they pass."""

    name = "test"

    def __init__(self, items: list[tuple[str, int]], fail_first: set[int]) -> None:
        self.waiting = list(items)  # (lane, n)
        self.fail_first = set(fail_first)
        self.done: list[tuple[str, int]] = []
        self.retried: list[int] = []

    def claim(self, limit: int) -> Sequence[tuple[str, int]]:
        taken, self.waiting = self.waiting[:limit], self.waiting[limit:]
        return taken

    def lane(self, item: tuple[str, int]) -> object:
        return item[0]

    async def handle(self, item: tuple[str, int]) -> None:
        if item[1] in self.fail_first:
            self.fail_first.discard(item[1])
            raise ConnectionError("down")
        await asyncio.sleep(0)
        self.done.append(item)

    async def retry(self, item: tuple[str, int], exc: Exception) -> None:
        self.retried.append(item[1])
        self.waiting.append(item)


def test_a_failed_item_is_retried_and_nothing_is_lost_or_doubled() -> None:
    work = Queue([("a", 1), ("b", 2), ("a", 3), ("b", 4), ("c", 5)], fail_first={2})
    claimed = asyncio.run(WorkerLoop(work, interval=1, batch=2).run_once())
    assert sorted(n for _, n in work.done) == [1, 2, 3, 4, 5]
    assert work.retried == [2]
    assert claimed == 6  # five items, one of them twice


def test_one_lane_keeps_its_order_while_lanes_run_side_by_side() -> None:
    work = Queue([("a", 1), ("b", 2), ("a", 3), ("b", 4)], fail_first=set())
    asyncio.run(WorkerLoop(work, interval=1, batch=10).run_once())
    assert [n for lane, n in work.done if lane == "a"] == [1, 3]
    assert [n for lane, n in work.done if lane == "b"] == [2, 4]


def test_run_forever_stops_when_cancelled_and_wakes_when_poked() -> None:
    work = Queue([], fail_first=set())

    async def scenario() -> None:
        loop = WorkerLoop(work, interval=60, batch=10)
        task = asyncio.create_task(loop.run_forever())
        await asyncio.sleep(0.01)
        work.waiting.append(("a", 1))
        loop.poke()  # without it the item would wait the 60 s interval
        for _ in range(100):
            if work.done:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert work.done == [("a", 1)]


def test_a_slow_item_holds_up_only_its_own_lane() -> None:
    """A send hanging in an API until its timeout must not hold back other lanes' items claimed after it."""

    class Slow(Queue):
        def __init__(self, items: list[tuple[str, int]]) -> None:
            super().__init__(items, fail_first=set())
            self.release = asyncio.Event()

        async def handle(self, item: tuple[str, int]) -> None:
            if item == ("a", 1):
                await self.release.wait()
            await super().handle(item)

    async def until(check) -> None:  # type: ignore[no-untyped-def]
        for _ in range(200):
            if check():
                return
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        work = Slow([("a", 1), ("b", 2)])
        loop = WorkerLoop(work, interval=0.05, batch=4)  # a busy loop claims again once an interval
        task = asyncio.create_task(loop.run_once())
        await until(lambda: ("b", 2) in work.done)
        work.waiting += [("c", 3), ("a", 4)]  # stored while a's first item hangs
        loop.poke()
        await until(lambda: ("c", 3) in work.done)
        assert ("c", 3) in work.done
        assert ("a", 1) not in work.done and ("a", 4) not in work.done  # a's next item waits behind it
        work.release.set()
        assert await task == 4
        assert [n for lane, n in work.done if lane == "a"] == [1, 4]

    asyncio.run(scenario())


@pytest.mark.parametrize("tries, low, high", [(1, 1.6, 2.4), (3, 6.4, 9.6), (30, 48.0, 72.0)])
def test_backoff_doubles_and_is_capped(tries: int, low: float, high: float) -> None:
    assert low <= backoff(tries, base=2.0, cap=60.0) <= high


def test_backoff_follows_the_api_retry_after() -> None:
    assert backoff(5, base=2.0, cap=60.0, retry_after=7) == 7


def test_a_failing_listener_does_not_hide_the_event_from_the_others() -> None:
    sink, heard = EventSink(), []

    def broken(kind: str, number: str) -> None:
        raise RuntimeError("listener bug")

    sink.on_case_event(broken)
    stop = sink.on_case_event(lambda kind, number: heard.append((kind, number)))
    sink.case_event("created", "K-1")
    stop()
    sink.case_event("created", "K-2")
    assert heard == [("created", "K-1")]
