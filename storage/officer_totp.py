"""Second-factor rows of console accounts: TOTP secret, recovery codes, sign-ins waiting for a code.

The codes themselves are computed in bot/web/totp.py; this module only stores and updates, and does
so with conditional UPDATEs, so two requests racing with one code cannot both succeed.
Keyword-only functions on the caller's Session; they never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from storage.models import LoginChallenge, Officer, RecoveryCode, StaffSession, utcnow


def _officer(session: Session, officer_id: int) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise LookupError("no such officer")
    return officer


def start_enrolment(session: Session, *, officer_id: int, secret: str) -> None:
    """Keep a new secret until the officer confirms a code from it (an enabled one stays until then)."""
    officer = _officer(session, officer_id)
    if officer.totp_enabled_at is not None:
        raise ValueError("second factor already enabled; reset it first")
    officer.totp_secret = secret
    session.flush()


def confirm_enrolment(session: Session, *, officer_id: int, step: int, code_hashes: Sequence[str],
                      now: dt.datetime | None = None) -> None:
    """The first code was right: the factor counts from now, with a new set of recovery codes."""
    officer = _officer(session, officer_id)
    officer.totp_enabled_at = now or utcnow()
    officer.totp_last_step = step
    replace_recovery_codes(session, officer_id=officer_id, code_hashes=code_hashes, now=now)
    session.flush()


def replace_recovery_codes(session: Session, *, officer_id: int, code_hashes: Sequence[str],
                           now: dt.datetime | None = None) -> None:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.officer_id) == officer_id))
    for code_hash in code_hashes:
        session.add(RecoveryCode(officer_id=officer_id, code_hash=code_hash, created_at=now or utcnow()))
    session.flush()


def reset(session: Session, *, officer_id: int) -> Officer:
    """Forget the account's second factor and recovery codes, and end its sessions and pending sign-ins."""
    officer = _officer(session, officer_id)
    officer.totp_secret = officer.totp_enabled_at = officer.totp_last_step = None
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.officer_id) == officer_id))
    session.exec(delete(LoginChallenge).where(col(LoginChallenge.officer_id) == officer_id))
    session.exec(delete(StaffSession).where(col(StaffSession.officer_id) == officer_id))
    session.flush()
    return officer


def use_step(session: Session, *, officer_id: int, step: int) -> bool:
    """Mark a time step used; False if it (or a later one) was used already: a code works once."""
    result = session.exec(update(Officer).where(col(Officer.id) == officer_id)
                          .where(or_(col(Officer.totp_last_step).is_(None), col(Officer.totp_last_step) < step))
                          .values(totp_last_step=step))
    return bool(result.rowcount == 1)


def use_recovery_code(session: Session, *, officer_id: int, code_hash: str, now: dt.datetime | None = None) -> bool:
    """Spend a recovery code; False if it is not the account's or was spent already."""
    result = session.exec(update(RecoveryCode)
                          .where(col(RecoveryCode.officer_id) == officer_id, col(RecoveryCode.code_hash) == code_hash,
                                 col(RecoveryCode.used_at).is_(None))
                          .values(used_at=now or utcnow()))
    return bool(result.rowcount == 1)


def recovery_codes_left(session: Session, *, officer_id: int) -> int:
    return len(list(session.exec(select(RecoveryCode.id).where(RecoveryCode.officer_id == officer_id,
                                                               col(RecoveryCode.used_at).is_(None)))))


# --- sign-ins waiting for the second step --------------------------------------------------------


def add_challenge(session: Session, *, token_hash: str, officer_id: int, purpose: str, next_url: str,
                  lifetime: dt.timedelta, now: dt.datetime | None = None) -> LoginChallenge:
    now = now or utcnow()
    session.exec(delete(LoginChallenge).where(col(LoginChallenge.expires_at) < now))
    row = LoginChallenge(id=token_hash, officer_id=officer_id, purpose=purpose, next_url=next_url, created_at=now,
                         expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return row


def challenge(session: Session, *, token_hash: str, now: dt.datetime | None = None) -> tuple[LoginChallenge, Officer] | None:
    """The live challenge and its (active) officer, or None."""
    row = session.get(LoginChallenge, token_hash)
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    officer = session.get(Officer, row.officer_id)
    if expires <= (now or utcnow()) or officer is None or not officer.active:
        session.delete(row)
        return None
    return row, officer


def end_challenge(session: Session, *, token_hash: str) -> None:
    session.exec(delete(LoginChallenge).where(col(LoginChallenge.id) == token_hash))
