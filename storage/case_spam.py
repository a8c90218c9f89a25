"""Spam: cases the web chat opened over its flood limits are flagged "kemungkinan spam", and
supervisors close open cases as spam in bulk (`close_as_spam`) and can undo it (`reopen_spam`).

Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage import cases
from storage.errors import CaseError, CaseForbidden
from storage.models import Case, Officer, utcnow

MAX_BULK = 500  # cases in one bulk action (a few pages of the queue)


def flag_suspected_spam(session: Session, *, number: str, reason: str) -> Case | None:
    """Flag the case "kemungkinan spam" (opened over a flood limit) with an audit event; None if gone."""
    case = session.exec(select(Case).where(Case.number == number)).first()
    if case is None or case.suspected_spam:
        return case
    case.suspected_spam = True
    cases._event(session, case, "flagged_spam", "bot", reason)
    session.flush()
    return case


def _supervisor(officer: Officer) -> Officer:
    cases._active(officer)
    if not cases._is_supervisor(officer):
        raise CaseForbidden("Hanya supervisor atau admin yang boleh menutup kasus sebagai spam.")
    return officer


def _bulk(session: Session, case_ids: Sequence[int]) -> list[Case]:
    ids = sorted(set(case_ids))
    if len(ids) > MAX_BULK:
        raise CaseError(f"Paling banyak {MAX_BULK} kasus sekaligus.")
    return list(session.exec(select(Case).where(col(Case.id).in_(ids)).order_by(col(Case.id)))) if ids else []


def close_as_spam(session: Session, *, case_ids: Sequence[int], officer: Officer) -> list[Case]:
    """A supervisor closes these open cases as spam, one audit event each; the others are left alone.

    The status each had is kept (`spam_closed_from`), so `reopen_spam` can undo it.
    """
    _supervisor(officer)
    closed = []
    for case in _bulk(session, case_ids):
        if case.status not in cases.OPEN_STATUSES:
            continue
        case.spam_closed_from, case.status = case.status, "closed"
        case.resolved_at = utcnow()
        cases._event(session, case, "closed_as_spam", officer.username, f"{case.spam_closed_from} → closed")
        closed.append(case)
    session.flush()
    return closed


def reopen_spam(session: Session, *, case_ids: Sequence[int], officer: Officer) -> list[Case]:
    """Undo `close_as_spam`: each case gets back the status it had, one audit event each.

    A supervisor who reopens it has looked at it, so the "kemungkinan spam" flag goes too
    and the case counts as genuine again (an unclaimed emergency is back on the first page).
    Cases not closed as spam are left alone.
    """
    _supervisor(officer)
    reopened = []
    for case in _bulk(session, case_ids):
        if case.status != "closed" or case.spam_closed_from is None:
            continue
        case.status, case.spam_closed_from = case.spam_closed_from, None
        case.resolved_at, case.suspected_spam = None, False
        cases._event(session, case, "reopened", officer.username, f"closed → {case.status}: bukan spam")
        reopened.append(case)
    session.flush()
    return reopened
