"""The case page's data: the transcript, its delivery state, evidence and the audit trail.

Opening a case page is itself an audit event (`record_view`, DESIGN.md decision 9), so `detail`
writes one. Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from storage import cases
from storage.models import (
    Case,
    CaseEvent,
    Contact,
    Evidence,
    MessageLog,
    Officer,
    Outbox,
)

TRANSCRIPT_LIMIT = 1000


@dataclass
class CaseDetail:
    """Everything the case page shows, loaded in one place."""

    case: Case
    contact: Contact
    assignee: Officer | None
    transcript: list[MessageLog]
    delivery: dict[int, Outbox]  # message_log id -> its outbox row
    undelivered: list[Outbox]
    evidence: list[Evidence]
    events: list[CaseEvent]
    notes: list[CaseEvent] = field(default_factory=list)
    related: list[Case] = field(default_factory=list)  # the same person's other cases, newest first


def transcript(session: Session, *, case_id: int) -> list[MessageLog]:
    """The whole conversation of the case's contact, oldest first (the latest TRANSCRIPT_LIMIT messages)."""
    case = cases.get_case(session, case_id=case_id)
    rows = session.exec(select(MessageLog).where(MessageLog.conversation_id == case.conversation_id)
                        .order_by(col(MessageLog.id).desc()).limit(TRANSCRIPT_LIMIT))
    return list(reversed(list(rows)))


def events(session: Session, *, case_id: int) -> list[CaseEvent]:
    return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))))


def evidence(session: Session, *, case_id: int) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.id))))


def undelivered(session: Session, *, case_id: int) -> list[Outbox]:
    """Messages to the case's contact that have not reached the person: given up on, or held by
    WhatsApp's closed 24-hour window until the person writes again (an officer must see both)."""
    case = cases.get_case(session, case_id=case_id)
    return list(session.exec(select(Outbox).where(Outbox.contact_id == case.contact_id,
                                                  col(Outbox.status).in_(("undelivered", "held")))
                             .order_by(col(Outbox.id))))


def record_view(session: Session, *, case_id: int, officer: Officer) -> None:
    """Every opening of a case page is in its audit trail (DESIGN.md, decision 9)."""
    case = cases.get_case(session, case_id=case_id)
    cases._event(session, case, "viewed", cases._active(officer).username)


def detail(session: Session, *, case_id: int, officer: Officer) -> CaseDetail:
    """The case page's data; records the `viewed` event."""
    record_view(session, case_id=case_id, officer=officer)
    session.flush()
    case = cases.get_case(session, case_id=case_id)
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    messages = transcript(session, case_id=case_id)
    out_ids = [m.id for m in messages if m.direction == "out"]
    delivery: dict[int, Outbox] = {}
    if out_ids:
        for row in session.exec(select(Outbox).where(col(Outbox.message_log_id).in_(out_ids))):
            if row.message_log_id is not None:  # always: the query matched on it
                delivery[row.message_log_id] = row
    trail = events(session, case_id=case_id)
    return CaseDetail(case=case, contact=contact,
                      assignee=session.get(Officer, case.assignee_id) if case.assignee_id else None,
                      transcript=messages, delivery=delivery, undelivered=undelivered(session, case_id=case_id),
                      evidence=evidence(session, case_id=case_id), events=trail,
                      notes=[e for e in trail if e.kind == "note"],
                      related=list(session.exec(select(Case).where(Case.contact_id == case.contact_id, Case.id != case.id)
                                                .order_by(col(Case.id).desc()).limit(20))))
