"""Officer accounts."""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from storage.errors import OfficerError
from storage.models import Officer
from storage.staff_sessions import end_sessions_of

log = logging.getLogger(__name__)

ROLES = ("officer", "supervisor", "admin")


def add_officer(session: Session, *, username: str, password_hash: str, role: str, display_name: str = "") -> Officer:
    if role not in ROLES:
        raise OfficerError(f"role must be one of {', '.join(ROLES)}")
    username = username.strip().lower()
    if not username or len(username) > 80:
        raise OfficerError("username must be 1-80 characters")
    if session.exec(select(Officer).where(Officer.username == username)).first():
        raise OfficerError(f"officer {username!r} already exists")
    officer = Officer(username=username, password_hash=password_hash, role=role, display_name=display_name or username)
    session.add(officer)
    session.flush()
    return officer


def list_officers(session: Session) -> list[Officer]:
    return list(session.exec(select(Officer).order_by(col(Officer.username))))


def by_username(session: Session, username: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.username == username.strip().lower())).first()


def set_active(session: Session, *, username: str, active: bool) -> Officer:
    officer = by_username(session, username)
    if officer is None:
        raise OfficerError(f"no officer {username!r}")
    officer.active = active
    return officer


def set_password(session: Session, *, officer_id: int, password_hash: str) -> Officer:
    """A new password hash for an account; every session of it ends."""
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise OfficerError("no such officer")
    officer.password_hash = password_hash
    end_sessions_of(session, officer_id=officer_id)
    log.info("console password changed for officer id %s; their sessions ended", officer_id)
    return officer


def link_telegram(session: Session, *, username: str, telegram_user_id: int | None) -> Officer:
    """Tie an officer account to a Telegram user, so the staff desk obeys them."""
    officer = by_username(session, username)
    if officer is None:
        raise OfficerError(f"no officer {username!r}")
    if telegram_user_id is not None and session.exec(select(Officer).where(
            Officer.telegram_user_id == telegram_user_id, Officer.id != officer.id)).first():
        raise OfficerError(f"Telegram user {telegram_user_id} is already linked to another officer")
    officer.telegram_user_id = telegram_user_id
    return officer
