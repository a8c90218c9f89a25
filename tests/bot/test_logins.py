"""Console sign-in under attack: limits taken before Argon2, its own small pool, delays per account."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import httpx
import pytest

from bot.web import passwords
from bot.web.app import create_app
from bot.web.auth_limits import LOGIN_WINDOW_SECONDS, LoginGuard
from bot.web.errors import LoginThrottled, PasswordPoolBusy
from tests.bot.console_util import add_staff, csrf_of

BURST = 200


class CountingVerify:
    """Stands in for passwords.verify_password: counts calls, notes threads and overlap, can hold them."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.real = passwords.verify_password
        self.hold = hold
        self.calls = 0
        self.threads: Counter[str] = Counter()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, password: str, password_hash: str) -> bool:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads[threading.current_thread().name.split("_")[0]] += 1
        try:
            if self.hold is not None:
                self.hold.wait(10)
            return self.real(password, password_hash)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def counting(monkeypatch) -> CountingVerify:
    fake = CountingVerify()
    monkeypatch.setattr(passwords, "verify_password", fake)
    return fake


@pytest.fixture
def app(settings, service):  # type: ignore[no-untyped-def]
    return create_app(settings, service)


def client_for(app, ip: str = "192.0.2.10") -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


async def login_form(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/console/login")).text)


async def attempt(client: httpx.AsyncClient, token: str, username: str, password: str) -> httpx.Response:
    return await client.post("/console/login", data={"username": username, "password": password, "csrf_token": token})


async def burst(client: httpx.AsyncClient, usernames: list[str]) -> Counter[int]:
    token = await login_form(client)
    answers = await asyncio.gather(*(attempt(client, token, u, "tebakan-salah") for u in usernames))
    return Counter(r.status_code for r in answers)


# --- concurrent guesses count before the password is checked -------------------------------------


def test_200_concurrent_wrong_passwords_at_one_account_check_at_most_the_limit(app, settings, counting) -> None:
    add_staff(app.state.service, "admin", role="admin")
    limit = settings.console.login.failures_per_account_client

    async def run() -> tuple[Counter[int], int, int]:
        async with client_for(app) as attacker, client_for(app, "192.0.2.99") as officer:
            statuses = await burst(attacker, ["admin"] * BURST)
            after_burst = counting.calls
            still_locked = await attempt(attacker, await login_form(attacker), "admin", "rahasia-123")
            elsewhere = await attempt(officer, await login_form(officer), "admin", "rahasia-123")
            return statuses, after_burst, (still_locked.status_code, elsewhere.status_code)

    statuses, verified, (locked, elsewhere) = asyncio.run(run())
    assert verified <= limit
    assert statuses == Counter({401: limit, 429: BURST - limit})
    assert locked == 429  # that client waits, even with the right password
    assert elsewhere == 303  # the real admin on another address is not locked out


def test_200_concurrent_guesses_with_invented_usernames_check_at_most_the_client_limit(app, settings,
                                                                                       counting) -> None:
    add_staff(app.state.service, "admin", role="admin")
    limit = settings.console.login.failures_per_client

    async def run() -> tuple[Counter[int], int]:
        async with client_for(app) as attacker, client_for(app, "192.0.2.99") as officer:
            statuses = await burst(attacker, [f"pengguna{i}" for i in range(BURST)])
            admin = await attempt(officer, await login_form(officer), "admin", "rahasia-123")
            return statuses, admin.status_code

    statuses, admin = asyncio.run(run())
    assert counting.calls - 1 <= limit  # the admin's own sign-in is the one more
    assert statuses[401] <= limit and statuses[401] + statuses[429] == BURST
    assert admin == 303


# --- Argon2 on its own bounded pool --------------------------------------------------------------


def test_password_checks_run_on_the_own_small_pool_and_the_web_chat_still_answers(app, settings,
                                                                                    monkeypatch) -> None:
    hold = threading.Event()
    fake = CountingVerify(hold)
    monkeypatch.setattr(passwords, "verify_password", fake)
    workers = settings.console.login.hash_workers

    async def run() -> tuple[int, Counter[int]]:
        async with client_for(app) as attacker, client_for(app, "198.51.100.4") as person:
            token = await login_form(attacker)
            guesses = [asyncio.create_task(attempt(attacker, token, f"pengguna{i}", "salah-sekali"))
                       for i in range(25)]
            pool = app.state.password_pool
            capacity = workers + settings.console.login.hash_queue
            for _ in range(1000):  # every Argon2 thread held, its queue full, the rest refused
                if pool._pending == capacity and sum(t.done() for t in guesses) == 25 - capacity:
                    break
                await asyncio.sleep(0.01)
            chat = await asyncio.wait_for(person.post("/try/api/messages", json={"text": "halo"}), 10)
            hold.set()
            answers = await asyncio.gather(*guesses)
            return chat.status_code, Counter(r.status_code for r in answers)

    chat, statuses = asyncio.run(run())
    assert chat == 200  # answered while every password thread was busy
    assert fake.most_at_once == workers
    assert set(fake.threads) == {"argon2"}  # never the thread pool that serves the chat
    # beyond the pool and its queue, sign-ins are told to come back (and are not counted as failures)
    assert fake.calls == min(25, workers + settings.console.login.hash_queue)
    assert statuses[429] == 25 - fake.calls


def test_a_full_pool_still_takes_the_officer_from_an_address_they_signed_in_from(app, settings,
                                                                                   monkeypatch) -> None:
    add_staff(app.state.service, "ani")
    hold = threading.Event()
    capacity = settings.console.login.hash_workers + settings.console.login.hash_queue

    async def run() -> tuple[int, int]:
        async with client_for(app, "192.0.2.50") as office:
            assert (await attempt(office, await login_form(office), "ani", "rahasia-123")).status_code == 303
        monkeypatch.setattr(passwords, "verify_password", CountingVerify(hold))
        async with client_for(app) as attacker, client_for(app, "192.0.2.50") as office, \
                client_for(app, "198.51.100.9") as stranger:
            token = await login_form(attacker)
            office_token, stranger_token = await login_form(office), await login_form(stranger)
            guesses = [asyncio.create_task(attempt(attacker, token, f"pengguna{i}", "salah-sekali"))
                       for i in range(25)]
            for _ in range(1000):  # the pool and its queue are full, the other guesses refused
                if sum(t.done() for t in guesses) == 25 - capacity:
                    break
                await asyncio.sleep(0.01)
            refused = await attempt(stranger, stranger_token, "ani", "rahasia-123")
            officer = asyncio.create_task(attempt(office, office_token, "ani", "rahasia-123"))
            await asyncio.sleep(0.05)
            hold.set()
            await asyncio.gather(*guesses)
            return refused.status_code, (await officer).status_code

    assert asyncio.run(run()) == (429, 303)


def test_a_full_pool_does_not_count_against_the_client() -> None:
    guard = LoginGuard(failures_per_account_client=2)
    first = guard.reserve("ani", "192.0.2.1", now=0)
    guard.cancel(first)  # the pool was full: the password was never checked
    guard.reserve("ani", "192.0.2.1", now=1)
    guard.reserve("ani", "192.0.2.1", now=2)
    with pytest.raises(LoginThrottled):
        guard.reserve("ani", "192.0.2.1", now=3)


def test_the_pool_refuses_beyond_its_queue() -> None:
    hold = threading.Event()
    pool = passwords.PasswordPool(workers=1, queue=1)

    async def run() -> list[object]:
        slow = [asyncio.get_running_loop().create_task(pool.run(hold.wait, 5)) for _ in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(PasswordPoolBusy):
            await pool.verify("x", None)
        hold.set()
        return list(await asyncio.gather(*slow))

    try:
        assert asyncio.run(run()) == [True, True]
    finally:
        pool.shutdown()


# --- progressive delays per account, not a global lock -------------------------------------------


def test_failures_at_one_account_from_many_addresses_bring_growing_delays_not_a_lock() -> None:
    guard = LoginGuard(free_failures_per_account=3, max_delay_seconds=8)
    for i in range(3):
        guard.reserve("admin", f"203.0.113.{i}", now=100)
    waits = []
    now = 100.0
    for i in range(6):
        with pytest.raises(LoginThrottled) as refused:
            guard.reserve("admin", f"198.51.100.{i}", now=now)
        waits.append(refused.value.retry_after)
        now += refused.value.retry_after
        guard.reserve("admin", f"198.51.100.{i}", now=now)  # after the delay the next try goes ahead
    assert waits == [1, 2, 4, 8, 8, 8]


def test_a_client_that_signed_in_before_is_not_delayed_by_strangers_guesses() -> None:
    guard = LoginGuard(free_failures_per_account=3, failures_per_client=3)
    guard.succeeded(guard.reserve("admin", "192.0.2.50", now=0))  # the admin's office
    for i in range(10):
        try:
            guard.reserve("admin", f"203.0.113.{i}", now=10)
        except LoginThrottled:
            pass
    with pytest.raises(LoginThrottled):
        guard.reserve("admin", "198.51.100.1", now=10)  # a new address waits
    guard.reserve("admin", "192.0.2.50", now=10)  # the office does not


def test_invented_usernames_lock_only_their_own_client() -> None:
    guard = LoginGuard(failures_per_client=30, failures_per_account_client=5, free_failures_per_account=5)
    for i in range(30):
        guard.reserve(f"palsu{i}", "203.0.113.9", now=0)
    with pytest.raises(LoginThrottled):
        guard.reserve("admin", "203.0.113.9", now=1)
    guard.reserve("admin", "192.0.2.50", now=1)  # the real admin, elsewhere


def test_the_limits_end_after_the_window() -> None:
    guard = LoginGuard(failures_per_account_client=1)
    guard.reserve("ani", "192.0.2.1", now=0)
    with pytest.raises(LoginThrottled) as refused:
        guard.reserve("ani", "192.0.2.1", now=60)
    assert refused.value.retry_after == LOGIN_WINDOW_SECONDS - 60
    guard.reserve("ani", "192.0.2.1", now=LOGIN_WINDOW_SECONDS + 1)
