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
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, or_, select

from storage.models import InboxItem, MessageLog, utcnow

_TABLE = InboxItem.__table__  # type: ignore[attr-defined]  # SQLModel lacks __table__
_LOG = MessageLog.__table__  # type: ignore[attr-defined]
_HANDLED = core_select(_LOG.c.dedupe_key).where(_LOG.c.dedupe_key.in_(bindparam("keys", expanding=True)))
LEASE = dt.timedelta(seconds=30)  # far above one message's handling (milliseconds); a dead worker's rows wait this long


Delivery = tuple[str, str, dict[str, Any], bool]  # dedupe_key, order_key, payload, urgent


def add(session: Session, *, dedupe_key: str, order_key: str, payload: dict[str, Any], urgent: bool = False) -> bool:
    """Queue a delivery; False when this delivery is already queued or was handled (a channel's retry)."""
    return add_many(session, [(dedupe_key, order_key, payload, urgent)])[0]


def add_many(session: Session, deliveries: Sequence[Delivery]) -> list[bool]:
    """Queue deliveries; False for each one already queued or handled."""
    keys = [key for key, _, _, _ in deliveries]
    conn, insert_row, now = session.connection(), _insert_for(session.get_bind().dialect.name), utcnow()
    handled = set(conn.execute(_HANDLED, {"keys": keys}).scalars())
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


_EARLIER, _DANGER = _TABLE.alias("earlier"), _TABLE.alias("danger")
# the head of each person's line: no earlier row of the same person is waiting
_HEADS = (core_select(_TABLE.c.id, _TABLE.c.payload, _TABLE.c.tries)
          .where(or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until < bindparam("now")),
                 _TABLE.c.next_attempt_at <= bindparam("now"),
                 ~exists().where(_EARLIER.c.order_key == _TABLE.c.order_key, _EARLIER.c.id < _TABLE.c.id))
          .order_by(case((exists().where(_DANGER.c.order_key == _TABLE.c.order_key, _DANGER.c.urgent), 0), else_=1),
                    _TABLE.c.id)
          .limit(bindparam("limit")))
_LEASE = (update(_TABLE).where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
          .values(claimed_by=bindparam("worker"), claimed_until=bindparam("until")))


def claim(session: Session, *, worker: str, limit: int, now: dt.datetime | None = None) -> Sequence[Any]:
    """Lease the head of each person's line to `worker`: lines with a danger message first, then oldest first.

    Rows of (id, payload, tries). Core statements built once: a worker claims many times a second under load.
    """
    now = now or utcnow()
    query = _HEADS.with_for_update(skip_locked=True) if session.get_bind().dialect.name == "postgresql" else _HEADS
    conn = session.connection()
    items = conn.execute(query, {"now": now, "limit": limit}).all()
    if items:
        conn.execute(_LEASE, {"ids": [i.id for i in items], "worker": worker, "until": now + LEASE})
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
