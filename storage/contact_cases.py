"""The cases of one person, looked up by their URN (the `helpdesk simulate` command reports them)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage import contacts
from storage.models import Case


def cases_by_urn(session: Session, *, urn: str) -> list[Case]:
    """The person's cases, oldest first; none when there is no such contact."""
    contact = contacts.by_urn(session, urn=urn)
    if contact is None:
        return []
    return list(session.exec(select(Case).where(Case.contact_id == contact.id).order_by(col(Case.id))))
