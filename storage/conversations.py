"""One person's side of a message turn, for the engine (flows/engine.py), in one transaction:

    transaction  the unit of work; a unique key taken by a concurrent copy becomes `DuplicateKey`
    begin_turn   lock the contact, drop a handled delivery, load the conversation and the latest case
    case_of      the latest case as an ORM row, for the effects that change it
    save_state   store the conversation's new flow, step and slots

Flow, step and slots are stored as they come: what they mean is the flows' business, not ours.

Every message runs begin_turn and save_state, so they are Core statements built once: under the
realistic load (benchmarks/bench_realistic.py) the ORM's identity map and flushes cost more CPU
than the statements themselves (a whole turn, reading included, took 4.9 ms with the ORM and
3.1 ms with these, in-process on SQLite over 1 800 turns).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, TypeAlias

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import inbox, repo
from storage.db import unit_of_work
from storage.errors import DuplicateKey
from storage.models import Case, Contact, Conversation, MessageLog, Officer, utcnow

Database: TypeAlias = Engine
Transaction: TypeAlias = Session  # what `transaction` yields: pass it to the storage functions

_CONTACT = Contact.__table__  # type: ignore[attr-defined]  # SQLModel's type lacks __table__
_CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]
_CASE = Case.__table__  # type: ignore[attr-defined]
_OFFICER = Officer.__table__  # type: ignore[attr-defined]
_LOG = MessageLog.__table__  # type: ignore[attr-defined]

# FOR UPDATE: the person's messages run one at a time (PostgreSQL row lock; SQLite already
# serialises writers with BEGIN IMMEDIATE)
_CONTACT_BY_URN = (select(_CONTACT.c.id, _CONTACT.c.display_name, _CONTACT.c.last_inbound_at)
                   .where(_CONTACT.c.urn == bindparam("urn")).with_for_update())
_TOUCH_CONTACT = (update(_CONTACT).where(_CONTACT.c.id == bindparam("contact_id"))
                  .values(last_inbound_at=bindparam("at"), display_name=bindparam("name")))
_SEEN = select(_LOG.c.id).where(_LOG.c.dedupe_key == bindparam("dedupe_key")).limit(1)
_STATE = select(_CONVERSATION.c.id, _CONVERSATION.c.flow, _CONVERSATION.c.step, _CONVERSATION.c.slots).where(
    _CONVERSATION.c.contact_id == bindparam("contact_id"))
_NEW_CONVERSATION = insert(_CONVERSATION).returning(_CONVERSATION.c.id)
_SAVE_STATE = (update(_CONVERSATION).where(_CONVERSATION.c.id == bindparam("conversation_id"))
               .values(flow=bindparam("flow"), step=bindparam("step"), slots=bindparam("slots"),
                       updated_at=bindparam("now")))
_LATEST_CASE = (select(_CASE.c.id, _CASE.c.number, _CASE.c.status, _CASE.c.priority, _CASE.c.category,
                       _CASE.c.sla_due_at, func.coalesce(func.nullif(_OFFICER.c.display_name, ""),
                                                         _OFFICER.c.username))
                .outerjoin(_OFFICER, _OFFICER.c.id == _CASE.c.assignee_id)
                .where(_CASE.c.contact_id == bindparam("contact_id")).order_by(_CASE.c.id.desc()).limit(1))
_COUNT_SINCE = select(func.count()).select_from(_LOG).where(
    _LOG.c.conversation_id == bindparam("conversation_id"), _LOG.c.direction == "in",
    _LOG.c.created_at >= bindparam("since"))


@contextmanager
def transaction(db: Database) -> Iterator[Transaction]:
    """`storage.db.unit_of_work`, with the driver's unique-key error turned into `DuplicateKey`."""
    try:
        with unit_of_work(db) as session:
            yield session
    except IntegrityError as exc:
        raise DuplicateKey(str(exc.orig)) from exc


@dataclass(frozen=True)
class CaseRow:
    """The person's latest case as a turn sees it (case_of gives the row itself, to change it)."""

    id: int
    number: str
    status: str
    priority: str
    category: str
    assignee: str | None  # the name of its officer
    due_at: dt.datetime  # its SLA due time, timezone-aware


@dataclass(frozen=True)
class TurnRows:
    """What one message's turn starts from."""

    contact_id: int
    channel: str
    address: str
    conversation_id: int
    flow: str
    step: str
    slots: dict[str, Any]
    previous_inbound_at: dt.datetime | None  # when the person last wrote before this message
    case: CaseRow | None  # the person's latest case, open or not


def _contact(conn: Connection, session: Session, *, urn: str, channel: str, address: str,
             display_name: str) -> tuple[int, str, dt.datetime | None]:
    found = conn.execute(_CONTACT_BY_URN, {"urn": urn}).first()
    if found is None:
        stmt = repo.upsert_insert(session)(_CONTACT).values(urn=urn, channel=channel, address=address,
                                                             display_name=display_name, created_at=utcnow())
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["urn"]))
        found = conn.execute(_CONTACT_BY_URN, {"urn": urn}).one()
    return found[0], found[1], found[2]


def begin_turn(session: Session, *, urn: str, channel: str, address: str, display_name: str, dedupe_key: str,
               received_at: dt.datetime) -> TurnRows | None:
    """Lock the person's contact (created if new) so their messages run one at a time; None when
    this delivery was handled already; else the rows of the turn, with this message's time kept
    as the person's last."""
    conn = session.connection()
    contact_id, name, previous = _contact(conn, session, urn=urn, channel=channel, address=address,
                                          display_name=display_name)
    if inbound_seen(session, dedupe_key=dedupe_key):
        return None
    conn.execute(_TOUCH_CONTACT, {"contact_id": contact_id, "at": received_at.astimezone(dt.UTC),
                                  "name": display_name or name})
    found_state = conn.execute(_STATE, {"contact_id": contact_id}).first()
    if found_state is None:
        new_id = conn.execute(_NEW_CONVERSATION, {"contact_id": contact_id, "flow": "menu", "step": "start",
                                                  "slots": {}, "updated_at": utcnow()}).scalar_one()
    state: tuple[Any, ...] = tuple(found_state) if found_state is not None else (new_id, "menu", "start", {})
    found = conn.execute(_LATEST_CASE, {"contact_id": contact_id}).first()
    case = CaseRow(found[0], found[1], found[2], found[3], found[4], found[6], repo.aware(found[5])) if found else None
    return TurnRows(contact_id, channel, address, state[0], state[1], state[2], dict(state[3] or {}), previous, case)


def inbound_seen(session: Session, *, dedupe_key: str) -> bool:
    """Whether the delivery with this key was handled (its message is in the log)."""
    return session.connection().execute(_SEEN, {"dedupe_key": dedupe_key}).first() is not None


def case_of(session: Session, turn: TurnRows) -> Case | None:
    """The turn's latest case as an ORM row (loaded only when an effect may change it)."""
    return session.get(Case, turn.case.id) if turn.case is not None else None


def save_state(session: Session, *, conversation_id: int, flow: str, step: str, slots: dict[str, Any]) -> None:
    session.connection().execute(_SAVE_STATE, {"conversation_id": conversation_id, "flow": flow, "step": step,
                                               "slots": slots, "now": utcnow()})


def messages_since(session: Session, *, conversation_id: int, since: dt.datetime) -> int:
    """The person's messages in this conversation since then (the flood limit)."""
    return int(session.connection().execute(_COUNT_SINCE, {"conversation_id": conversation_id,
                                                           "since": since}).scalar_one())


def seen(db: Database, *, dedupe_key: str, done_inbox_id: int | None = None) -> bool:
    """Whether this delivery was handled; when it was, its inbox row (if any) is dequeued too."""
    with unit_of_work(db) as session:
        handled = inbound_seen(session, dedupe_key=dedupe_key)
        if handled and done_inbox_id is not None:
            inbox.done(session, item_id=done_inbox_id)
        return handled
