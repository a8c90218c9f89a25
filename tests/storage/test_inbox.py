"""The inbox: acknowledged deliveries wait here until the engine has handled them, in order per person."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.workers.inbox import InboxProcessor, accept, backlog
from flows.messages import Inbound, MediaRef
from storage import inbox
from storage.db import unit_of_work
from storage.models import InboxItem, MessageLog, Outbox, utcnow


def delivery(user: str, ref: str, text: str = "halo") -> Inbound:
    return Inbound("whatsapp", user, ref, text, display_name="Siti")


def claim(service, worker: str = "w1", limit: int = 20, now: dt.datetime | None = None) -> list[InboxItem]:
    with unit_of_work(service.db) as s:
        return inbox.claim(s, worker=worker, limit=limit, now=now)


def test_a_delivery_survives_the_trip_through_json() -> None:
    original = Inbound("whatsapp", "+628123", "SM1", "ada foto", (MediaRef("photo", "https://x/1", "image/jpeg"),),
                       dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC), "Siti")
    assert Inbound.from_json(original.to_json()) == original


def test_a_retried_delivery_is_stored_once_also_after_it_was_handled(service) -> None:
    assert accept(service.db, delivery("+62811", "SM1")) is True
    assert accept(service.db, delivery("+62811", "SM1")) is False  # waiting
    [item] = claim(service)
    service.engine.handle(Inbound.from_json(item.payload), item.id)
    assert backlog(service.db)[0] == 0
    assert accept(service.db, delivery("+62811", "SM1")) is False  # handled: the message log knows it


def test_only_the_oldest_waiting_message_of_each_person_is_claimed(service) -> None:
    for ref, user in (("a1", "+62811"), ("a2", "+62811"), ("b1", "+62822"), ("a3", "+62811")):
        accept(service.db, delivery(user, ref))
    first = claim(service, "w1")
    assert [i.payload["message_ref"] for i in first] == ["a1", "b1"]
    assert claim(service, "w2") == []  # a1 and b1 are leased; a2 must wait for a1
    for item in first:
        service.engine.handle(Inbound.from_json(item.payload), item.id)
    assert [i.payload["message_ref"] for i in claim(service, "w2")] == ["a2"]


def test_a_lease_of_a_worker_that_died_runs_out(service) -> None:
    accept(service.db, delivery("+62811", "SM1"))
    assert len(claim(service, "dead")) == 1
    assert claim(service, "alive") == []
    later = utcnow() + inbox.LEASE + dt.timedelta(seconds=1)
    assert len(claim(service, "alive", now=later)) == 1
    with unit_of_work(service.db) as s:
        assert s.exec(select(InboxItem.claimed_by)).one() == "alive"


def test_the_engine_dequeues_in_its_own_transaction(service) -> None:
    accept(service.db, delivery("+62811", "SM1", "apa syarat jadi pmi?"))
    [item] = claim(service)
    handled = service.engine.handle(Inbound.from_json(item.payload), item.id)
    assert not handled.duplicate and handled.outbox_ids
    with unit_of_work(service.db) as s:
        assert s.exec(select(InboxItem)).all() == []
        assert s.exec(select(MessageLog.text).where(MessageLog.direction == "in")).all() == ["apa syarat jadi pmi?"]


def run_processor(service, after=None) -> list[Inbound]:
    seen: list[Inbound] = []

    async def record(inbound, handled) -> None:
        seen.append(inbound)
        if after is not None:
            after(inbound, handled)

    asyncio.run(InboxProcessor(service.db, service.engine, record).process_pending())
    return seen


def test_the_processor_handles_every_person_in_arrival_order(service) -> None:
    texts = ["halo", "apa syarat jadi pmi?", "menu", "berapa biaya ke taiwan"]
    for n, text in enumerate(texts):
        for user in ("+62811", "+62822", "+62833"):
            accept(service.db, delivery(user, f"{user}-{n}", text))
    seen = run_processor(service)
    for user in ("+62811", "+62822", "+62833"):
        assert [i.text for i in seen if i.user_ref == user] == texts
    assert backlog(service.db) == (0, None)
    with unit_of_work(service.db) as s:
        assert len(s.exec(select(MessageLog).where(MessageLog.direction == "in")).all()) == 12


def test_a_failing_database_puts_the_delivery_back_instead_of_dropping_it(service, monkeypatch) -> None:
    accept(service.db, delivery("+62811", "SM1", "apa syarat jadi pmi?"))
    real_handle = service.engine.handle
    fail = threading.Event()
    fail.set()

    def flaky(inbound, inbox_id=None):
        if fail.is_set():
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real_handle(inbound, inbox_id)

    monkeypatch.setattr(service.engine, "handle", flaky)
    assert run_processor(service) == []
    count, oldest = backlog(service.db)
    assert count == 1 and oldest is not None
    with unit_of_work(service.db) as s:
        item = s.exec(select(InboxItem)).one()
        assert item.tries == 1 and item.claimed_by is None and item.last_error == "OperationalError"
        item.next_attempt_at = utcnow()  # skip the back-off
        s.add(item)
    fail.clear()
    assert [i.message_ref for i in run_processor(service)] == ["SM1"]
    with unit_of_work(service.db) as s:
        assert len(s.exec(select(Outbox)).all()) == 1
        assert s.exec(select(InboxItem)).all() == []


@pytest.mark.parametrize("tries, delay", [(0, 0.5), (3, 4.0), (20, 60.0)])
def test_retry_delay_grows_and_is_capped(tries, delay) -> None:
    from bot.workers.inbox import retry_delay

    assert retry_delay(tries) == delay


def test_a_person_in_danger_is_handled_before_a_backlog(service) -> None:
    for n in range(5):
        accept(service.db, delivery(f"+6281{n}", f"q{n}", "apa syarat jadi pmi?"))
    accept(service.db, delivery("+62899", "d0", "halo"))
    accept(service.db, delivery("+62899", "d1", "tolong saya dikurung majikan, paspor ditahan"))
    first = claim(service, limit=1)
    assert [i.payload["message_ref"] for i in first] == ["d0"]  # the line in danger goes first, in its own order
    service.engine.handle(Inbound.from_json(first[0].payload), first[0].id)
    assert [i.payload["message_ref"] for i in claim(service, "w2", limit=1)] == ["d1"]


def test_a_group_keeps_each_answer_in_its_place(service) -> None:
    with unit_of_work(service.db) as s:
        inbox.add(s, dedupe_key="whatsapp:b", order_key="whatsapp:+62811", payload={})
    with unit_of_work(service.db) as s:
        stored = inbox.add_many(s, [("whatsapp:c", "whatsapp:+62811", {}, False),
                                    ("whatsapp:b", "whatsapp:+62811", {}, False),  # already waiting
                                    ("whatsapp:a", "whatsapp:+62822", {}, True),
                                    ("whatsapp:c", "whatsapp:+62811", {}, False)])  # twice in one group
    assert stored == [True, False, True, False]
