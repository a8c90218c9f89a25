"""Queries of evidence files: the rows still waiting for their download, and recording where one was stored.

The download itself (bot/channels/media.py) runs outside any transaction; these run before and after it.
Keyword-only, one session passed in; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import Case, Contact, Evidence


@dataclass(frozen=True)
class PendingEvidence:
    evidence_id: int
    case_number: str
    channel: str
    ref: str
    content_type: str


def pending(session: Session, *, refs: Sequence[str] | None, since: dt.datetime, limit: int) -> list[PendingEvidence]:
    """Evidence rows without a stored file, oldest first: these refs, or (refs None) any created since `since`."""
    q = (select(Evidence.id, Case.number, Contact.channel, Evidence.ref,  # type: ignore[call-overload]  # >4 columns
                Evidence.content_type)
         .join(Case, col(Case.id) == col(Evidence.case_id)).join(Contact, col(Contact.id) == col(Case.contact_id))
         .where(col(Evidence.stored_path).is_(None)))
    if refs is not None:
        q = q.where(col(Evidence.ref).in_(list(refs)))
    else:
        q = q.where(col(Evidence.created_at) >= since)
    rows = session.exec(q.order_by(col(Evidence.id)).limit(limit)).all()
    return [PendingEvidence(*row) for row in rows]


def record_stored(session: Session, *, evidence_id: int, stored_path: str, content_type: str) -> bool:
    """Record the stored file; False when the row already has one (a sweep racing a webhook does not overwrite)."""
    result = session.exec(update(Evidence).where(col(Evidence.id) == evidence_id, col(Evidence.stored_path).is_(None))
                          .values(stored_path=stored_path, content_type=content_type))
    return bool(result.rowcount)
