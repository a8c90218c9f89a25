"""Several workers on one database: only the lease holder runs the periodic jobs and the desk's sweep.

Two apps (two services, two engines, two schedulers, two staff desks) share one database and,
for the desk, one fake Bot API, as four uvicorn workers behind one bot would. Creating a forum
topic takes a moment here, as it does over the internet: without the lease both desks would see
a new case without a topic and each would create one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.workers import scheduler
from bot.web.app import create_app
from bot.channels import staff_desk
from bot.service import build_service
from bot.channels import staff_desk_sweep
from storage import privacy
from storage.models import Case, SchedulerLease
from tests.channels import TG_SECRET, channel_settings, rows, wait_until
from tests.channels.fake_telegram import FakeTelegram, message_update
from tests.conftest import Chat

STAFF = -1001234567890
EMERGENCY = "tolong saya dikurung majikan"


class SlowTelegram(FakeTelegram):
    """createForumTopic answers after a delay, which leaves two racing sweeps time to collide."""

    def _api_createForumTopic(self, p: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.4)
        return super()._api_createForumTopic(p)


@pytest.fixture(autouse=True)
def quick_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff_desk_sweep, "SWEEP_SECONDS", 0.1)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = SlowTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def second_service(settings, ctx):  # type: ignore[no-untyped-def]
    """Another worker's service: its own engine on the same database."""
    svc = build_service(settings, ctx=ctx)
    yield svc
    svc.db.dispose()


class Workers:
    """Two running apps on one database; either can be stopped on its own."""

    def __init__(self, settings, services) -> None:  # type: ignore[no-untyped-def]
        self.stacks = [ExitStack() for _ in services]
        self.clients: list[TestClient] = [stack.enter_context(TestClient(create_app(settings, svc)))
                                          for stack, svc in zip(self.stacks, services)]
        self.services = list(services)
        self.desks: list[staff_desk.StaffDesk] = [c.app.state.channels.desk for c in self.clients]

    def desk(self, i: int) -> staff_desk.StaffDesk:
        return self.desks[i]

    def holder(self) -> int:
        """Which worker holds the desk's lease (waiting until one does)."""
        def find() -> int | None:
            with Session(self.services[0].db) as s:
                row = s.get(SchedulerLease, staff_desk_sweep.LEASE_NAME)
            for i in range(len(self.clients)):
                if row is not None and row.holder == self.desk(i).sweep.holder and self.desk(i).sweep._leading:
                    return i + 1  # 0 would read as "not yet"
            return None
        return wait_until(find, what="a desk holding the lease") - 1

    def stop(self, i: int) -> None:
        self.stacks[i].close()

    def close(self) -> None:
        for stack in self.stacks:
            stack.close()


@pytest.fixture
def workers(settings, tmp_path, service, second_service, fake) -> Iterator[Workers]:
    s = channel_settings(settings, tmp_path, telegram_url=fake.url, token=fake.token, mode="webhook",
                         staff_chat_id=STAFF)
    running = Workers(s, [service, second_service])
    yield running
    running.close()


def report(service) -> str:  # type: ignore[no-untyped-def]
    """A reporter on Telegram opens an emergency case through this worker's engine; its number."""
    chat = Chat(service, user=str(random.randint(10_000_000, 99_999_999)))
    chat.say(EMERGENCY)
    return max(rows(service, Case), key=lambda c: c.id).number


def threads(service) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    return {c.number: c.telegram_thread_id for c in rows(service, Case)}


def topics_by_case(fake: FakeTelegram) -> dict[str, int]:
    """Case number -> how many topics were created for it."""
    counts: dict[str, int] = {}
    for call in fake.of("createForumTopic", chat_id=STAFF):
        number = call.params["name"].removeprefix("🆘 ").split(" · ")[0]
        counts[number] = counts.get(number, 0) + 1
    return counts


def test_two_workers_create_one_topic_per_case(workers, fake, service, second_service) -> None:
    numbers = [report(svc) for svc in (service, second_service, service, second_service)]
    wait_until(lambda: all(threads(service).get(n) for n in numbers), what="every case announced")
    time.sleep(0.6)  # several more sweeps of each desk: a second topic would be on its way by now
    assert topics_by_case(fake) == {n: 1 for n in numbers}
    # each case's one topic is the one it keeps, and its announcement went there once
    for number, thread in threads(service).items():
        announced = [c for c in fake.of("sendMessage", chat_id=STAFF, message_thread_id=thread)
                     if c.params["text"].startswith(f"🆘 Kasus baru {number}")]
        assert len(announced) == 1


def test_the_other_worker_takes_over_when_the_holder_stops(workers, fake, service, second_service) -> None:
    first = report(service)
    wait_until(lambda: threads(service).get(first), what="first case announced")
    holder = workers.holder()
    survivor = 1 - holder
    workers.stop(holder)  # releases the lease: no wait for it to run out
    assert workers.holder() == survivor
    second = report([service, second_service][survivor])
    wait_until(lambda: threads(service).get(second), what="case announced by the survivor")
    time.sleep(0.3)
    assert topics_by_case(fake) == {first: 1, second: 1}


def test_a_reporters_later_message_reaches_the_thread_once_whichever_worker_has_it(workers, fake,
                                                                                     service) -> None:
    chat = random.randint(10_000_000, 99_999_999)
    holder = workers.holder()
    other = workers.clients[1 - holder]
    # the webhooks of one bot land on any worker; here on the one without the lease
    for text in (EMERGENCY, "pintu dikunci dari luar"):
        r = other.post("/webhooks/telegram", json=message_update(chat, text),
                       headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        assert r.status_code == 200
    case = wait_until(lambda: [c for c in rows(service, Case) if c.telegram_thread_id], what="case thread")[0]
    mirror = "💬 Pelapor: pintu dikunci dari luar"
    wait_until(lambda: any(c.params["text"] == mirror for c in fake.of("sendMessage", chat_id=STAFF)),
               what="mirrored message")
    time.sleep(0.3)
    posted = [c for c in fake.of("sendMessage", chat_id=STAFF) if c.params["text"] == mirror]
    assert len(posted) == 1 and str(posted[0].params["message_thread_id"]) == str(case.telegram_thread_id)


# --- the scheduler's jobs -------------------------------------------------------------------------------


def test_every_scheduled_job_runs_only_in_the_lease_holder(settings, service, second_service, monkeypatch) -> None:
    done: list[tuple[str, int]] = []
    apps: list[Any] = []

    def record(what: str):  # type: ignore[no-untyped-def]
        def work(svc, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
            # the service (or the session of one) tells which worker did the work
            which = next(i for i, a in enumerate(apps) if a.state.service is svc
                         or getattr(svc, "bind", None) is a.state.service.db)
            done.append((what, which))
            return scheduler.SlaReport() if what == "sla" else "ringkasan"
        return work

    monkeypatch.setattr(scheduler, "check_sla", record("sla"))
    monkeypatch.setattr(scheduler, "daily_summary", record("summary"))
    monkeypatch.setattr(privacy, "purge", record("purge"))
    stacks = [ExitStack(), ExitStack()]
    try:
        for stack, svc in zip(stacks, (service, second_service)):
            apps.append(stack.enter_context(TestClient(create_app(settings, svc))).app)
        jobs = [job for app in apps for job in app.state.scheduler.get_jobs()]
        assert {job.id for job in jobs} == {scheduler.SLA_JOB_ID, scheduler.SUMMARY_JOB_ID, scheduler.PURGE_JOB_ID}
        assert all(job.func is scheduler.leased for job in jobs)  # no job bypasses the lease
        for _ in range(2):
            for job in jobs:
                job.func(*job.args)
        assert sorted(what for what, _ in done) == ["purge", "purge", "sla", "sla", "summary", "summary"]
        holders = {which for _, which in done}
        assert len(holders) == 1  # one worker did all of it, the other none
        holder = holders.pop()
        done.clear()
        # the holder stops and releases the lease: the other worker's next run does the work, at once
        stacks[holder].close()
        sla = apps[1 - holder].state.scheduler.get_job(scheduler.SLA_JOB_ID)
        sla.func(*sla.args)
        assert done == [("sla", 1 - holder)]
    finally:
        for stack in stacks:
            stack.close()
