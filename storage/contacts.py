"""Contact lookups the channel adapters need: a contact by its URN, and when the person last wrote.

Keyword-only, one session passed in; nothing here commits.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from storage.models import Contact


def by_urn(session: Session, *, urn: str) -> Contact | None:
    return session.exec(select(Contact).where(Contact.urn == urn)).first()


def id_by_urn(session: Session, *, urn: str) -> int | None:
    """The contact's id alone (a button press looks up what was sent to this chat)."""
    return session.exec(select(Contact.id).where(Contact.urn == urn)).first()


def last_inbound_at(session: Session, *, contact_id: int) -> dt.datetime | None:
    """When the person last wrote to us; None when never (or no such contact)."""
    contact = session.get(Contact, contact_id)
    return contact.last_inbound_at if contact else None
