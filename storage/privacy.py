"""Personal data: erase on request, purge after the retention period, export for an officer.

A person's messages and profile are deleted at once, except what an open case still
needs; that is anonymised when the case is closed (the purge job finishes the erasure).
The channel address stays as the routing key of the contact row and nothing else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage import repo
from storage.ids import saved_id
from storage.models import (Case, CaseEvent, Contact, Conversation, Evidence, Feedback, MessageLog, Outbox,
                            UnansweredQuestion, utcnow)
from storage.outbox import OPEN as OUTBOX_OPEN

OPEN = repo.OPEN_STATUSES
ERASED = "(dihapus atas permintaan)"
EXPIRED = "(dihapus: melewati masa simpan)"


def _open_cases(session: Session, contact_id: int) -> list[Case]:
    return list(session.exec(select(Case).where(Case.contact_id == contact_id, col(Case.status).in_(OPEN))))


def anonymise_case(session: Session, case: Case, marker: str = ERASED) -> None:
    case.summary, case.intake = marker, {}
    session.execute(update(CaseEvent).where(col(CaseEvent.case_id) == case.id,
                                            col(CaseEvent.kind).in_(("message", "note")))
                    .values(detail=marker))
    session.execute(delete(Evidence).where(col(Evidence.case_id) == case.id))
    session.add(case)


def erase_contact(session: Session, *, contact_id: int, keep_outbox_ids: tuple[int, ...] = ()) -> bool:
    """Erase now what no open case needs; return True when everything is gone (no open case)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        return True
    contact.display_name = ""
    contact.erase_requested_at = contact.erase_requested_at or utcnow()
    session.add(contact)
    if _open_cases(session, contact_id):
        return False  # the officer still needs the transcript; the purge job finishes after closing
    conv_ids = list(session.exec(select(Conversation.id).where(Conversation.contact_id == contact_id)))
    session.execute(delete(Feedback).where(col(Feedback.conversation_id).in_(conv_ids)))
    session.execute(delete(UnansweredQuestion).where(col(UnansweredQuestion.conversation_id).in_(conv_ids)))
    session.execute(delete(Outbox).where(col(Outbox.contact_id) == contact_id,
                                         col(Outbox.id).not_in(list(keep_outbox_ids)),
                                         col(Outbox.status).not_in(OUTBOX_OPEN)))
    session.execute(update(Outbox).where(col(Outbox.contact_id) == contact_id).values(message_log_id=None))
    session.execute(delete(MessageLog).where(col(MessageLog.conversation_id).in_(conv_ids)))
    for case in session.exec(select(Case).where(Case.contact_id == contact_id)):
        anonymise_case(session, case)
    session.execute(update(Conversation).where(col(Conversation.id).in_(conv_ids))
                    .values(flow="menu", step="start", slots={}))
    contact.erase_requested_at = None
    return True


def purge(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: finish requested erasures, delete old messages, anonymise old closed cases."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=retention_days)
    finished = 0
    for contact in session.exec(select(Contact).where(col(Contact.erase_requested_at).is_not(None))):
        finished += erase_contact(session, contact_id=saved_id(contact.id))
    busy = select(Case.conversation_id).where(col(Case.status).in_(OPEN))
    old = (col(MessageLog.created_at) < cutoff) & col(MessageLog.conversation_id).not_in(busy)
    session.execute(update(Outbox).where(col(Outbox.message_log_id).in_(select(MessageLog.id).where(old)))
                    .values(message_log_id=None).execution_options(synchronize_session=False))
    session.execute(delete(Outbox).where(col(Outbox.created_at) < cutoff, col(Outbox.status).not_in(OUTBOX_OPEN))
                    .execution_options(synchronize_session=False))
    old_logs = session.exec(delete(MessageLog).where(old).execution_options(synchronize_session=False))
    anonymised = 0
    for case in session.exec(select(Case).where(col(Case.status).in_(("resolved", "closed")), Case.created_at < cutoff,
                                                Case.summary != EXPIRED, Case.summary != ERASED)):
        anonymise_case(session, case, EXPIRED)
        anonymised += 1
    return {"erasures_finished": finished, "messages_deleted": old_logs.rowcount or 0, "cases_anonymised": anonymised}


def export_contact(session: Session, *, urn: str) -> dict[str, Any] | None:
    """Everything stored about one person, for an officer answering a data request."""
    contact = session.exec(select(Contact).where(Contact.urn == urn)).first()
    if contact is None:
        return None
    conv_ids = list(session.exec(select(Conversation.id).where(Conversation.contact_id == contact.id)))
    messages = session.exec(select(MessageLog).where(col(MessageLog.conversation_id).in_(conv_ids))
                            .order_by(col(MessageLog.id)))
    cases = session.exec(select(Case).where(Case.contact_id == contact.id).order_by(col(Case.id)))
    return {
        "contact": {"urn": contact.urn, "channel": contact.channel, "display_name": contact.display_name,
                    "created_at": contact.created_at.isoformat()},
        "messages": [{"at": m.created_at.isoformat(), "direction": m.direction, "author": m.author, "text": m.text,
                      "media": m.media} for m in messages],
        "cases": [{"number": c.number, "category": c.category, "priority": c.priority, "status": c.status,
                   "summary": c.summary, "intake": c.intake, "created_at": c.created_at.isoformat()} for c in cases],
    }
