"""Contact lookups: a contact by its URN, its cases, and when the person last wrote.

Keyword-only, one session passed in; nothing here commits.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from storage.models import Case, Contact


def by_urn(session: Session, *, urn: str) -> Contact | None:
    return session.exec(select(Contact).where(Contact.urn == urn)).first()


def id_by_urn(session: Session, *, urn: str) -> int | None:
    """The contact's id alone (a button press looks up what was sent to this chat)."""
    return session.exec(select(Contact.id).where(Contact.urn == urn)).first()


def last_inbound_at(session: Session, *, contact_id: int) -> dt.datetime | None:
    """When the person last wrote to us; None when never (or no such contact)."""
    contact = session.get(Contact, contact_id)
    return contact.last_inbound_at if contact else None


def cases_by_urn(session: Session, *, urn: str) -> list[Case]:
    """The person's cases, oldest first (`helpdesk simulate` reports them); none for an unknown URN."""
    contact = by_urn(session, urn=urn)
    if contact is None:
        return []
    return list(session.exec(select(Case).where(Case.contact_id == contact.id).order_by(col(Case.id))))
