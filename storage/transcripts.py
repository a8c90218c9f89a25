"""Read-only queries that show a person their own conversation (the web chat's history).

Keyword-only, one session passed in; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.ids import saved_id
from storage.models import Contact, Conversation, MessageLog, Outbox


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def last_activity(session: Session, *, contact: Contact) -> dt.datetime:
    """When this person last wrote or was last written to (by the bot or an officer)."""
    last_out = session.exec(select(func.max(Outbox.created_at)).where(Outbox.contact_id == contact.id)).one()
    return max(_aware(t) for t in (contact.created_at, contact.last_inbound_at, last_out) if t is not None)


def messages(session: Session, *, contact_id: int, after_id: int = 0, limit: int = 200) -> list[MessageLog]:
    """The person's messages and the replies to them, oldest first.

    From the start (`after_id` 0) only the latest `limit` are returned; after a cursor the
    next `limit`, so a browser that polls catches up a page at a time.
    """
    conv_id = select(Conversation.id).where(Conversation.contact_id == contact_id).scalar_subquery()
    query = select(MessageLog).where(MessageLog.conversation_id == conv_id, col(MessageLog.id) > after_id)
    if after_id:
        return list(session.exec(query.order_by(col(MessageLog.id)).limit(limit)))
    return list(reversed(session.exec(query.order_by(col(MessageLog.id).desc()).limit(limit)).all()))


def buttons_before(session: Session, *, contact_id: int, before_id: int) -> list[dict[str, str]] | None:
    """The buttons of the last reply before `before_id`; None when the person had no reply yet."""
    conv_id = select(Conversation.id).where(Conversation.contact_id == contact_id).scalar_subquery()
    row = session.exec(select(MessageLog.buttons).where(
        MessageLog.conversation_id == conv_id, MessageLog.direction == "out", col(MessageLog.id) < before_id)
        .order_by(col(MessageLog.id).desc()).limit(1)).first()
    return None if row is None else list(row)


def unshown_outbox_ids(session: Session, *, log_ids: Sequence[int]) -> list[int]:
    """Outbox rows of these logged replies not yet marked delivered (the browser has them now)."""
    if not log_ids:
        return []
    rows = session.exec(select(col(Outbox.id)).where(col(Outbox.message_log_id).in_(list(log_ids)),
                                                     Outbox.status != "delivered"))
    return [saved_id(outbox_id) for outbox_id in rows]
