"""Case counts the Prometheus gauges read at scrape time (bot/web/metrics.py).

Keyword-only where there is more than the session; nothing here writes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Case

OPEN_STATUSES = ("new", "claimed", "waiting")


def open_by_priority(session: Session) -> dict[str, int]:
    """Open cases (new, claimed, waiting) per priority; a priority with none is absent."""
    rows = session.exec(select(Case.priority, func.count()).where(
        col(Case.status).in_(OPEN_STATUSES)).group_by(Case.priority)).all()
    return dict(rows)


def sla_breaches(session: Session, *, now: dt.datetime) -> int:
    """Unclaimed cases past their SLA due time."""
    return session.exec(select(func.count()).select_from(Case).where(
        Case.status == "new", Case.sla_due_at < now)).one()
