"""One person's side of a message turn, for the engine (flows/engine.py), in one transaction:

    transaction  the unit of work; a unique key taken by a concurrent copy becomes `DuplicateKey`
    begin_turn   lock the contact, drop a handled delivery, load the conversation and the latest case
    save_state   store the conversation's new flow, step and slots

Flow, step and slots are stored as they come: what they mean is the flows' business, not ours.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, TypeAlias

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import inbox, repo
from storage.db import unit_of_work
from storage.errors import DuplicateKey
from storage.models import Case, Contact, Conversation, utcnow

Database: TypeAlias = Engine
Transaction: TypeAlias = Session  # what `transaction` yields: pass it to the storage functions


@contextmanager
def transaction(db: Database) -> Iterator[Transaction]:
    """`storage.db.unit_of_work`, with the driver's unique-key error turned into `DuplicateKey`."""
    try:
        with unit_of_work(db) as session:
            yield session
    except IntegrityError as exc:
        raise DuplicateKey(str(exc.orig)) from exc


@dataclass
class TurnRows:
    """What one message's turn starts from. `contact`, `conversation`, `case` are handles to pass back here."""

    contact: Contact
    conversation: Conversation
    flow: str
    step: str
    slots: dict[str, Any]
    previous_inbound_at: dt.datetime | None  # when the person last wrote before this message
    case: Case | None  # the person's latest case, open or not
    assignee: str | None  # the name of its officer
    case_due_at: dt.datetime | None  # its SLA due time, timezone-aware

    @property
    def contact_id(self) -> int:
        assert self.contact.id is not None  # flushed by begin_turn
        return self.contact.id

    @property
    def conversation_id(self) -> int:
        assert self.conversation.id is not None  # flushed by begin_turn
        return self.conversation.id


def begin_turn(session: Session, *, urn: str, channel: str, address: str, display_name: str, dedupe_key: str,
               received_at: dt.datetime) -> TurnRows | None:
    """Lock the person's contact (created if new) so their messages run one at a time; None when
    this delivery was handled already; else the rows of the turn, with this message's time kept
    as the person's last."""
    contact = repo.contact_for_update(session, urn=urn, channel=channel, address=address, display_name=display_name)
    if repo.inbound_seen(session, dedupe_key=dedupe_key):
        return None
    assert contact.id is not None
    conv = repo.conversation_of(session, contact_id=contact.id)
    previous = contact.last_inbound_at
    contact.last_inbound_at = received_at.astimezone(dt.UTC)
    case = repo.latest_case(session, contact_id=contact.id)
    assignee = repo.officer_name(session, case.assignee_id) if case is not None and case.assignee_id else None
    return TurnRows(contact, conv, conv.flow, conv.step, dict(conv.slots or {}), previous, case, assignee,
                    repo.aware(case.sla_due_at) if case is not None else None)


def save_state(session: Session, *, conversation: Conversation, flow: str, step: str, slots: dict[str, Any]) -> None:
    conversation.flow, conversation.step, conversation.slots = flow, step, slots
    conversation.updated_at = utcnow()
    session.add(conversation)


def messages_since(session: Session, *, conversation_id: int, since: dt.datetime) -> int:
    """The person's messages in this conversation since then (the flood limit)."""
    return repo.inbound_count_since(session, conversation_id=conversation_id, since=since)


def seen(db: Database, *, dedupe_key: str, done_inbox_id: int | None = None) -> bool:
    """Whether this delivery was handled; when it was, its inbox row (if any) is dequeued too."""
    with unit_of_work(db) as session:
        handled = repo.inbound_seen(session, dedupe_key=dedupe_key)
        if handled and done_inbox_id is not None:
            inbox.done(session, item_id=done_inbox_id)
        return handled
