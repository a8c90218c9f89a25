"""Questions the knowledge base could not answer, as the curators' list on /console/unanswered reads them.

They are written by storage/repo.py (record_unanswered) and counted for the dashboard in
storage/dashboard.py; this module only lists them. Functions take the caller's Session.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import UnansweredQuestion

LIST_LIMIT = 300  # the page is read on a phone: the newest questions, bounded


def newest_unanswered(session: Session, *, limit: int = LIST_LIMIT) -> list[UnansweredQuestion]:
    """The latest unanswered questions, newest first."""
    query = select(UnansweredQuestion).order_by(col(UnansweredQuestion.id).desc()).limit(limit)
    return list(session.exec(query))
