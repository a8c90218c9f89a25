"""Engine and sessions. SQLite gets WAL and a busy timeout; any SQLAlchemy URL works."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READ_ONLY = "helpdesk_read_only"


def resolve_url(url: str) -> str:
    """Relative SQLite paths are taken from the project root; their folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(parsed.set(database=str(path)))
    return url


def make_engine(url: str) -> Engine:
    url = resolve_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # type: ignore[no-untyped-def]
            conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
            cur = conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # writers take the write lock at the start: two handlers of one conversation then wait
            # in SQLite's busy handler instead of failing halfway (a read cannot be upgraded to a
            # write while another connection writes); read_session() does not
            mode = "DEFERRED" if conn.get_execution_options().get(READ_ONLY, False) else "IMMEDIATE"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def read_session(engine: Engine) -> Session:
    """A session for reads only: on SQLite it does not take the write lock (writes in it would fail)."""
    return Session(engine.execution_options(**{READ_ONLY: True}))
