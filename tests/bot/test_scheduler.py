"""SLA reminders, escalations and the daily summary, with a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.workers import scheduler
from bot.web.app import create_app
from storage import case_detail, cases, officers
from storage.db import unit_of_work
from storage.models import Contact, utcnow
from tests.conftest import Chat
from tests import scenario_rows

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 08:00 in Jakarta
LOCKED_IN = "tolong saya dikunci di rumah majikan dan paspor saya diambil"


def open_report(service, text: str) -> tuple[int, str]:
    chat = Chat(service)
    chat.say(text)
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == f"{chat.channel}:{chat.user}")).one()
        case = scenario_rows.latest_case(s, contact_id=contact.id)
        return case.id, case.number


def trail(service, case_id: int) -> list[str]:
    with unit_of_work(service.db) as s:
        return [e.kind for e in case_detail.events(s, case_id=case_id)]


@pytest.fixture
def announced(service) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    service.events.on_case_event(lambda kind, number: calls.append((kind, number)))
    return calls


def test_unclaimed_emergency_is_reminded_and_escalated_exactly_once(service, announced) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        case_id, number = open_report(service, LOCKED_IN)
        announced.clear()  # "created"
        clock.shift(dt.timedelta(minutes=14))
        assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport()
        clock.shift(dt.timedelta(minutes=2))  # 16 minutes: the 15-minute emergency SLA has passed
        first = scheduler.check_sla(service, utcnow())
        assert (first.reminded, first.escalated) == ([number], [number])
        for _ in range(10):
            clock.shift(dt.timedelta(minutes=7))
            assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport()
    kinds = trail(service, case_id)
    assert kinds.count("sla_reminder") == 1 and kinds.count("escalated_to_supervisor") == 1
    assert announced == [("sla_reminder", number), ("escalated_to_supervisor", number)]
    with unit_of_work(service.db) as s:
        case = cases.get_case(s, case_id=case_id)
        assert case.sla_reminded_at == case.escalated_at == T0 + dt.timedelta(minutes=16)


def test_a_claimed_case_is_neither_reminded_nor_escalated(service, announced) -> None:
    with unit_of_work(service.db) as s:
        ani = officers.add_officer(s, username="ani", password_hash="unused", role="officer")
    with time_machine.travel(T0, tick=False) as clock:
        case_id, _ = open_report(service, LOCKED_IN)
        with unit_of_work(service.db) as s:
            cases.claim(s, case_id=case_id, officer=ani)
        announced.clear()
        for _ in range(5):
            clock.shift(dt.timedelta(hours=1))
            assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport()
    assert "sla_reminder" not in trail(service, case_id)
    assert "escalated_to_supervisor" not in trail(service, case_id)
    assert announced == []


def test_other_cases_are_escalated_at_twice_their_sla(service) -> None:
    sla = service.settings.sla_minutes.normal
    with time_machine.travel(T0, tick=False) as clock:
        case_id, number = open_report(service, "saya mau bicara dengan petugas")
        with unit_of_work(service.db) as s:
            assert cases.get_case(s, case_id=case_id).priority == "normal"
        clock.shift(dt.timedelta(minutes=sla + 1))
        assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport(reminded=[number])
        clock.shift(dt.timedelta(minutes=sla - 5))  # 2 x SLA - 4 minutes
        assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport()
        clock.shift(dt.timedelta(minutes=5))
        assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport(escalated=[number])
        clock.shift(dt.timedelta(days=3))
        assert scheduler.check_sla(service, utcnow()) == scheduler.SlaReport()


def test_daily_summary_counts_open_cases_by_priority(service) -> None:
    with unit_of_work(service.db) as s:
        sri = officers.add_officer(s, username="sri", password_hash="unused", role="supervisor")
    with time_machine.travel(T0, tick=False) as clock:
        open_report(service, LOCKED_IN)  # emergency
        open_report(service, "saya mau bicara dengan petugas")  # normal
        open_report(service, "saya mau bicara dengan petugas")  # normal
        gone, _ = open_report(service, "saya mau bicara dengan petugas")
        with unit_of_work(service.db) as s:
            cases.resolve(s, case_id=gone, officer=sri, rating_prompt=cases.RatingPrompt("{case_number}?", ()))
        clock.shift(dt.timedelta(hours=23))
        text = scheduler.daily_summary(service, utcnow())
    assert "3 kasus terbuka" in text
    assert "darurat 1, tinggi 0, biasa 2" in text
    assert "Belum diambil petugas: 3" in text
    assert "lewat batas SLA: 1" in text  # the emergency; the normal ones still have a day
    assert "Diselesaikan 24 jam terakhir: 1" in text
    assert "03-03-2026 07:00" in text  # shown in Jakarta time


def test_the_app_runs_both_jobs_in_jakarta_time_and_stops_them(settings, service) -> None:
    app = create_app(settings, service)
    with TestClient(app):
        sched = app.state.scheduler
        assert sched.running
        sla_job, summary_job = sched.get_job(scheduler.SLA_JOB_ID), sched.get_job(scheduler.SUMMARY_JOB_ID)
        assert sla_job.trigger.interval == dt.timedelta(seconds=30)
        assert str(summary_job.trigger.timezone) == "Asia/Jakarta"
        assert "hour='7'" in str(summary_job.trigger) and "minute='0'" in str(summary_job.trigger)
        assert summary_job.misfire_grace_time >= 3600
    assert app.state.scheduler is None


def test_the_scheduler_can_be_switched_off_for_extra_workers(settings, service, monkeypatch) -> None:
    monkeypatch.setenv("HELPDESK_SCHEDULER", "off")
    app = create_app(settings, service)
    with TestClient(app):
        assert app.state.scheduler is None


def test_only_the_process_holding_the_lease_runs_the_jobs(service, monkeypatch) -> None:
    from types import SimpleNamespace

    from bot.workers import scheduler as sched

    app = SimpleNamespace(state=SimpleNamespace(service=service))
    runs: list[str] = []
    monkeypatch.setattr(sched, "check_sla", lambda svc, now: runs.append(sched.HOLDER))
    for worker in ("worker-a", "worker-b", "worker-a", "worker-b"):
        monkeypatch.setattr(sched, "HOLDER", worker)
        sched.run_check_sla(app)  # type: ignore[arg-type]
    assert runs == ["worker-a", "worker-a"]
