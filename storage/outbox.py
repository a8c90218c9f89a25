"""Queries of the outbox: replies waiting to be sent, their claims, results and delivery reports.

A row's status, and which of them are still open (the dispatcher will take them again):

    pending      waiting for its (next) try at next_attempt_at
    sending      claimed by a dispatcher; taken again after the sending timeout (the process died)
    sent, delivered, read   out; the channel's reports move it forward only
    undelivered  given up after the last try (shown on the console)
    held         WhatsApp: the 24-hour window was closed; the text waits until the person writes
                 (a template may have gone out on its behalf: then external_id is the template's)
    released     a held row whose text was queued anew (as another row) once the person wrote
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage.models import Contact, Outbox, utcnow

PENDING, SENDING, SENT, UNDELIVERED, HELD, RELEASED = "pending", "sending", "sent", "undelivered", "held", "released"
OPEN = (PENDING, SENDING)  # the dispatcher still owes these a try; everything else is settled
_PROGRESS = {PENDING: 0, SENDING: 1, SENT: 2, "delivered": 3, "read": 4}

_TABLE = Outbox.__table__  # type: ignore[attr-defined]  # SQLModel's type lacks __table__
# built once: it runs once per reply
_SENT = (update(_TABLE)
         .where(_TABLE.c.id == bindparam("message_id"), _TABLE.c.status == SENDING,
                _TABLE.c.next_attempt_at == bindparam("claimed_at"))
         .values(tries=_TABLE.c.tries + 1, status=bindparam("status"), sent_at=bindparam("sent_at"),
                 external_id=bindparam("external_id"), last_error=bindparam("last_error")))


_CONTACT = Contact.__table__  # type: ignore[attr-defined]
_CLAIMED = (core_select(_TABLE.c.id, _TABLE.c.channel, _TABLE.c.address, _TABLE.c.text, _TABLE.c.buttons,
                        _TABLE.c.contact_id, _TABLE.c.status, _TABLE.c.next_attempt_at,
                        _CONTACT.c.last_inbound_at.label("last_inbound_at"))
            .join(_CONTACT, _CONTACT.c.id == _TABLE.c.contact_id)
            .where(_TABLE.c.channel.in_(bindparam("channels", expanding=True)),
                   or_(_TABLE.c.status == PENDING,
                       (_TABLE.c.status == SENDING) & (_TABLE.c.next_attempt_at <= bindparam("stale_before"))),
                   _TABLE.c.next_attempt_at <= bindparam("now"))
            .order_by(_TABLE.c.id).limit(bindparam("limit")))
_TAKE = (update(_TABLE).where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
         .values(status=SENDING, next_attempt_at=bindparam("now")))


def claim(session: Session, *, channels: Sequence[str], limit: int, sending_timeout: dt.timedelta,
          ids: Sequence[int] | None = None, now: dt.datetime | None = None) -> Sequence[Any]:
    """Mark due rows `sending` (claimed at `now`, kept in next_attempt_at) and return them, oldest first,
    each with its status before the claim and when the person last wrote (`last_inbound_at`).

    PostgreSQL: FOR UPDATE SKIP LOCKED, so several dispatchers never take the same row.
    Core statements built once: the dispatcher claims once per reply under load.
    """
    now = now or utcnow()
    q = _CLAIMED if ids is None else _CLAIMED.where(_TABLE.c.id.in_(list(ids)))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=_TABLE, skip_locked=True)
    conn = session.connection()
    rows = conn.execute(q, {"channels": list(channels), "stale_before": now - sending_timeout, "now": now,
                            "limit": limit}).all()
    if rows:
        conn.execute(_TAKE, {"ids": [r.id for r in rows], "now": now})
    return rows


def finish_sent(session: Session, *, message_id: int, claimed_at: dt.datetime, status: str,
                external_id: str | None, note: str) -> bool:
    """Record a send; False when another claim superseded this one (its result counts)."""
    return bool(session.connection().execute(_SENT, {
        "message_id": message_id, "claimed_at": claimed_at, "status": status, "sent_at": utcnow(),
        "external_id": external_id, "last_error": note[:500]}).rowcount)


def finish_failed(session: Session, *, message_id: int, claimed_at: dt.datetime | None, error: str,
                  give_up_status: str | None, max_tries: int, delay: dt.timedelta,
                  rest: tuple[str, Sequence[dict[str, str]]] | None = None) -> Outbox | None:
    """Record a failed try: back to pending after `delay`, or settled as `give_up_status` (or
    undelivered after max_tries). None when another claim superseded this one."""
    row = session.get(Outbox, message_id)
    if row is None or (claimed_at is not None and (row.status != SENDING or row.next_attempt_at != claimed_at)):
        return None
    row.tries += 1
    if rest is not None:  # a long text went out in parts: keep only what is left to send
        row.text, row.buttons = rest[0], list(rest[1])
    row.last_error = error[:500]
    if give_up_status is not None or row.tries >= max_tries:
        row.status = give_up_status or UNDELIVERED
    else:
        row.status, row.next_attempt_at = PENDING, utcnow() + delay
    session.add(row)
    return row


def tries(session: Session, *, message_id: int) -> int:
    """How many tries the row has had (0 when it is gone)."""
    row = session.get(Outbox, message_id)
    return row.tries if row is not None else 0


def recent_buttons(session: Session, *, contact_id: int, limit: int) -> list[list[dict[str, str]]]:
    """The buttons of the contact's last `limit` rows, newest first (a Telegram button press is matched to them)."""
    rows = session.exec(select(Outbox.buttons).where(Outbox.contact_id == contact_id)
                        .order_by(col(Outbox.id).desc()).limit(limit))
    return [list(buttons or ()) for buttons in rows]


def mark_status(session: Session, *, external_id: str, status: str, error: str = "") -> bool:
    """A channel's delivery report: move the status forward only; a failure is kept with its reason.

    A held row stays held whatever the report on its template says (its own text is still to go);
    `status="held"` holds a row that the channel refused for the closed window.
    """
    row = session.exec(select(Outbox).where(Outbox.external_id == external_id)).first()
    if row is None:
        return False
    if row.status in (HELD, RELEASED):
        pass
    elif status == HELD or status in ("failed", UNDELIVERED):
        row.status = HELD if status == HELD else UNDELIVERED
        if error:
            row.last_error = error[:500]
    elif _PROGRESS.get(status, -1) > _PROGRESS.get(row.status, -1):
        row.status = status
    session.add(row)
    return True


def undelivered(session: Session, *, limit: int = 100) -> list[Outbox]:
    return list(session.exec(select(Outbox).where(Outbox.status == UNDELIVERED).order_by(col(Outbox.id).desc()).limit(limit)))


def counts(session: Session) -> tuple[int, int]:
    """(open rows, undelivered rows)."""
    open_rows = session.exec(select(func.count()).select_from(Outbox).where(col(Outbox.status).in_(OPEN))).one()
    given_up = session.exec(select(func.count()).select_from(Outbox).where(Outbox.status == UNDELIVERED)).one()
    return int(open_rows), int(given_up)


# --- WhatsApp: replies held while the 24-hour window is closed ----------------------------------------------


def template_sent_since(session: Session, *, contact_id: int, since: dt.datetime | None) -> bool:
    """A template already went out on behalf of a held reply since the person last wrote."""
    q = select(Outbox.id).where(Outbox.contact_id == contact_id, Outbox.status == HELD,
                                col(Outbox.external_id).is_not(None))
    if since is not None:
        q = q.where(col(Outbox.sent_at) >= since)
    return session.exec(q.limit(1)).first() is not None


def has_held(session: Session, *, urn: str, since: dt.datetime) -> bool:
    q = (select(Outbox.id).join(Contact, col(Contact.id) == col(Outbox.contact_id))
         .where(Contact.urn == urn, Outbox.status == HELD, Outbox.created_at >= since).limit(1))
    return session.exec(q).first() is not None


def take_held(session: Session, *, contact_id: int, since: dt.datetime) -> list[Outbox]:
    """The contact's held rows, oldest first, locked (two messages of the person release each once)."""
    return list(session.exec(select(Outbox).where(Outbox.contact_id == contact_id, Outbox.status == HELD,
                                                  Outbox.created_at >= since)
                             .order_by(col(Outbox.id)).with_for_update()))


def mark_released(session: Session, *, row: Outbox, note: str) -> None:
    row.status, row.last_error = RELEASED, note[:500]
    session.add(row)
