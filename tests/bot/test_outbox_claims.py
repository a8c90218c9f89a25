"""Outbox claims: a row is sent by one claim at a time, and a superseded claim's result is ignored."""

import asyncio
import datetime as dt

from sqlmodel import Session

from bot.workers.outbox import Dispatcher, SendError
from storage.models import Outbox
from tests.conftest import Chat


class RecordingSender:
    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, message) -> str:  # type: ignore[no-untyped-def]
        self.sent.append(message.id)
        return f"ext-{message.id}"


def test_a_claimed_row_is_not_claimed_again_until_the_sending_timeout(service) -> None:
    Chat(service).say("halo")
    d = Dispatcher(service.db, [RecordingSender()], sending_timeout=dt.timedelta(seconds=60))
    first = d.claim()
    assert len(first) == 1
    assert d.claim() == []  # still "sending" under the first claim


def test_the_result_of_a_superseded_claim_is_ignored(service) -> None:
    Chat(service).say("halo")
    d = Dispatcher(service.db, [RecordingSender()], sending_timeout=dt.timedelta(seconds=60))
    stale = d.claim()[0]
    with Session(service.db) as s:  # another process took the row over after the timeout
        row = s.get(Outbox, stale.id)
        row.next_attempt_at = row.next_attempt_at + dt.timedelta(seconds=90)
        s.add(row)
        s.commit()
    d._finish(stale.id, error=SendError("late failure"), claimed_at=stale.claimed_at)
    with Session(service.db) as s:
        row = s.get(Outbox, stale.id)
        assert (row.status, row.tries, row.last_error) == ("sending", 0, "")


def test_drain_sends_each_pending_row_once(service) -> None:
    chat = Chat(service)
    chat.say("halo")
    chat.say("apa itu tppo?")
    sender = RecordingSender()
    d = Dispatcher(service.db, [sender])
    assert asyncio.run(d.drain()) == 2
    assert asyncio.run(d.drain()) == 0
    assert len(sender.sent) == len(set(sender.sent)) == 2
