"""Data functions: the only place that writes rows. Keyword-only, one session passed in."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Sequence

from sqlalchemy import func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.ids import saved_id
from storage.models import (Case, CaseEvent, Contact, Evidence, Feedback, MessageLog, Outbox,
                            UnansweredQuestion, utcnow)

PRIORITY_RANK = {"emergency": 0, "high": 1, "normal": 2}
OPEN_STATUSES = ("new", "claimed", "waiting")


def upsert_insert(session: Session) -> Any:
    """The dialect's INSERT, which has on_conflict_do_nothing (SQLite and PostgreSQL)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# built once: the engine inserts its replies with them (insert_reply, insert_inbound)
_LOG_TABLE = MessageLog.__table__  # type: ignore[attr-defined]  # SQLModel's type lacks __table__
_OUTBOX_TABLE = Outbox.__table__  # type: ignore[attr-defined]  # SQLModel's type lacks __table__
_INSERT_LOG = insert(_LOG_TABLE).returning(_LOG_TABLE.c.id)
_INSERT_OUTBOX = insert(_OUTBOX_TABLE).returning(_OUTBOX_TABLE.c.id)


def log_message(session: Session, *, conversation_id: int, direction: str, text: str, author: str,
                dedupe_key: str | None = None, buttons: Sequence[dict[str, str]] = (),
                media: Sequence[dict[str, str]] = (), intent: str | None = None) -> MessageLog:
    row = MessageLog(conversation_id=conversation_id, direction=direction, text=text, author=author,
                     dedupe_key=dedupe_key, buttons=list(buttons), media=list(media), intent=intent)
    session.add(row)
    session.flush()
    return row


def insert_reply(session: Session, *, conversation_id: int, contact_id: int, channel: str, address: str, text: str,
                 buttons: Sequence[dict[str, str]] = (), intent: str | None = None,
                 entry_id: str | None = None) -> int:
    """Log a bot reply and queue it for sending, with two Core inserts; return the outbox id.

    The engine's hot path: the ORM's per-object flushes cost more than the rest of a message.
    """
    now = utcnow()
    conn = session.connection()
    log_id = conn.execute(_INSERT_LOG, {
        "conversation_id": conversation_id, "direction": "out", "author": "bot", "dedupe_key": None, "text": text,
        "buttons": list(buttons), "media": [], "intent": intent, "entry_id": entry_id,
        "created_at": now}).scalar_one()
    return conn.execute(_INSERT_OUTBOX, {
        "contact_id": contact_id, "message_log_id": log_id, "channel": channel, "address": address,
        "text": text, "buttons": list(buttons), "status": "pending", "tries": 0, "next_attempt_at": now,
        "last_error": "", "external_id": None, "created_at": now, "sent_at": None}).scalar_one()


def insert_inbound(session: Session, *, conversation_id: int, text: str, dedupe_key: str,
                   media: Sequence[dict[str, str]] = ()) -> None:
    session.connection().execute(_INSERT_LOG, {
        "conversation_id": conversation_id, "direction": "in", "author": "user", "dedupe_key": dedupe_key,
        "text": text, "buttons": [], "media": list(media), "intent": None, "created_at": utcnow()})


def enqueue(session: Session, *, contact: Contact, text: str, buttons: Sequence[dict[str, str]] = (),
            message_log_id: int | None = None) -> Outbox:
    row = Outbox(contact_id=saved_id(contact.id), channel=contact.channel, address=contact.address, text=text,
                 buttons=list(buttons), message_log_id=message_log_id)
    session.add(row)
    session.flush()
    return row


def add_case_event(session: Session, *, case_id: int, kind: str, actor: str, detail: str = "") -> CaseEvent:
    event = CaseEvent(case_id=case_id, kind=kind, actor=actor, detail=detail)
    session.add(event)
    return event


def open_case(session: Session, *, contact_id: int, conversation_id: int, category: str, priority: str,
              emergency: bool, summary: str, intake: dict[str, Any], consent_share: bool | None,
              safe_to_reply: bool | None, sla_minutes: int, now: dt.datetime | None = None) -> Case:
    now = now or utcnow()
    case = Case(number=f"tmp-{uuid.uuid4().hex[:20]}", contact_id=contact_id, conversation_id=conversation_id,
                category=category, priority=priority, priority_rank=PRIORITY_RANK[priority], emergency=emergency,
                summary=summary, intake=intake, consent_share=consent_share, safe_to_reply=safe_to_reply,
                created_at=now, sla_due_at=now + dt.timedelta(minutes=sla_minutes))
    session.add(case)
    session.flush()
    # the number follows the row id, so it is unique without a counter table
    case.number = f"MC-{now.year}-{case.id:05d}"
    add_case_event(session, case_id=saved_id(case.id), kind="created", actor="bot",
                   detail=f"{category}, {priority}{', darurat' if emergency else ''}")
    session.flush()
    return case


def escalate_case(session: Session, *, case: Case, sla_minutes: int, detail: str, category: str | None = None) -> None:
    """Raise an open case to emergency for what was told now; the summary and, when more serious,
    the category follow it (the earlier ones stay in the audit trail)."""
    if case.priority != "emergency":
        case.priority, case.priority_rank, case.emergency = "emergency", 0, True
        case.sla_due_at = min(aware(case.sla_due_at), utcnow() + dt.timedelta(minutes=sla_minutes))
        add_case_event(session, case_id=saved_id(case.id), kind="escalated", actor="bot", detail=detail)
        case.summary = f"DARURAT: {detail}\n(sebelumnya: {case.summary})"[:2000]
    if category and category != case.category:
        add_case_event(session, case_id=saved_id(case.id), kind="category", actor="bot",
                       detail=f"{case.category} -> {category}")
        case.category = category


def aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite hands times back naive


def update_intake(session: Session, *, case: Case, answers: dict[str, Any]) -> None:
    """Store intake answers on the case as they come, each in the audit trail."""
    case.intake = {**(case.intake or {}), **answers}  # a new dict: the JSON column sees the change
    if "safe_reply" in answers:
        case.safe_to_reply = answers["safe_reply"]
    if "consent" in answers:
        case.consent_share = answers["consent"]
    detail = "; ".join(f"{k}: {v}" for k, v in answers.items())
    add_case_event(session, case_id=saved_id(case.id), kind="intake", actor="user", detail=detail[:2000])


def close_case(session: Session, *, case: Case, actor: str, reason: str) -> None:
    """Close an open case for a stated reason (a withdrawn report is kept, closed, with its transcript)."""
    case.status = "closed"
    case.resolved_at = utcnow()
    add_case_event(session, case_id=saved_id(case.id), kind="status", actor=actor, detail=f"closed: {reason}")


def attach_evidence(session: Session, *, case_id: int, kind: str, ref: str, content_type: str) -> Evidence:
    ev = Evidence(case_id=case_id, kind=kind, ref=ref, content_type=content_type)
    session.add(ev)
    return ev


def record_feedback(session: Session, *, conversation_id: int, entry_id: str, helpful: bool) -> None:
    session.add(Feedback(conversation_id=conversation_id, entry_id=entry_id, helpful=helpful))


def record_unanswered(session: Session, *, conversation_id: int, text: str, best_entry_id: str | None,
                      confidence: float) -> None:
    session.add(UnansweredQuestion(conversation_id=conversation_id, text=text, best_entry_id=best_entry_id,
                                   confidence=confidence))


def record_rating(session: Session, *, contact_id: int, case_number: str, rating: int) -> None:
    case = session.exec(select(Case).where(Case.number == case_number, Case.contact_id == contact_id)).first()
    if case is not None and 1 <= rating <= 5:
        case.rating = rating
        add_case_event(session, case_id=saved_id(case.id), kind="rated", actor="user", detail=str(rating))


def mark_sent(session: Session, *, outbox_ids: Sequence[int], external_id: str | None = None,
              status: str = "sent") -> None:
    if outbox_ids:
        session.execute(update(Outbox).where(col(Outbox.id).in_(list(outbox_ids)))
                        .values(status=status, sent_at=utcnow(), external_id=external_id))


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()
