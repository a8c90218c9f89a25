"""Who may see which case, and how much of it (issue 15, DESIGN.md decision 9).

    supervisor / admin          every case, in full
    the case's assignee         the case in full
    officer, unassigned case    its summary only: number, category, priority, status, times
                                and the summary line with phone numbers masked; no address,
                                name, transcript, intake answers, evidence or notes
    officer, anything else      nothing (another officer's case, or any restricted case
                                they are not assigned to): 403, and the attempt is audited

A "restricted" (dibatasi) case is limited to its assignee and supervisors: an unassigned
restricted case is for supervisors only until one of them assigns it.

`visible_condition` and `full_condition` are the same rule as SQL, for the queue and search:
a list never shows an officer a case they could not open.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from sqlalchemy import and_, false, or_, true
from sqlmodel import Session, col

from storage.errors import CaseForbidden
from storage.ids import saved_id
from storage.models import Case, CaseEvent, Officer, utcnow

SUPERVISOR_ROLES = ("supervisor", "admin")
DENIED_KIND = "view_denied"
RESTRICTED_KIND = "restricted"
# six or more digits, with the spaces, dots and dashes people type inside a phone number
_PHONE_RX = re.compile(r"\+?\d(?:[\s.\-]?\d){5,}")


class Access(str, Enum):
    NONE = "none"
    SUMMARY = "summary"
    FULL = "full"


def is_supervisor(officer: Officer) -> bool:
    return officer.role in SUPERVISOR_ROLES


def access_to(case: Case, officer: Officer) -> Access:
    """How much of this case the officer may see."""
    if not officer.active:
        return Access.NONE
    if is_supervisor(officer) or (case.assignee_id is not None and case.assignee_id == officer.id):
        return Access.FULL
    if case.assignee_id is None and not case.restricted:
        return Access.SUMMARY
    return Access.NONE


def visible_condition(officer: Officer) -> Any:
    """SQL: the cases this officer may see at least in summary."""
    if not officer.active:
        return false()
    if is_supervisor(officer):
        return true()
    return or_(col(Case.assignee_id) == officer.id,
               and_(col(Case.assignee_id).is_(None), col(Case.restricted) == false()))


def full_condition(officer: Officer) -> Any:
    """SQL: the cases this officer may see in full (what search may match on phone, name and text)."""
    if not officer.active:
        return false()
    if is_supervisor(officer):
        return true()
    return col(Case.assignee_id) == officer.id


def mask_phones(text: str) -> str:
    """The summary shown to an officer who has not taken the case: no phone numbers in it."""
    return _PHONE_RX.sub("••••", text or "")


def record_denied(session: Session, *, case: Case, officer: Officer, what: str = "membuka kasus") -> None:
    """An attempt to open what the officer may not see goes into the case's audit trail."""
    session.add(CaseEvent(case_id=saved_id(case.id), kind=DENIED_KIND, actor=officer.username,
                          detail=f"ditolak: {what}", created_at=utcnow()))
    session.flush()


def set_restricted(session: Session, *, case: Case, officer: Officer, restricted: bool, reason: str = "") -> bool:
    """A supervisor or the assignee limits the case to its assignee and supervisors (or lifts it).

    Returns whether anything changed; the change is audited with the reason given.
    """
    if not officer.active or not (is_supervisor(officer) or (case.assignee_id is not None
                                                               and case.assignee_id == officer.id)):
        raise CaseForbidden("Hanya petugas yang menangani kasus ini atau supervisor yang boleh membatasinya.")
    if case.restricted == restricted:
        return False
    case.restricted = restricted
    detail = "dibatasi untuk petugas yang menangani dan supervisor" if restricted else "pembatasan dicabut"
    reason = (reason or "").strip()[:500]
    session.add(CaseEvent(case_id=saved_id(case.id), kind=RESTRICTED_KIND, actor=officer.username,
                          detail=detail + (f": {reason}" if reason else ""), created_at=utcnow()))
    session.add(case)
    session.flush()
    return True
