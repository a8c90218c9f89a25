"""Engine and sessions. SQLite gets WAL and a busy timeout; any SQLAlchemy URL works."""

from __future__ import annotations

import fcntl
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READ_ONLY = "helpdesk_read_only"
TURN_TIMEOUT = 30.0  # seconds, as the busy timeout: a writer waiting longer fails as "database is locked"
_HOLDS_TURN = "helpdesk_write_turn"


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


class WriterTurns:
    """A first-come, first-served lock for the writers of one SQLite database in this process.

    SQLite lets one connection write at a time, and a connection that finds the database
    busy sleeps in growing steps (up to 100 ms each) before it looks again: under load a
    small webhook insert could wait 100 ms behind a 5 ms transaction. Taking turns here
    hands the database over the moment the previous writer commits, in arrival order.
    Other processes (a CLI command, a second worker) still meet SQLite's busy timeout.

    Kept after issue 13 asked to remove it unless measured to be needed: on the realistic load
    (benchmarks/bench_realistic.py, `serve` alone on SQLite, 100 WhatsApp webhooks/s from 400
    senders, 20 s, this 2-core machine, two runs each) the acknowledgement p99 was 27 and 24 ms
    with the turns and 238 and 64 ms without (target 50 ms); replies and the burst were alike.
    PostgreSQL does not use it.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._taken = False

    def acquire(self, timeout: float = TURN_TIMEOUT) -> None:
        with self._mutex:
            if not self._taken:
                self._taken = True
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append(gate)
        if gate.acquire(timeout=timeout):  # released by the writer before us: the turn is ours
            return
        with self._mutex:
            if gate in self._waiting:  # as SQLite's busy timeout would: give up, "database is locked"
                self._waiting.remove(gate)
                raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("no write turn within the timeout"))
        # handed over just as the wait ended: the turn is ours

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._taken = False


class FileTurn:
    """The write turn across processes (`serve --no-workers` + `worker` on one SQLite file): an
    advisory lock on a file beside the database, taken after this process's WriterTurns and
    released right after COMMIT.

    A writer of another process that finds the database busy sleeps in SQLite's growing steps
    (up to 100 ms), and meanwhile the worker's next transaction takes the free database again:
    webhook inserts of the web process waited up to seconds. The kernel lock hands over at the
    commit. Polled without blocking, so that the busy timeout still ends a wait. Measured on the
    realistic load (benchmarks/bench_realistic.py, `serve --no-workers` + `worker`, 100 webhooks/s,
    20 s, 2 cores): acknowledgement p50/p99 37/505 ms without it, 7.6/88 ms with it.
    """

    POLL = 0.0005  # seconds between tries while another process writes

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a+b")  # noqa: SIM115 - held for the engine's lifetime

    def acquire(self, timeout: float = TURN_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("another process holds the write turn")) from None
                time.sleep(self.POLL)

    def release(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)


def make_engine(url: str) -> Engine:
    url = resolve_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        turns = WriterTurns()
        database = make_url(url).database
        across = FileTurn(Path(f"{database}-writer.lock")) if database and database != ":memory:" else None

        def take_turn() -> None:  # this process's turn first, then the file's
            turns.acquire()
            if across is not None:
                try:
                    across.acquire()
                except BaseException:
                    turns.release()
                    raise

        def give_turn() -> None:
            if across is not None:
                across.release()
            turns.release()

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):
            conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
            cur = conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # writers take the write lock at the start: two handlers of one conversation then
            # queue instead of failing halfway with "database is locked"; read_session() does not
            if conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql("BEGIN DEFERRED")
                return
            take_turn()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                give_turn()
                raise
            conn.info[_HOLDS_TURN] = True

        def _end(conn, sql: str) -> None:
            # COMMIT/ROLLBACK issued here (the driver's own call then finds no transaction), so
            # the next writer gets its turn only once the database is free
            if conn.info.pop(_HOLDS_TURN, False):
                try:
                    conn.exec_driver_sql(sql)
                finally:
                    give_turn()

        event.listen(engine, "commit", lambda conn: _end(conn, "COMMIT"))
        event.listen(engine, "rollback", lambda conn: _end(conn, "ROLLBACK"))
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
