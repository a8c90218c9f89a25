"""The numbers of the supervisors' morning overview, read from the database whenever asked
(any process, any time). It takes the caller's Session and never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col

from storage import cases, first_response
from storage.models import Case


@dataclass(frozen=True)
class SummaryCounts:
    by_priority: dict[str, int]
    unclaimed: int
    overdue_unclaimed: int
    follow_up_due: int
    resolution_overdue: int
    resolved_last_day: int

    @property
    def open_total(self) -> int:
        return sum(self.by_priority.values())


def summary_counts(session: Session, *, now: dt.datetime) -> SummaryCounts:
    """The morning overview's numbers, read from the database whenever asked (any process, any time)."""
    now = cases._now(now)
    return SummaryCounts(
        by_priority=cases.open_case_counts(session),
        unclaimed=cases.count_where(session, Case.status == "new"),
        overdue_unclaimed=first_response.overdue_unclaimed_count(session, now=now),
        follow_up_due=cases.count_where(session, Case.status == "waiting", col(Case.follow_up_at) <= now),
        resolution_overdue=cases.count_where(session, col(Case.status).in_(cases.OPEN_STATUSES),
                                             col(Case.resolution_reminded_at).is_not(None)),
        resolved_last_day=cases.count_where(session, col(Case.resolved_at) >= now - dt.timedelta(hours=24)),
    )
