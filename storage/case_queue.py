"""The console queue: open cases by priority, genuine before flagged, then SLA due time.

The first page of `queue_page` always holds every unclaimed genuine emergency, however many;
the reads follow the index ix_case_queue so their cost follows the page size, not the number of
cases. Every function is keyword-only (after the Session) and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, true, union_all
from sqlmodel import Session, col, select

from storage import repo
from storage.cases import OPEN_STATUSES, STATUSES
from storage.ids import saved_id
from storage.models import Case

QUEUE_ORDER = (col(Case.priority_rank), col(Case.suspected_spam), col(Case.sla_due_at), col(Case.id))
PINNED_MAX = 1000  # more unclaimed genuine emergencies than this is a flood the limits missed


@dataclass(frozen=True)
class QueuePage:
    """One page of the console queue and what the page says about it ("menampilkan N dari M")."""

    cases: list[Case]
    page: int
    pages: int
    page_size: int
    total: int  # cases in this view, on every page
    pinned: int  # unclaimed genuine emergencies kept on the first page
    flagged_open: int  # open cases flagged "kemungkinan spam", for the supervisors' banner


def _ranked_ids(session: Session, statuses: Sequence[str], limit: int, *conditions: Any) -> list[int]:
    """Case ids by priority, genuine before flagged, then SLA due time: the first `limit` of them.

    The cost follows `limit`, not the number of cases: per status, an index-only range scan
    of ix_case_queue (status, priority_rank, suspected_spam, sla_due_at; the row id rides
    along) stops after `limit` keys and the database merges those few. A plain
    `status IN (…) ORDER BY` would read and sort every open case.
    """
    runs = [select(Case.id, Case.priority_rank, Case.suspected_spam, Case.sla_due_at)
            .where(Case.status == status, *conditions).order_by(*QUEUE_ORDER).limit(limit).subquery()
            for status in statuses]
    merged = union_all(*(select(*run.c) for run in runs)).subquery()
    return list(session.exec(select(merged.c.id).order_by(merged.c.priority_rank, merged.c.suspected_spam,
                                                          merged.c.sla_due_at, merged.c.id).limit(limit)))


def _load(session: Session, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids, in the order given."""
    if not ids:
        return []
    by_id = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(list(ids))))}
    return [by_id[i] for i in ids if i in by_id]


def queue(session: Session, *, include_closed: bool = False, limit: int = 200) -> list[Case]:
    """The most urgent cases: by priority, genuine before flagged, then SLA due time."""
    return _load(session, _ranked_ids(session, STATUSES if include_closed else OPEN_STATUSES, limit))


def _pinned_ids(session: Session, page_size: int, *visible: Any) -> list[int]:
    """Every unclaimed emergency not flagged as spam (up to PINNED_MAX): the first page keeps them all.

    In queue order while they fit on a page; when there are more, newest first (the latest
    SLA due time: the most recently opened or raised), so a real report sent after a flood
    that the limits did not catch is still at the top.
    """
    unclaimed = (Case.status == "new", Case.priority_rank == repo.PRIORITY_RANK["emergency"],
                 col(Case.suspected_spam) == false())
    query = select(col(Case.id)).where(*unclaimed, *visible)
    ids = [saved_id(i) for i in session.exec(query.order_by(col(Case.sla_due_at), col(Case.id)).limit(page_size + 1))]
    if len(ids) <= page_size:
        return ids
    return [saved_id(i) for i in session.exec(query.order_by(col(Case.sla_due_at).desc(), col(Case.id).desc())
                                                  .limit(PINNED_MAX))]


def _count(session: Session, statuses: Sequence[str], *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(Case)
                        .where(col(Case.status).in_(list(statuses)), *conditions)).one()


def queue_page(session: Session, *, page: int = 1, page_size: int = 50, include_closed: bool = False,
               only_flagged: bool = False, visible: Any = None) -> QueuePage:
    """One page of the queue. The first page holds every unclaimed genuine emergency, however
    many (see `_pinned_ids`), and is filled up to `page_size` with the most urgent of the
    rest; later pages continue the rest in queue order. A page past the end shows the last.

    `only_flagged`: just the cases flagged "kemungkinan spam" (for reviewing them in bulk).
    `visible`: the cases the reader may see (storage.access.visible_condition); None: all.
    """
    statuses = STATUSES if include_closed else OPEN_STATUSES
    conditions = (col(Case.suspected_spam) == true(),) if only_flagged else ()
    if visible is not None:
        conditions = (*conditions, visible)
    total = _count(session, statuses, *conditions)
    pinned = [] if only_flagged else _pinned_ids(session, page_size, *conditions)
    first_fill = max(0, page_size - len(pinned))
    pages = 1 + -(-max(0, total - len(pinned) - first_fill) // page_size)
    page = min(max(1, page), pages)
    offset, size = (0, first_fill) if page == 1 else (first_fill + (page - 2) * page_size, page_size)
    skip = set(pinned)
    # the pinned rows also rank among the rest: read past them, then leave them out
    ranked = _ranked_ids(session, statuses, offset + size + len(skip), *conditions) if size else []
    rest = [i for i in ranked if i not in skip]
    ids = (pinned if page == 1 else []) + rest[offset:offset + size]
    flagged = _count(session, OPEN_STATUSES, col(Case.suspected_spam) == true())
    return QueuePage(cases=_load(session, ids), page=page, pages=pages, page_size=page_size, total=total,
                     pinned=len(pinned), flagged_open=flagged)
