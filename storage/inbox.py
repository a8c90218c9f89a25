"""The inbox: deliveries acknowledged to their channel, waiting for the engine.

    add      at the webhook, after the signature check: one small insert, then the 200 goes back
    claim    by a processor: the oldest waiting message of each person, leased for LEASE
    done     in the engine's own transaction, so handling and dequeuing commit together
    retry    when handling failed (the database was down): back in line after a delay

A person's later message is not claimed while an earlier one waits or is being handled, so
one person's messages reach the engine in the order they arrived, also across workers.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Sequence

from sqlalchemy import bindparam, case, delete, exists, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from storage.models import InboxItem, MessageLog, utcnow

_TABLE = InboxItem.__table__  # type: ignore[attr-defined]  # SQLModel lacks __table__
LEASE = dt.timedelta(seconds=30)  # far above one message's handling (milliseconds); a dead worker's rows wait this long


Delivery = tuple[str, str, dict[str, Any], bool]  # dedupe_key, order_key, payload, urgent


def add(session: Session, *, dedupe_key: str, order_key: str, payload: dict[str, Any], urgent: bool = False) -> bool:
    """Queue a delivery; False when this delivery is already queued or was handled (a channel's retry)."""
    return add_many(session, [(dedupe_key, order_key, payload, urgent)])[0]


def add_many(session: Session, deliveries: Sequence[Delivery]) -> list[bool]:
    """Queue deliveries; False for each one already queued or handled."""
    keys = [key for key, _, _, _ in deliveries]
    handled = set(session.exec(select(MessageLog.dedupe_key).where(col(MessageLog.dedupe_key).in_(keys))))
    conn, insert_row, now = session.connection(), _insert_for(session.get_bind().dialect.name), utcnow()
    stored: dict[int, bool] = {}
    # in key order: two workers storing the same retried deliveries in one group each then take
    # the unique index's locks in the same order, and cannot deadlock (PostgreSQL)
    for i in sorted(range(len(deliveries)), key=lambda i: deliveries[i][0]):
        key, order, payload, urgent = deliveries[i]
        stored[i] = key not in handled and conn.execute(insert_row, {
            "dedupe_key": key, "order_key": order, "payload": payload, "urgent": urgent, "tries": 0,
            "next_attempt_at": now, "last_error": "", "received_at": now}).first() is not None
    return [stored[i] for i in range(len(deliveries))]


@functools.cache
def _insert_for(dialect: str) -> Any:
    """Built once per dialect: webhook requests run it, and building costs more than running it on SQLite."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_TABLE.c.id)


def claim(session: Session, *, worker: str, limit: int, now: dt.datetime | None = None) -> list[InboxItem]:
    """Lease the head of each person's line to `worker`: lines with a danger message first, then oldest first."""
    now = now or utcnow()
    earlier, danger = aliased(InboxItem), aliased(InboxItem)
    blocked = exists().where(col(earlier.order_key) == InboxItem.order_key, col(earlier.id) < InboxItem.id)
    urgent_line = exists().where(col(danger.order_key) == InboxItem.order_key, col(danger.urgent))
    query = (select(InboxItem)
             .where(or_(col(InboxItem.claimed_until).is_(None), col(InboxItem.claimed_until) < now),
                    col(InboxItem.next_attempt_at) <= now, ~blocked)
             .order_by(case((urgent_line, 0), else_=1), col(InboxItem.id)).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    items = list(session.exec(query))
    if items:
        session.execute(update(InboxItem).where(col(InboxItem.id).in_([i.id for i in items]))
                        .values(claimed_by=worker, claimed_until=now + LEASE))
    return items


_DONE = delete(_TABLE).where(_TABLE.c.id == bindparam("item_id"))  # built once: the engine runs it per message


def done(session: Session, *, item_id: int) -> None:
    session.connection().execute(_DONE, {"item_id": item_id})


def retry(session: Session, *, item_id: int, error: str, delay: dt.timedelta) -> None:
    session.execute(update(InboxItem).where(col(InboxItem.id) == item_id)
                    .values(tries=InboxItem.tries + 1, claimed_by=None, claimed_until=None,
                            next_attempt_at=utcnow() + delay, last_error=error[:300]))


def backlog(session: Session) -> tuple[int, dt.datetime | None]:
    """How many deliveries wait, and since when the oldest."""
    count, oldest = session.exec(select(func.count(), func.min(InboxItem.received_at))).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite's min() returns the stored text, naive
        oldest = oldest.replace(tzinfo=dt.UTC)
    return int(count), oldest
