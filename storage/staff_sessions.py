"""Staff console session rows (bot/web/auth.py signs in and out with them).

The cookie holds only a random token; the staff_session row is keyed by its SHA-256, so a copy
of the database does not hand out live sessions. A row's expires_at is its idle deadline, moved
on as the officer works, never past SESSION_LIFETIME from the sign-in. Keyword-only, one session
passed in; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete
from sqlmodel import Session, col

from storage.models import Officer, StaffSession, utcnow

SESSION_LIFETIME = dt.timedelta(hours=12)  # one shift; then sign in again
DEFAULT_IDLE = dt.timedelta(minutes=60)
# the idle deadline is written back at most this often (a page view is not a write each time)
TOUCH_STEP = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite gives stored UTC back naive


def create_session(session: Session, *, officer_id: int, idle: dt.timedelta = DEFAULT_IDLE,
                   now: dt.datetime | None = None) -> tuple[str, StaffSession]:
    """A new session row; returns the cookie token (only its hash is stored) and the row."""
    now = now or utcnow()
    session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    row = StaffSession(id=_digest(token), officer_id=officer_id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + min(idle, SESSION_LIFETIME))
    session.add(row)
    session.flush()
    return token, row


def load_session(session: Session, *, token: str, idle: dt.timedelta = DEFAULT_IDLE, touch: bool = True,
                 now: dt.datetime | None = None) -> tuple[StaffSession, Officer] | None:
    """The live session of `token` and its officer, or None. `touch`: the officer is at work,
    so the idle deadline moves on (never past 12 hours from the sign-in)."""
    if not token or len(token) > 100:
        return None
    row = session.get(StaffSession, _digest(token))
    if row is None:
        return None
    now = now or utcnow()
    if _aware(row.expires_at) <= now:
        session.delete(row)
        return None
    officer = session.get(Officer, row.officer_id)
    if officer is None or not officer.active:
        session.delete(row)
        return None
    if touch:
        deadline = min(_aware(row.created_at) + SESSION_LIFETIME, now + idle)
        if deadline - _aware(row.expires_at) >= TOUCH_STEP:
            row.expires_at = deadline
    return row, officer


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(StaffSession).where(col(StaffSession.id) == _digest(token)))


def end_sessions_of(session: Session, *, officer_id: int) -> None:
    """Sign an officer out everywhere (account disabled, password changed or reset)."""
    session.exec(delete(StaffSession).where(col(StaffSession.officer_id) == officer_id))
