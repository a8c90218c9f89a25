"""The whole-case SLA, reopening and the console's change feed (the daily summary counts are
storage/case_summary.py).

Past the first response (storage/cases.py times unclaimed cases by `sla_due_at`) a case has
three more clocks, all read from the database, none kept in a process:

- next response: the person wrote in a claimed case and no officer has answered since; the
  clock starts at their first unanswered message (the transcript says when);
- resolution: from opening, or from the last reopening, until resolved;
- follow-up: a case "menunggu balasan pelapor" (waiting) has a date; when it passes the case
  is back with its officer ("claimed", or "new" without one) and sorts as due.

Each reminder or escalation is a conditional UPDATE of a mark on the case, so two scheduler
runs (or two processes) cannot both send it; a mark older than the person's unanswered
message belongs to an earlier exchange, so a new exchange is reminded again.

The console's live alerts read the case events (`alerts_after`): every change that matters
to a queue — opened, raised to emergency, claimed, past an SLA — is already an audit event
with an increasing id, so every serve process sees the same feed and nothing is held in memory.

Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVarTuple, overload

from sqlalchemy import Result, Select, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage import cases
from storage.errors import CaseError, CaseForbidden
from storage.ids import saved_id
from storage.models import Case, CaseEvent, MessageLog, Officer

MAX_REASON = 1000
REMINDER_BATCH = 500

# case events a connected console hears about (the rest — views, notes, replies — change no queue row's urgency)
ALERT_KINDS = ("created", "escalated", "claimed", "assigned", "status", "sla_reminder", "escalated_to_supervisor",
               "next_response_reminder", "resolution_overdue", "follow_up_due", "reopened", "closed_as_spam")
# events that call for an officer's attention (sound, notification); "created" only for an emergency
BREACH_KINDS = ("sla_reminder", "next_response_reminder", "resolution_overdue", "follow_up_due")


@dataclass(frozen=True)
class Targets:
    """One priority's SLA, as durations (bot/ builds them from config.yaml's `sla`)."""

    first_response: dt.timedelta
    next_response: dt.timedelta
    resolution: dt.timedelta


@dataclass
class SlaMarks:
    """What one run did, by case number."""

    follow_ups_set: int = 0
    follow_up_due: list[str] = field(default_factory=list)
    next_reminded: list[str] = field(default_factory=list)
    next_escalated: list[str] = field(default_factory=list)
    resolution_overdue: list[str] = field(default_factory=list)


def _now(now: dt.datetime | None) -> dt.datetime:
    return cases._now(now)


@overload
def _aware(value: dt.datetime) -> dt.datetime: ...
@overload
def _aware(value: dt.datetime | None) -> dt.datetime | None: ...


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite hands times back naive


def _targets(targets: Mapping[str, Targets], priority: str) -> Targets:
    return targets.get(priority) or targets["normal"]


# --- next response --------------------------------------------------------------------------------


def awaiting_reply(session: Session, *, case_ids: Sequence[int] | None = None,
                   limit: int = REMINDER_BATCH) -> dict[int, dt.datetime]:
    """Claimed cases whose person wrote after the claim and after the last officer reply:
    case id -> when their first unanswered message came."""
    last_reply = (select(func.max(MessageLog.id)).where(MessageLog.conversation_id == Case.conversation_id,
                                                        col(MessageLog.author).startswith("officer:"))
                  .correlate(Case).scalar_subquery())
    stmt = (select(Case.id, func.min(MessageLog.created_at))
            .join(MessageLog, col(MessageLog.conversation_id) == col(Case.conversation_id))
            .where(Case.status == "claimed", MessageLog.direction == "in",
                   col(MessageLog.created_at) > func.coalesce(Case.claimed_at, Case.created_at),
                   col(MessageLog.id) > func.coalesce(last_reply, 0))
            .group_by(col(Case.id)).limit(limit))
    if case_ids is not None:
        stmt = stmt.where(col(Case.id).in_(list(case_ids)))
    return {saved_id(case_id): _aware(since) for case_id, since in session.exec(stmt)}


def _mark_if_older(session: Session, *, case: Case, column: Any, since: dt.datetime, kind: str, detail: str,
                   now: dt.datetime) -> bool:
    """Set the mark unless it was set for this exchange already; True only for the run that set it."""
    result = session.exec(update(Case).where(col(Case.id) == case.id, column.is_(None) | (column < since))
                          .values({column.key: now}))
    if result.rowcount != 1:
        return False
    session.add(CaseEvent(case_id=saved_id(case.id), kind=kind, actor="bot", detail=detail, created_at=now))
    return True


# --- waiting and its follow-up date ---------------------------------------------------------------


def fill_follow_ups(session: Session, *, now: dt.datetime, default: dt.timedelta) -> int:
    """A reply (console or staff chat) puts a case to waiting without a date: it gets the default.
    A case no longer waiting (the person wrote back) drops its old date. How many got a date."""
    now = _now(now)
    session.exec(update(Case).where(col(Case.status) != "waiting", col(Case.follow_up_at).is_not(None))
                 .values(follow_up_at=None))
    result = session.exec(update(Case).where(col(Case.status) == "waiting", col(Case.follow_up_at).is_(None))
                          .values(follow_up_at=now + default))
    return result.rowcount or 0


def follow_ups_due(session: Session, *, now: dt.datetime, limit: int = REMINDER_BATCH) -> list[Case]:
    now = _now(now)
    return list(session.exec(select(Case).where(Case.status == "waiting", col(Case.follow_up_at).is_not(None),
                                                col(Case.follow_up_at) <= now)
                             .order_by(col(Case.follow_up_at)).limit(limit)))


def return_follow_up(session: Session, *, case: Case, now: dt.datetime) -> bool:
    """The follow-up date passed: the case is back with its officer, due now (it sorts as overdue)."""
    back = "claimed" if case.assignee_id is not None else "new"
    result = session.exec(update(Case).where(col(Case.id) == case.id, col(Case.status) == "waiting")
                          .values(status=back, sla_due_at=_aware(case.follow_up_at) or now, follow_up_at=None))
    if result.rowcount != 1:
        return False
    session.add(CaseEvent(case_id=saved_id(case.id), kind="follow_up_due", actor="bot",
                          detail=f"waiting → {back}: tanggal tindak lanjut lewat", created_at=now))
    return True


def set_waiting(session: Session, *, case_id: int, officer: Officer, follow_up_at: dt.datetime, note: str = "",
                now: dt.datetime | None = None) -> Case:
    """Waiting for the person, until a date: then it comes back to the queue."""
    now = _now(now)
    follow_up_at = _now(follow_up_at)
    if follow_up_at <= now:
        raise CaseError("Tanggal tindak lanjut harus setelah saat ini.")
    if follow_up_at > now + dt.timedelta(days=90):
        raise CaseError("Tanggal tindak lanjut paling lama 90 hari lagi.")
    case = cases.get_case(session, case_id=case_id)
    cases._may_act(case, officer)
    if case.status != "waiting":
        cases._move(session, case, "waiting", officer.username, note.strip()[:MAX_REASON])
    case.follow_up_at = follow_up_at
    cases._event(session, case, "follow_up_set", officer.username, follow_up_at.isoformat(timespec="minutes"), now=now)
    session.flush()
    return case


# --- reopening ------------------------------------------------------------------------------------


def reopen(session: Session, *, case_id: int, officer: Officer, reason: str, now: dt.datetime | None = None) -> Case:
    """A resolved or closed case is open again, with a reason in the audit trail.

    It goes back to its officer ("claimed") if that officer is still active, else to the
    queue ("new", due at once). The assignee, a supervisor or — for a case nobody held —
    any officer may reopen. The resolution clock starts again; the staff desk reopens the
    case's Telegram topic on its next sweep.
    """
    now = _now(now)
    reason = cases._text(reason, MAX_REASON, "Alasan membuka kembali")
    case = cases.get_case(session, case_id=case_id)
    cases._active(officer)
    if case.status not in cases.CLOSED_STATUSES:
        raise CaseError(f"Kasus {case.number} masih terbuka.")
    if case.assignee_id is not None and case.assignee_id != officer.id and not cases._is_supervisor(officer):
        raise CaseForbidden("Hanya petugas kasus ini atau supervisor yang boleh membukanya kembali.")
    holder = session.get(Officer, case.assignee_id) if case.assignee_id else None
    if holder is None or not holder.active:
        case.assignee_id = None
    old, case.status = case.status, "claimed" if case.assignee_id else "new"
    if case.status == "new":
        case.sla_due_at = now
    case.resolved_at, case.spam_closed_from, case.follow_up_at = None, None, None
    case.reopened_at, case.resolution_reminded_at = now, None
    cases._event(session, case, "reopened", officer.username, f"{old} → {case.status}: {reason}", now=now)
    session.flush()
    return case


# --- one SLA run ----------------------------------------------------------------------------------


def check(session: Session, *, now: dt.datetime, targets: Mapping[str, Targets],
          follow_up_default: dt.timedelta) -> SlaMarks:
    """Follow-ups, next-response reminders and escalations, resolution overdue: each once."""
    now = _now(now)
    marks = SlaMarks(follow_ups_set=fill_follow_ups(session, now=now, default=follow_up_default))
    for case in follow_ups_due(session, now=now):
        if return_follow_up(session, case=case, now=now):
            marks.follow_up_due.append(case.number)
    waiting_since = awaiting_reply(session)
    if waiting_since:
        for case in session.exec(select(Case).where(col(Case.id).in_(list(waiting_since)))):
            since = waiting_since[saved_id(case.id)]
            target = _targets(targets, case.priority).next_response
            if now >= since + target and _mark_if_older(
                    session, case=case, column=col(Case.next_response_reminded_at), since=since,
                    kind="next_response_reminder", detail="pelapor belum dibalas setelah batas SLA", now=now):
                marks.next_reminded.append(case.number)
            # twice the target: the supervisors hear of it
            if now >= since + 2 * target and _mark_if_older(
                    session, case=case, column=col(Case.next_response_escalated_at), since=since,
                    kind="escalated_to_supervisor", detail="balasan petugas terlambat", now=now):
                marks.next_escalated.append(case.number)
    for case in _resolution_late(session, now=now, targets=targets):
        result = session.exec(update(Case).where(col(Case.id) == case.id, col(Case.resolution_reminded_at).is_(None))
                              .values(resolution_reminded_at=now))
        if result.rowcount == 1:
            session.add(CaseEvent(case_id=saved_id(case.id), kind="resolution_overdue", actor="bot",
                                  detail="belum selesai setelah batas waktu penyelesaian", created_at=now))
            marks.resolution_overdue.append(case.number)
    session.flush()
    return marks


def _resolution_late(session: Session, *, now: dt.datetime, targets: Mapping[str, Targets]) -> list[Case]:
    late: list[Case] = []
    for priority in cases.PRIORITIES:
        cutoff = now - _targets(targets, priority).resolution
        late += list(session.exec(
            select(Case).where(col(Case.status).in_(cases.OPEN_STATUSES), Case.priority == priority,
                               col(Case.resolution_reminded_at).is_(None), col(Case.suspected_spam).is_(False),
                               func.coalesce(Case.reopened_at, Case.created_at) <= cutoff)
            .order_by(col(Case.id)).limit(REMINDER_BATCH)))
    return late


def due_at(case: Case, *, targets: Mapping[str, Targets], awaiting_since: dt.datetime | None) -> dt.datetime | None:
    """When the case next needs an officer: first response, next response, follow-up or resolution."""
    if case.status not in cases.OPEN_STATUSES:
        return None
    t = _targets(targets, case.priority)
    resolution = (_aware(case.reopened_at) or _aware(case.created_at)) + t.resolution
    if case.status == "new":
        return min(_aware(case.sla_due_at), resolution)
    if case.status == "waiting" and case.follow_up_at is not None:
        return min(_aware(case.follow_up_at), resolution)
    if awaiting_since is not None:
        return min(awaiting_since + t.next_response, resolution)
    return resolution


# --- the console's change feed --------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One change a connected console is told about: no personal data, only what the queue shows."""

    id: int
    kind: str
    case_id: int
    number: str
    priority: str
    emergency: bool
    status: str
    assignee_id: int | None
    detail: str
    restricted: bool = False


def latest_event_id(session: Session) -> int:
    return session.exec(select(func.max(CaseEvent.id))).one() or 0


_Ts = TypeVarTuple("_Ts")


def _rows(session: Session, statement: Select[*_Ts]) -> Result[*_Ts]:
    """The rows of a select of more than 4 columns, typed.

    sqlmodel's `select` stops at 4 columns and its `Session.execute` returns untyped rows;
    SQLAlchemy's own `Session.execute`, which sqlmodel's `exec` runs too, keeps the row type.
    """
    return OrmSession.execute(session, statement)


def alerts_after(session: Session, *, after_id: int, limit: int = 100) -> list[Alert]:
    """Queue-relevant case events after `after_id`, oldest first (a primary-key range: cheap to poll)."""
    rows = _rows(session, sa_select(col(CaseEvent.id), col(CaseEvent.kind), col(CaseEvent.detail), col(Case.id),
                                    col(Case.number), col(Case.priority), col(Case.emergency), col(Case.status),
                                    col(Case.assignee_id), col(Case.restricted))
                 .join(Case, col(Case.id) == col(CaseEvent.case_id))
                 .where(col(CaseEvent.id) > after_id, col(CaseEvent.kind).in_(ALERT_KINDS))
                 .order_by(col(CaseEvent.id)).limit(limit))
    return [Alert(saved_id(event_id), kind, saved_id(case_id), number, priority, emergency or priority == "emergency",
                  status, assignee_id,
                  detail[:200] if kind != "reopened" else "",  # a reopening's reason stays on the page
                  bool(restricted))
            for event_id, kind, detail, case_id, number, priority, emergency, status, assignee_id, restricted in rows]


# --- an officer asks for the supervisors ----------------------------------------------------------


def escalate_to_supervisors(session: Session, *, case_id: int, officer: Officer, reason: str,
                            now: dt.datetime | None = None) -> Case:
    """An officer asks the supervisors to step in (any open case the officer may see)."""
    now = _now(now)
    reason = cases._text(reason, MAX_REASON, "Alasan eskalasi")
    case = cases.get_case(session, case_id=case_id)
    cases._active(officer)
    cases._open(case)
    case.escalated_at = case.escalated_at or now
    cases._event(session, case, "escalated_to_supervisor", officer.username, reason, now=now)
    session.flush()
    return case
