"""Aggregate queries for the supervisors' dashboard, the monthly report and the case export.

Every figure is computed by the database (GROUP BY, window functions) and comes back as a
few rows; the same SQL runs on SQLite and PostgreSQL. The two places where the dialects
differ — a timestamp's local calendar day and the seconds between two timestamps — are
small constructs compiled per dialect (`storage/sql_dialect.py`).

Times are stored as UTC. A "day" is the service's local day, taken as UTC plus a fixed
offset (`Period.offset_minutes`): exact for every Indonesian time zone (no daylight saving).

Cases closed as spam by a supervisor (`spam_closed_from` set) are left out of every case
figure: a flood must not read as workload. Functions are keyword-only, take the caller's
session and never write, except `record_export`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, or_, union_all
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session, col, select

from storage import repo
from storage.models import (
    Case,
    CaseEvent,
    CaseRecord,
    Contact,
    Conversation,
    Feedback,
    MessageLog,
    Officer,
    UnansweredQuestion,
    utcnow,
)
from storage.sql_dialect import local_day, seconds_between

EXPORT_EVENT = "exported"  # the case event every row of a case export leaves


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; local days are UTC + offset_minutes."""

    start: dt.datetime
    end: dt.datetime
    offset_minutes: int = 0


def _day(column: Any, period: Period) -> local_day:
    return local_day(column, literal(period.offset_minutes))


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _genuine() -> ColumnElement[bool]:
    return col(Case.spam_closed_from).is_(None)


def _day_text(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


# --- messages ------------------------------------------------------------------------------------


def messages_per_day(session: Session, *, period: Period) -> list[tuple[dt.date, str, int]]:
    """Messages people sent, per local day and channel."""
    inner = (select(_day(MessageLog.created_at, period).label("day"), col(Contact.channel).label("channel"))
             .join(Conversation, col(Conversation.id) == col(MessageLog.conversation_id))
             .join(Contact, col(Contact.id) == col(Conversation.contact_id))
             .where(MessageLog.direction == "in", _within(col(MessageLog.created_at), period))).subquery()
    rows = session.exec(select(inner.c.day, inner.c.channel, func.count())
                        .group_by(inner.c.day, inner.c.channel).order_by(inner.c.day, inner.c.channel))
    return [(_day_text(day), channel, n) for day, channel, n in rows]


# --- cases over time -----------------------------------------------------------------------------


def _cases_per_day(session: Session, column: Any, period: Period) -> list[tuple[dt.date, str, int]]:
    inner = (select(_day(column, period).label("day"), col(Case.category).label("category"))
             .where(_within(column, period), _genuine())).subquery()
    rows = session.exec(select(inner.c.day, inner.c.category, func.count())
                        .group_by(inner.c.day, inner.c.category).order_by(inner.c.day, inner.c.category))
    return [(_day_text(day), category, n) for day, category, n in rows]


def cases_opened_per_day(session: Session, *, period: Period) -> list[tuple[dt.date, str, int]]:
    """Cases opened, per local day and category."""
    return _cases_per_day(session, col(Case.created_at), period)


def cases_closed_per_day(session: Session, *, period: Period) -> list[tuple[dt.date, str, int]]:
    """Cases resolved or closed (the first of the two counts), per local day and category."""
    return _cases_per_day(session, col(Case.resolved_at), period)


# --- service levels ------------------------------------------------------------------------------


def _first_reply() -> Any:
    """When an officer first answered the person in this case (the `replied` audit event)."""
    return (select(func.min(CaseEvent.created_at))
            .where(CaseEvent.case_id == Case.id, CaseEvent.kind == "replied").scalar_subquery())


def _case_times(period: Period) -> Any:
    """The cases opened in the period with their times, the first officer reply among them.

    The first replies come from a grouped subquery joined once, not a correlated one: a
    correlated subquery would run again for every place the outer query names its result.
    """
    opened = select(Case.id).where(_within(col(Case.created_at), period), _genuine())
    first = (select(col(CaseEvent.case_id).label("case_id"), func.min(CaseEvent.created_at).label("at"))
             .where(CaseEvent.kind == "replied", col(CaseEvent.case_id).in_(opened))
             .group_by(col(CaseEvent.case_id))).subquery()
    return (select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
                   col(Case.priority).label("priority"), col(Case.created_at).label("created_at"),
                   col(Case.claimed_at).label("claimed_at"), first.c.at.label("first_reply_at"),
                   col(Case.resolved_at).label("resolved_at"))
            .outerjoin(first, first.c.case_id == col(Case.id))
            .where(_within(col(Case.created_at), period), _genuine())).subquery()


@dataclass(frozen=True)
class SlaRow:
    priority: str
    met: int  # first officer reply within the priority's SLA minutes
    late: int  # first reply after them
    unanswered: int  # no reply, and the SLA has passed while the case was open
    pending: int  # no reply yet, SLA not passed (or the case ended before it did): not judged


def sla_by_priority(session: Session, *, period: Period, sla_minutes: Mapping[str, int],
                    now: dt.datetime | None = None) -> list[SlaRow]:
    """First officer reply against the SLA minutes of each priority, for the cases opened in the period."""
    now = now or utcnow()
    times = _case_times(period)
    limit = case({p: float(m) * 60 for p, m in sla_minutes.items()}, value=times.c.priority, else_=None)
    inner = select(times.c.priority,
                   seconds_between(times.c.first_reply_at, times.c.created_at).label("reply"),
                   seconds_between(func.coalesce(times.c.resolved_at, literal(now)), times.c.created_at)
                   .label("open_for"),
                   limit.label("sla_seconds")).subquery()
    reply, open_for, lim = inner.c.reply, inner.c.open_for, inner.c.sla_seconds
    answered = reply.is_not(None)

    def total(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = session.exec(select(inner.c.priority,  # type: ignore[call-overload]  # >4 columns, as above
                               total(and_(answered, reply <= lim)),
                               total(and_(answered, reply > lim)),
                               total(and_(reply.is_(None), open_for > lim)),
                               total(and_(reply.is_(None), or_(open_for <= lim, lim.is_(None)))))
                        .group_by(inner.c.priority))
    return [SlaRow(p, int(a or 0), int(b or 0), int(c or 0), int(d or 0)) for p, a, b, c, d in rows]


@dataclass(frozen=True)
class Median:
    seconds: float | None
    cases: int  # how many cases the median is taken over


MEASURES = ("claim", "first_reply", "resolution")


def median_durations(session: Session, *, period: Period) -> dict[str, Median]:
    """Median time from opening to claim, to the first officer reply and to resolution, for the
    cases opened in the period (each over the cases that reached that point)."""
    times = _case_times(period)
    base = select(seconds_between(times.c.claimed_at, times.c.created_at).label("claim"),
                  seconds_between(times.c.first_reply_at, times.c.created_at).label("first_reply"),
                  seconds_between(times.c.resolved_at, times.c.created_at).label("resolution")).cte("durations")
    values = union_all(*(select(literal(name).label("measure"), base.c[name].label("v"))
                         .where(base.c[name].is_not(None)) for name in MEASURES)).subquery()
    ranked = select(values.c.measure, values.c.v,
                    func.row_number().over(partition_by=values.c.measure, order_by=values.c.v).label("rn"),
                    func.count().over(partition_by=values.c.measure).label("n")).subquery()
    # the middle row (odd n) or the two middle rows (even n): 2*rn is n+1, or n and n+2
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    rows = session.exec(select(ranked.c.measure, func.avg(ranked.c.v), func.max(ranked.c.n))
                        .where(middle).group_by(ranked.c.measure))
    found = {m: Median(float(v), int(n)) for m, v, n in rows}
    return {m: found.get(m, Median(None, 0)) for m in MEASURES}


def open_cases_by_age(session: Session, *, now: dt.datetime, bounds: Sequence[dt.timedelta]) -> list[int]:
    """Open cases by age now: len(bounds) + 1 counts, youngest first (bounds ascending)."""
    buckets = case(*((col(Case.created_at) > now - bound, i) for i, bound in enumerate(bounds)), else_=len(bounds))
    inner = select(buckets.label("bucket")).where(col(Case.status).in_(repo.OPEN_STATUSES)).subquery()
    counts = [0] * (len(bounds) + 1)
    for bucket, n in session.exec(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)):
        counts[int(bucket)] = n
    return counts


# --- what people tell and ask --------------------------------------------------------------------


def _told() -> Any:
    return func.coalesce(Case.intake["where"].as_string(), Case.intake["what"].as_string())


def places_told(session: Session, *, period: Period) -> list[tuple[str | None, str | None, int]]:
    """Where each case opened in the period happened, as far as anyone said: the destination an
    officer recorded (case record), and the reporter's words — the intake's "where" answer, else
    the report itself ("what"). Grouped by both texts, for the caller to read the country from
    (the knowledge package knows the names); the texts themselves are never shown."""
    inner = (select(col(CaseRecord.destination_country).label("recorded"), _told().label("told"))
             .outerjoin(CaseRecord, col(CaseRecord.case_id) == col(Case.id))
             .where(_within(col(Case.created_at), period), _genuine())).subquery()
    rows = session.exec(select(inner.c.recorded, inner.c.told, func.count()).group_by(inner.c.recorded, inner.c.told))
    return [(r, t, n) for r, t, n in rows]


def faq_answers(session: Session, *, period: Period) -> list[tuple[str, int]]:
    """The bot's answers from the knowledge base in the period, per entry ("Selengkapnya" included;
    the "did you mean" list answers nothing and carries no entry)."""
    rows = session.exec(select(MessageLog.entry_id, func.count())
                        .where(MessageLog.direction == "out", MessageLog.intent == "faq",
                               col(MessageLog.entry_id).is_not(None), _within(col(MessageLog.created_at), period))
                        .group_by(col(MessageLog.entry_id)))
    return [(str(e), n) for e, n in rows]


def feedback_by_entry(session: Session, *, period: Period) -> list[tuple[str, bool, int]]:
    """"Apakah jawaban ini membantu?" answers per entry: (entry id, helpful, count)."""
    rows = session.exec(select(Feedback.entry_id, Feedback.helpful, func.count())
                        .where(_within(col(Feedback.created_at), period))
                        .group_by(col(Feedback.entry_id), col(Feedback.helpful)))
    return [(e, bool(h), n) for e, h, n in rows]


def top_unanswered(session: Session, *, period: Period, limit: int = 10) -> list[tuple[str, int]]:
    """The questions the bot could not answer most often (same words, case and spaces aside)."""
    inner = (select(func.lower(func.trim(UnansweredQuestion.text)).label("q"))
             .where(_within(col(UnansweredQuestion.created_at), period))).subquery()
    n = func.count().label("n")
    rows = session.exec(select(inner.c.q, n).group_by(inner.c.q).order_by(n.desc(), inner.c.q).limit(limit))
    return [(q, c) for q, c in rows]


def unanswered_by_entry(session: Session, *, period: Period) -> list[tuple[str | None, int]]:
    """Unanswered questions per nearest entry (None: nothing near)."""
    rows = session.exec(select(UnansweredQuestion.best_entry_id, func.count())
                        .where(_within(col(UnansweredQuestion.created_at), period))
                        .group_by(UnansweredQuestion.best_entry_id))
    return [(e, n) for e, n in rows]


def ratings(session: Session, *, period: Period) -> dict[int, int]:
    """The reporters' 1-5 ratings of cases resolved in the period: rating -> count."""
    rows = session.exec(select(Case.rating, func.count())
                        .where(col(Case.rating).is_not(None), _within(col(Case.resolved_at), period), _genuine())
                        .group_by(col(Case.rating)))
    return {int(r): n for r, n in rows if r is not None}


# --- the case export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    """One case, without the person's name, address or any text they or an officer wrote."""

    case_id: int
    number: str
    channel: str
    category: str
    priority: str
    emergency: bool
    status: str
    suspected_spam: bool
    closed_as_spam: bool
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    first_reply_at: dt.datetime | None
    resolved_at: dt.datetime | None
    assignee: str | None
    rating: int | None
    recorded_country: str | None  # the destination an officer recorded, if any
    told: str | None  # where the place was told (for the caller to name the country); never exported


def export_rows(session: Session, *, period: Period, limit: int = 100_000) -> list[ExportRow]:
    """The cases opened in the period, oldest first (closed-as-spam ones included and marked)."""
    query = (select(  # type: ignore[call-overload]  # >4 columns, as above
                    Case.id, Case.number, Contact.channel, Case.category, Case.priority, Case.emergency, Case.status,
                    Case.suspected_spam, col(Case.spam_closed_from).is_not(None), Case.created_at, Case.claimed_at,
                    _first_reply(), Case.resolved_at, Officer.username, Case.rating, CaseRecord.destination_country,
                    _told())
             .join(Contact, col(Contact.id) == col(Case.contact_id))
             .outerjoin(Officer, col(Officer.id) == col(Case.assignee_id))
             .outerjoin(CaseRecord, col(CaseRecord.case_id) == col(Case.id))
             .where(_within(col(Case.created_at), period)).order_by(col(Case.created_at), col(Case.id)).limit(limit))
    return [ExportRow(*row) for row in session.exec(query)]


def record_export(session: Session, *, case_ids: Sequence[int], actor: str, detail: str) -> None:
    """Each exported case gets an audit event: who took it out of the console, and when."""
    if case_ids:
        now = utcnow()
        session.execute(insert(CaseEvent), [{"case_id": i, "kind": EXPORT_EVENT, "actor": actor, "detail": detail,
                                             "created_at": now} for i in case_ids])
