"""A lease in the database that names the one process running the scheduled jobs.

Every process tries to take or renew it; only the holder runs jobs. A holder that dies
stops renewing and another takes over when the lease expires. Works the same on SQLite
and PostgreSQL (one conditional UPDATE), so no advisory-lock connection must be kept open.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import SchedulerLease, utcnow

LEASE_SECONDS = 90


def try_acquire(db: Engine, *, name: str, holder: str, now: dt.datetime | None = None,
                seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the lease; True when this holder has it until now + seconds."""
    now = now or utcnow()
    until = now + dt.timedelta(seconds=seconds)
    with Session(db) as s:
        taken = s.exec(update(SchedulerLease).where(
            col(SchedulerLease.name) == name,
            or_(col(SchedulerLease.holder) == holder, col(SchedulerLease.expires_at) < now),
        ).values(holder=holder, expires_at=until)).rowcount
        if taken:
            s.commit()
            return True
        if s.get(SchedulerLease, name) is not None:
            return False
        s.add(SchedulerLease(name=name, holder=holder, expires_at=until))
        try:
            s.commit()
        except IntegrityError:  # another process created it first
            return False
        return True


def release(db: Engine, *, name: str, holder: str) -> None:
    with Session(db) as s:
        s.exec(update(SchedulerLease).where(col(SchedulerLease.name) == name, col(SchedulerLease.holder) == holder)
                  .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        s.commit()
