"""ORM rows for test scenarios: a person's contact, conversation and latest case.

The engine reads and writes these with Core statements (storage/conversations.py); tests that set
up a scenario by hand, or inspect it, use the ORM objects.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage.models import Case, Contact, Conversation, utcnow
from storage.repo import upsert_insert

_CONTACT_BY_URN = select(Contact).where(Contact.urn == bindparam("urn")).with_for_update()
_CONVERSATION_OF = select(Conversation).where(Conversation.contact_id == bindparam("contact_id"))
_LATEST_CASE = select(Case).where(Case.contact_id == bindparam("contact_id")).order_by(col(Case.id).desc()).limit(1)


def contact_for_update(session: Session, *, urn: str, channel: str, address: str, display_name: str = "") -> Contact:
    """The contact of this URN, created if new, locked until the transaction ends.

    The lock makes the messages of one person run one at a time (PostgreSQL row lock;
    SQLite already serialises writers with BEGIN IMMEDIATE).
    """
    contact = session.exec(_CONTACT_BY_URN, params={"urn": urn}).first()
    if contact is None:
        stmt = upsert_insert(session)(Contact).values(urn=urn, channel=channel, address=address,
                                                      display_name=display_name, created_at=utcnow())
        session.execute(stmt.on_conflict_do_nothing(index_elements=["urn"]))
        contact = session.exec(_CONTACT_BY_URN, params={"urn": urn}).one()
    if display_name and contact.display_name != display_name:
        contact.display_name = display_name
    return contact


def conversation_of(session: Session, *, contact_id: int) -> Conversation:
    conv = session.exec(_CONVERSATION_OF, params={"contact_id": contact_id}).first()
    if conv is None:
        conv = Conversation(contact_id=contact_id)
        session.add(conv)
        session.flush()
    return conv


def latest_case(session: Session, *, contact_id: int) -> Case | None:
    return session.exec(_LATEST_CASE, params={"contact_id": contact_id}).first()
