"""The first-response SLA: unclaimed cases past their `sla_due_at` get one reminder, then one
escalation to the supervisors (the later clocks of a case are storage/case_sla.py).

Each mark is a conditional UPDATE, so two schedulers (or two runs) cannot both send it.
Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import false, update
from sqlmodel import Session, col, select

from storage import cases
from storage.models import Case


def overdue_unclaimed(session: Session, *, now: dt.datetime, limit: int = 500) -> list[Case]:
    """Unclaimed cases past their SLA that still owe a reminder or an escalation.

    Not the cases flagged "kemungkinan spam": the console's warning already tells the
    supervisors about them, once, instead of a reminder per case of a flood.
    """
    now = cases._now(now)
    stmt = (select(Case).where(Case.status == "new", col(Case.assignee_id).is_(None), Case.sla_due_at <= now,
                               col(Case.suspected_spam) == false(),
                               col(Case.sla_reminded_at).is_(None) | col(Case.escalated_at).is_(None))
            .order_by(col(Case.priority_rank), col(Case.sla_due_at)).limit(limit))
    return list(session.exec(stmt))


def overdue_unclaimed_count(session: Session, *, now: dt.datetime) -> int:
    """Unclaimed cases past their SLA due time (the morning summary and the metrics gauge)."""
    return cases.count_where(session, Case.status == "new", Case.sla_due_at <= cases._now(now))


def escalation_due_at(case: Case) -> dt.datetime:
    """An emergency goes to the supervisors when its SLA passes; other cases at twice their SLA."""
    if case.emergency or case.priority == "emergency":
        return case.sla_due_at
    return case.sla_due_at + max(case.sla_due_at - case.created_at, dt.timedelta(0))


def _mark_once(session: Session, *, case_id: int, column: Any, kind: str, detail: str,
               now: dt.datetime | None) -> bool:
    # a conditional UPDATE, not read-then-write: two schedulers (or two runs) cannot both win
    stamp = cases._now(now)
    result = session.exec(update(Case).where(col(Case.id) == case_id, column.is_(None))
                             .values({column.key: stamp}))
    if result.rowcount != 1:
        return False
    case = cases.get_case(session, case_id=case_id)
    session.refresh(case)
    cases._event(session, case, kind, "bot", detail, now=stamp)
    session.flush()
    return True


def mark_sla_reminded(session: Session, *, case_id: int, now: dt.datetime | None = None) -> bool:
    """Record the SLA reminder; True only the first time for this case."""
    return _mark_once(session, case_id=case_id, column=col(Case.sla_reminded_at), kind="sla_reminder",
                      detail="belum diambil petugas setelah batas SLA", now=now)


def mark_escalated(session: Session, *, case_id: int, now: dt.datetime | None = None) -> bool:
    """Record the escalation to supervisors; True only the first time for this case."""
    return _mark_once(session, case_id=case_id, column=col(Case.escalated_at), kind="escalated_to_supervisor",
                      detail="diteruskan ke supervisor", now=now)
