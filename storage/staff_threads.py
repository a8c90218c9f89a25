"""Cases' threads in the Telegram staff chat: which cases to announce, which thread is whose, which
topics are behind their case's status, and which officer a Telegram account is.

The staff desk (bot/channels/staff_desk.py, its sweep bot/channels/staff_desk_sweep.py) keeps a
case's thread id in Case.telegram_thread_id and what it last did to the topic as a case event
(TOPIC_CLOSED / TOPIC_REOPENED), so a restart neither repeats nor forgets it.

Every function takes the caller's Session; only `store_thread` writes, and it does not commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage import cases
from storage.ids import saved_id
from storage.models import Case, CaseEvent, Contact, Officer, utcnow

if TYPE_CHECKING:
    from sqlalchemy import ScalarSelect

SWEEP_AGE = dt.timedelta(days=7)  # first start with a desk: recent cases only, not years of history
# case events: what the desk last did to a case's topic (the audit trail doubles as the desk's memory)
TOPIC_CLOSED = "telegram_topic_closed"
TOPIC_REOPENED = "telegram_topic_reopened"


@dataclass(frozen=True)
class CaseCard:
    id: int
    number: str
    priority: str
    category: str
    emergency: bool
    summary: str
    channel: str


@dataclass(frozen=True)
class TopicChange:
    """A case whose thread does not show its status yet: finished (mark it done) or open again (reopen it)."""

    card: CaseCard
    thread_id: int
    status: str
    by: str = ""  # the officer who finished the case ("" when it was not an officer)

    @property
    def finished(self) -> bool:
        return self.status in cases.CLOSED_STATUSES


def _card(c: Case, channel: str) -> CaseCard:
    return CaseCard(saved_id(c.id), c.number, c.priority, c.category, c.emergency, c.summary, channel)


def unannounced(s: Session, *, limit: int) -> list[CaseCard]:
    """Open cases without a thread yet, the most urgent first."""
    rows = s.exec(select(Case, Contact.channel).join(Contact, col(Contact.id) == col(Case.contact_id))
                  .where(col(Case.status).in_(cases.OPEN_STATUSES), col(Case.telegram_thread_id).is_(None),
                         col(Case.created_at) >= utcnow() - SWEEP_AGE)
                  .order_by(col(Case.priority_rank), col(Case.id)).limit(limit)).all()
    return [_card(c, channel) for c, channel in rows]


def store_thread(s: Session, *, case_id: int, thread_id: int) -> bool:
    """Keep the case's thread id unless it has one already; True when this one was kept."""
    result = s.exec(update(Case).where(col(Case.id) == case_id, col(Case.telegram_thread_id).is_(None))
                    .values(telegram_thread_id=thread_id))
    return bool(result.rowcount)


def case_for_thread(s: Session, candidates: list[int]) -> tuple[int, str] | None:
    """(id, number) of the case whose thread is the first of the candidates that is one."""
    for thread_id in candidates:
        row = s.exec(select(Case.id, Case.number).where(Case.telegram_thread_id == thread_id)).first()
        if row is not None:
            return saved_id(row[0]), row[1]
    return None


def open_case_thread(s: Session, number: str) -> tuple[bool, int | None]:
    """(open, thread id) of a case: open with a thread, open and still to be announced (None, as
    `unannounced` would pick it), or (False, None) — closed, unknown, or too old to be announced.
    One query, so an announcement made meanwhile by another worker is seen whole or not at all."""
    row = s.exec(select(Case.id, Case.telegram_thread_id).where(
        Case.number == number, col(Case.status).in_(cases.OPEN_STATUSES),
        or_(col(Case.telegram_thread_id).is_not(None), col(Case.created_at) >= utcnow() - SWEEP_AGE))).first()
    return (False, None) if row is None else (True, row[1])


def _last_topic_mark() -> ScalarSelect[str]:
    """What the desk last did to the case's topic (None: nothing yet); per case, on ix_case_event_case_id."""
    return (select(CaseEvent.kind).where(col(CaseEvent.case_id) == col(Case.id),
                                         col(CaseEvent.kind).in_((TOPIC_CLOSED, TOPIC_REOPENED)))
            .order_by(col(CaseEvent.id).desc()).limit(1).correlate(Case).scalar_subquery())


def _finished_by(s: Session, case_id: int) -> str:
    # the last status change of a finished case is the one that finished it (resolved/closed are final)
    actor = s.exec(select(CaseEvent.actor).where(CaseEvent.case_id == case_id, CaseEvent.kind == "status")
                   .order_by(col(CaseEvent.id).desc()).limit(1)).first()
    officer = s.exec(select(Officer).where(Officer.username == actor)).first() if actor else None
    return officer.shown_name if officer is not None else ""


def topic_changes(s: Session, *, limit: int) -> list[TopicChange]:
    """Announced cases whose thread is behind their status, the most recently finished first."""
    mark = _last_topic_mark()
    announced = (select(Case, Contact.channel).join(Contact, col(Contact.id) == col(Case.contact_id))
                 .where(col(Case.telegram_thread_id).is_not(None)))
    # resolved_at bounds the scan: recently finished cases only, not years of history on a first start
    finished = s.exec(announced.where(col(Case.status).in_(cases.CLOSED_STATUSES),
                                      col(Case.resolved_at) >= utcnow() - SWEEP_AGE,
                                      or_(mark.is_(None), mark == TOPIC_REOPENED))
                      .order_by(col(Case.resolved_at).desc()).limit(limit)).all()
    reopened = s.exec(announced.where(col(Case.status).in_(cases.OPEN_STATUSES), mark == TOPIC_CLOSED)
                      .order_by(col(Case.id)).limit(limit)).all()
    return [TopicChange(_card(c, channel), c.telegram_thread_id, c.status,  # type: ignore[arg-type]  # query: has a thread
                        _finished_by(s, saved_id(c.id)) if c.status in cases.CLOSED_STATUSES else "")
            for c, channel in [*finished, *reopened][:limit]]


def officer_for_telegram(s: Session, telegram_user_id: int) -> int | None:
    """The id of the active officer whose Telegram account this is."""
    return s.exec(select(Officer.id).where(Officer.telegram_user_id == telegram_user_id,
                                           col(Officer.active).is_(True))).first()
