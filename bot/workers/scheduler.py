"""Timed work: SLA reminders and escalations, the daily summary. APScheduler in the app's lifespan.

The jobs are thin calls of plain functions (`check_sla`, `daily_summary`) that tests call
with a frozen clock. Both are idempotent: a case is reminded once and escalated once
whatever the number of runs (the marks are conditional UPDATEs in storage/first_response.py).

The app's lifespan starts the scheduler (bot/web/app.py) in every process that runs background work
(`helpdesk serve` by default, `helpdesk worker`; not `serve --no-workers`). Case events go to the
service's event sink (bot/events.py).

One process runs the jobs (DESIGN.md, decision 6): every worker starts the scheduler, but a
job does its work only in the process that holds the database lease (storage/lease.py): every
job is added as `leased(app, work)`; each run renews the lease, and another worker takes over
when a holder dies. The staff desk's sweep (bot/channels/staff_desk_sweep.py) runs under a lease of
its own, "staff_desk", so that a worker with HELPDESK_SCHEDULER=off can hold it without
keeping these jobs from running. HELPDESK_SCHEDULER=off switches the scheduler off in a
process altogether.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI

from storage import case_sla, case_summary, first_response, lease, privacy
from storage.db import read_session, unit_of_work
from storage.models import utcnow

log = logging.getLogger(__name__)

SLA_JOB_ID = "sla_check"
SUMMARY_JOB_ID = "daily_summary"
PURGE_JOB_ID = "retention_purge"
SLA_INTERVAL_SECONDS = 30
SUMMARY_AT = (7, 0)  # 07:00 in the service's time zone (Asia/Jakarta)


@dataclass
class SlaReport:
    """What one run of check_sla did, by case number."""

    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    # past the claim (storage/case_sla.py): the person waits for an answer, a follow-up date passed,
    # the case is open past its resolution target
    whole_case: case_sla.SlaMarks = field(default_factory=case_sla.SlaMarks)


def _utc(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)


def sla_targets(settings: Any) -> dict[str, case_sla.Targets]:
    minutes = dt.timedelta(minutes=1)
    return {p: case_sla.Targets(t.first_response * minutes, t.next_response * minutes, t.resolution * minutes)
            for p in ("emergency", "high", "normal") for t in (settings.sla.targets(p),)}


def check_sla(service: Any, now: dt.datetime) -> SlaReport:
    """Remind about unclaimed cases past their SLA, then escalate them to the supervisors; then
    the whole-case clocks (next response, follow-up, resolution; storage/case_sla.py).

    An emergency is reminded and escalated as soon as its SLA passes; other cases are
    escalated at twice their SLA. Each mark fires once per case (per exchange, for the next response).
    """
    now = _utc(now)
    report = SlaReport()
    with unit_of_work(service.db) as s:
        sla = service.settings.sla
        report.whole_case = case_sla.check(s, now=now, targets=sla_targets(service.settings),
                                           follow_up_default=dt.timedelta(hours=sla.waiting_follow_up_hours))
        for case in first_response.overdue_unclaimed(s, now=now):
            number, case_id = case.number, case.id
            assert case_id is not None
            if case.sla_reminded_at is None and first_response.mark_sla_reminded(s, case_id=case_id, now=now):
                report.reminded.append(number)
            if (case.escalated_at is None and now >= first_response.escalation_due_at(case)
                    and first_response.mark_escalated(s, case_id=case_id, now=now)):
                report.escalated.append(number)
    # announce after the commit, so nobody is told about a mark that was rolled back
    announce: Callable[[str, str], None] | None = service.events.case_event if hasattr(service, "events") else None
    whole = report.whole_case
    for kind, numbers in (("sla_reminder", report.reminded), ("escalated_to_supervisor", report.escalated),
                          ("next_response_reminder", whole.next_reminded),
                          ("next_response_escalated", whole.next_escalated),
                          ("follow_up_due", whole.follow_up_due), ("resolution_overdue", whole.resolution_overdue)):
        for number in numbers:
            log.warning("case %s: %s", number, kind)  # a case number is not personal data
            if announce is not None:
                announce(kind, number)
    return report


def daily_summary(service: Any, now: dt.datetime) -> str:
    """The overview of open cases, in Indonesian, computed from the database whenever asked
    (the console shows it; any worker gives the same answer, and a restart loses nothing)."""
    now = _utc(now)
    tz = ZoneInfo(service.settings.service.timezone)
    with read_session(service.db) as s:
        c = case_summary.summary_counts(s, now=now)
    by_priority = c.by_priority
    local = now.astimezone(tz)
    return (f"Ringkasan harian {local:%d-%m-%Y %H:%M} ({tz.key}): {c.open_total} kasus terbuka — "
            f"darurat {by_priority['emergency']}, tinggi {by_priority['high']}, biasa {by_priority['normal']}. "
            f"Belum diambil petugas: {c.unclaimed}, lewat batas SLA: {c.overdue_unclaimed}. "
            f"Tindak lanjut jatuh tempo: {c.follow_up_due}, lewat batas penyelesaian: {c.resolution_overdue}. "
            f"Diselesaikan 24 jam terakhir: {c.resolved_last_day}.")


# --- the jobs and their scheduler ----------------------------------------------------------------


LEASE_NAME = "scheduler"


def new_holder(role: str = "") -> str:
    """A name for one lease holder: host, process and a random part (two apps in one process differ)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{role}{uuid.uuid4().hex[:8]}"[:100]


HOLDER = new_holder()  # this process's name, unless start_scheduler gave the app one of its own


def holder_of(app: FastAPI) -> str:
    return getattr(app.state, "lease_holder", None) or HOLDER


def is_leader(app: FastAPI) -> bool:
    """Take or renew the lease; only its holder runs the jobs."""
    return lease.try_acquire(app.state.service.db, name=LEASE_NAME, holder=holder_of(app))


def leased(app: FastAPI, work: Callable[[FastAPI], None]) -> bool:
    """Every job runs through here: its work is done only by the lease holder, and each run renews the lease."""
    if not is_leader(app):
        return False
    work(app)
    return True


def _sla_work(app: FastAPI) -> None:
    check_sla(app.state.service, utcnow())


def _purge_work(app: FastAPI) -> None:
    service = app.state.service
    with unit_of_work(service.db) as s:
        result = privacy.purge(s, retention_days=service.settings.privacy.retention_days)
    log.info("retention purge: %s", result)


def _summary_work(app: FastAPI) -> None:
    # the console computes the summary itself when a page asks: nothing is kept in this worker
    summary = daily_summary(app.state.service, utcnow())
    log.info("daily summary ready (%d characters)", len(summary))


def run_check_sla(app: FastAPI) -> None:
    leased(app, _sla_work)


def run_purge(app: FastAPI) -> None:
    leased(app, _purge_work)


def run_daily_summary(app: FastAPI) -> None:
    leased(app, _summary_work)


def scheduler_enabled() -> bool:
    return os.environ.get("HELPDESK_SCHEDULER", "on").strip().lower() not in ("off", "0", "false", "no")


def start_scheduler(app: FastAPI) -> AsyncIOScheduler | None:
    """Start the jobs; call inside the running event loop (the lifespan)."""
    if not scheduler_enabled():
        log.info("scheduler disabled by HELPDESK_SCHEDULER")
        app.state.scheduler = None
        return None
    tz = ZoneInfo(app.state.service.settings.service.timezone)
    # a restart must not silently skip a run that fell due while the process was down
    scheduler = AsyncIOScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": 3600})
    app.state.lease_holder = new_holder()
    # sync jobs run in the loop's thread pool (AsyncIOExecutor), not on the event loop; each is
    # `leased`, so with several workers only the lease holder does the work
    scheduler.add_job(leased, "interval", seconds=SLA_INTERVAL_SECONDS, id=SLA_JOB_ID, args=[app, _sla_work],
                      replace_existing=True, misfire_grace_time=SLA_INTERVAL_SECONDS * 4)
    scheduler.add_job(leased, "cron", hour=SUMMARY_AT[0], minute=SUMMARY_AT[1], id=SUMMARY_JOB_ID,
                      args=[app, _summary_work], replace_existing=True, misfire_grace_time=6 * 3600)
    scheduler.add_job(leased, "cron", hour=2, minute=30, id=PURGE_JOB_ID, args=[app, _purge_work],
                      replace_existing=True, misfire_grace_time=12 * 3600)
    scheduler.start()
    app.state.scheduler = scheduler
    log.info("scheduler started (%s)", tz.key)
    return scheduler


def stop_scheduler(app: FastAPI) -> None:
    scheduler: AsyncIOScheduler | None = getattr(app.state, "scheduler", None)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
        lease.release(app.state.service.db, name=LEASE_NAME, holder=holder_of(app))
    app.state.scheduler = None
