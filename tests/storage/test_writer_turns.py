"""SQLite writers of one process take turns in arrival order instead of sleeping in SQLite's busy handler."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import WriterTurns, make_engine, read_session, unit_of_work


def test_turns_are_given_in_arrival_order() -> None:
    turns = WriterTurns()
    turns.acquire()
    order: list[int] = []
    threads = []
    for n in range(5):
        t = threading.Thread(target=lambda n=n: (turns.acquire(), order.append(n), turns.release()))
        t.start()
        threads.append(t)
        while len(turns._waiting) < n + 1:  # each one queued before the next starts
            pass
    turns.release()
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_a_writer_waiting_too_long_fails_like_a_locked_database() -> None:
    turns = WriterTurns()
    turns.acquire()
    with pytest.raises(OperationalError):
        turns.acquire(timeout=0.05)
    turns.release()
    turns.acquire(timeout=0.05)  # the one that gave up left no ghost in the line


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/turns.db")
    with unit_of_work(engine) as s:
        s.execute(text("CREATE TABLE counter (n INTEGER)"))
        s.execute(text("INSERT INTO counter VALUES (0)"))
    yield engine
    engine.dispose()


def test_many_threads_writing_at_once_all_commit(sqlite_engine) -> None:
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(25):
                with unit_of_work(sqlite_engine) as s:
                    n = s.execute(text("SELECT n FROM counter")).scalar_one()
                    s.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})  # lost updates if two overlapped
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with read_session(sqlite_engine) as s:
        assert s.execute(text("SELECT n FROM counter")).scalar_one() == 200


def test_a_failed_transaction_passes_the_turn_on(sqlite_engine) -> None:
    with pytest.raises(ZeroDivisionError):
        with unit_of_work(sqlite_engine) as s:
            s.execute(text("UPDATE counter SET n = 5"))
            1 / 0
    done = threading.Event()

    def write() -> None:
        with unit_of_work(sqlite_engine) as s:
            s.execute(text("UPDATE counter SET n = n + 1"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(10)
    with read_session(sqlite_engine) as s:
        assert s.execute(text("SELECT n FROM counter")).scalar_one() == 1  # the failed update was rolled back


def test_a_second_engine_on_the_file_writes_right_after_the_first_commits(tmp_path, sqlite_engine) -> None:
    """Another process's engine (a second engine has its own lock file handle, as a process would)
    gets the write turn at the first one's commit, and gives up after the timeout like SQLite."""
    import time

    from storage.db import FileTurn

    other = make_engine(f"sqlite:///{tmp_path}/turns.db")
    wrote_at: list[float] = []
    with unit_of_work(sqlite_engine) as s:
        s.execute(text("UPDATE counter SET n = 1"))

        def write() -> None:
            with unit_of_work(other) as s2:
                s2.execute(text("UPDATE counter SET n = n + 10"))
            wrote_at.append(time.monotonic())

        t = threading.Thread(target=write)
        t.start()
        time.sleep(0.2)
        assert wrote_at == []  # waits for the turn
        committed_at = time.monotonic()
    t.join(5)
    assert wrote_at and wrote_at[0] >= committed_at
    with read_session(sqlite_engine) as s:
        assert s.execute(text("SELECT n FROM counter")).scalar_one() == 11
    held = FileTurn(tmp_path / "turns.db-writer.lock")
    held.acquire()
    with pytest.raises(OperationalError):
        FileTurn(tmp_path / "turns.db-writer.lock").acquire(timeout=0.05)
    held.release()
    other.dispose()
