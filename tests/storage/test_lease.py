import datetime as dt

from storage.lease import release, try_acquire


def test_one_holder_at_a_time_and_takeover_after_expiry(service) -> None:
    now = dt.datetime.now(dt.UTC)
    assert try_acquire(service.db, name="jobs", holder="a", now=now)
    assert not try_acquire(service.db, name="jobs", holder="b", now=now)
    assert try_acquire(service.db, name="jobs", holder="a", now=now + dt.timedelta(seconds=30))  # renewal
    assert not try_acquire(service.db, name="jobs", holder="b", now=now + dt.timedelta(seconds=60))
    assert try_acquire(service.db, name="jobs", holder="b", now=now + dt.timedelta(seconds=200))  # a died
    assert not try_acquire(service.db, name="jobs", holder="a", now=now + dt.timedelta(seconds=210))


def test_release_lets_another_take_over_at_once(service) -> None:
    assert try_acquire(service.db, name="jobs", holder="a")
    release(service.db, name="jobs", holder="a")
    assert try_acquire(service.db, name="jobs", holder="b")
