"""Live alerts for the console, and the whole-case SLA actions: waiting until a date, reopen, escalate.

The alert stream (`/console/alerts/stream`) is Server-Sent Events fed from the database: each
connected console reads the case events after the last one it was sent (storage/case_sla.py,
a primary-key range) every POLL_SECONDS. Every serve process answers the same, so it works
behind a load balancer; nothing is held in one process's memory. The browser's EventSource
reconnects by itself with the last event id; a stream ends after STREAM_SECONDS so the
session is checked again and a stopping server is not held up for long. Without EventSource the queue still refreshes by polling
(bot/web/static/console.js); bot/web/static/alerts.js plays the sound, shows the notification and
blinks the title.

An event carries what the queue row shows (case number, priority, status), never the summary
or anything about the person; `alert` says whether this viewer should be alerted: a new or
raised emergency and an unclaimed case past its SLA alert everyone, a claimed case's
reminders its officer and the supervisors, an escalation the supervisors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from bot.web import auth
from bot.web.auth import CsrfChecked
from bot.web.errors import LoginRequired
from storage import case_sla, staff_sessions
from storage.db import read_session, unit_of_work
from storage.errors import CaseError
from storage.ids import saved_id
from storage.models import Officer

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# then the browser reconnects and the session is checked again; short, because a stopping server
# waits for open responses (uvicorn's graceful shutdown) and a stream is one
STREAM_SECONDS = 30.0
KEEPALIVE_SECONDS = 15.0  # a comment line, so proxies do not close an idle stream
RETRY_MS = 2000
MAX_RESUME = 500  # events replayed at most after a reconnect
LOOKBACK = 50  # event ids read again on each poll, for transactions that committed out of id order

ALERT_TEXT = {
    "created": "Kasus darurat baru {number}",
    "escalated": "Kasus {number} dinaikkan ke darurat",
    "sla_reminder": "Kasus {number} lewat batas SLA dan belum diambil",
    "escalated_to_supervisor": "Kasus {number} dieskalasi ke supervisor",
    "next_response_reminder": "Pelapor kasus {number} belum dibalas",
    "resolution_overdue": "Kasus {number} lewat batas penyelesaian",
    "follow_up_due": "Kasus {number}: tanggal tindak lanjut tiba",
}

router = APIRouter(prefix="/console")
RowId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _service(request: Request) -> Any:
    return request.app.state.service


def _stream_staff(request: Request) -> auth.Staff:
    """The signed-in officer, without moving the idle deadline (a stream is not the officer at work)."""
    token = request.cookies.get(auth.SESSION_COOKIE, "")
    with unit_of_work(_service(request).db) as s:
        loaded = staff_sessions.load_session(s, token=token, idle=auth.idle_of(request), touch=False) if token else None
        # as auth.current_staff: a supervisor or admin without a second factor is not signed in
        if loaded is None or (loaded[1].role in auth.SUPERVISOR_ROLES
                              and getattr(loaded[1], "totp_enabled_at", True) is None):
            staff = None
        else:
            row, officer = loaded
            staff = auth.Staff(saved_id(officer.id), officer.username, officer.shown_name,
                               officer.role, row.csrf_token)
    if staff is None:
        # 401, not the login page: EventSource cannot follow a redirect to HTML; the polling fallback does
        raise HTTPException(401, "Silakan masuk terlebih dahulu.")
    return staff


def may_see(alert: case_sla.Alert, staff: auth.Staff) -> bool:
    """The queue's rule (storage/access.py): an officer hears of unassigned unrestricted cases and their own."""
    if staff.is_supervisor or alert.assignee_id == staff.officer_id:
        return True
    return alert.assignee_id is None and not alert.restricted


def event_for(alert: case_sla.Alert, staff: auth.Staff) -> dict[str, Any]:
    """What one viewer is told about one change."""
    kind, mine = alert.kind, alert.assignee_id == staff.officer_id
    if kind == "created":
        wanted = alert.emergency
    elif kind in ("escalated", "sla_reminder"):
        wanted = alert.status == "new" or mine or staff.is_supervisor
    elif kind == "escalated_to_supervisor":
        wanted = staff.is_supervisor
    elif kind in case_sla.BREACH_KINDS:
        wanted = mine or staff.is_supervisor or alert.assignee_id is None
    else:
        wanted = False
    return {"id": alert.id, "kind": kind, "case": alert.number, "case_id": alert.case_id, "priority": alert.priority,
            "emergency": alert.emergency, "status": alert.status, "alert": wanted,
            # the title blinks until somebody claims the case
            "blink": wanted and alert.status == "new",
            "text": ALERT_TEXT.get(kind, "").format(number=alert.number) if wanted else ""}


def _read(db: Any, after_id: int | None) -> tuple[int, list[case_sla.Alert]]:
    with read_session(db) as s:
        latest = case_sla.latest_event_id(s)
        if after_id is None:
            return latest, []
        start = max(after_id, latest - MAX_RESUME)
        return latest, case_sla.alerts_after(s, after_id=start)


def _resume_from(request: Request) -> int | None:
    value = request.headers.get("last-event-id", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@router.get("/alerts/stream")
async def alert_stream(request: Request) -> StreamingResponse:
    staff = await anyio.to_thread.run_sync(_stream_staff, request)
    db = _service(request).db
    resume = _resume_from(request)

    async def events() -> AsyncIterator[str]:
        latest, pending = await anyio.to_thread.run_sync(_read, db, resume)
        floor = last = resume if resume is not None else latest  # nothing at or below `floor` is for this stream
        sent: set[int] = set()
        # the first line tells the page the stream is live (it then polls less often)
        yield f"retry: {RETRY_MS}\nevent: ready\ndata: {json.dumps({'latest': last})}\n\n"
        started = quiet_since = time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS:
            for alert in pending:
                if alert.id in sent:
                    continue
                sent.add(alert.id)
                last = max(last, alert.id)
                if not may_see(alert, staff):
                    continue  # not even the number of a case hidden from this viewer
                # the id is the highest sent so far: a reconnection resumes after it
                yield f"id: {last}\nevent: case\ndata: {json.dumps(event_for(alert, staff))}\n\n"
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
                yield ": ping\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)
            if await request.is_disconnected():
                return
            # a little behind the last id: on PostgreSQL a transaction that took a lower id may commit later
            since = max(floor, last - LOOKBACK)
            sent = {i for i in sent if i > since}
            _, pending = await anyio.to_thread.run_sync(_read, db, since)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# --- whole-case SLA actions on the case page ------------------------------------------------------


def _officer(s: Any, staff: auth.Staff) -> Officer:
    officer = s.get(Officer, staff.officer_id)
    if officer is None:
        raise LoginRequired()
    return officer


def _announce(request: Request, kind: str, number: str) -> None:
    """After the commit: the staff desk (Telegram) hears of it at once rather than at its next sweep."""
    announce = getattr(_service(request).engine, "on_case_event", None)
    if announce is not None:
        announce(kind, number)


def _back(case_id: int, flash: str) -> RedirectResponse:
    return RedirectResponse(f"/console/cases/{case_id}?ok={flash}", status_code=303)


def parse_local(value: str, tz: ZoneInfo) -> dt.datetime:
    """A date (and time) typed in the service's time zone, as the form's datetime-local sends it."""
    value = value.strip()
    try:
        moment = dt.datetime.fromisoformat(value) if "T" in value or " " in value else \
            dt.datetime.combine(dt.date.fromisoformat(value), dt.time(8, 0))
    except ValueError:
        raise CaseError("Tanggal tindak lanjut tidak bisa dibaca (contoh: 2026-12-05 09:00).") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


@router.post("/cases/{case_id}/tunggu")
def wait_for_person(request: Request, case_id: RowId, staff: CsrfChecked,
                    follow_up: Annotated[str, Form(max_length=40)] = "",
                    note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    if not follow_up.strip():
        raise CaseError("Status menunggu balasan memerlukan tanggal tindak lanjut.")
    when = parse_local(follow_up, ZoneInfo(_service(request).settings.service.timezone))
    with unit_of_work(_service(request).db) as s:
        case_sla.set_waiting(s, case_id=case_id, officer=_officer(s, staff), follow_up_at=when, note=note)
    return _back(case_id, "waiting")


@router.post("/cases/{case_id}/reopen")
def reopen_case(request: Request, case_id: RowId, staff: CsrfChecked,
                reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    with unit_of_work(_service(request).db) as s:
        number = case_sla.reopen(s, case_id=case_id, officer=_officer(s, staff), reason=reason).number
    log.info("case %s reopened from the console", number)
    _announce(request, "reopened", number)
    return _back(case_id, "reopened")


@router.post("/cases/{case_id}/escalate")
def escalate_case(request: Request, case_id: RowId, staff: CsrfChecked,
                  reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """An officer asks the supervisors for help: their consoles and the staff chat hear of it."""
    with unit_of_work(_service(request).db) as s:
        number = case_sla.escalate_to_supervisors(s, case_id=case_id, officer=_officer(s, staff),
                                                  reason=reason).number
    _announce(request, "escalated_by_officer", number)
    return _back(case_id, "escalated")
