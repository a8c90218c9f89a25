"""Behind the reverse proxy: client addresses from X-Forwarded-For only when the peer is trusted.

The app is wrapped exactly as `helpdesk serve` has uvicorn do it: uvicorn.Config with the options
from bot/web/server.py, loaded (that adds uvicorn's ProxyHeadersMiddleware); requests then arrive
from the proxy's address with the client's in X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
import uvicorn

from bot.web import auth_limits, passwords
from bot.web.app import create_app
from bot.web.server import uvicorn_options
from bot.settings import ConfigError, load_settings
from bot.settings_sections import WebSettings
from tests.bot.console_util import add_staff, csrf_of
from tests.conftest import ROOT

PROXY = "127.0.0.1"  # nginx on the same machine, as the README deploys it


def served(settings, service):  # type: ignore[no-untyped-def]
    """The ASGI app as uvicorn runs it with our options."""
    config = uvicorn.Config(create_app(settings, service), log_config=None, **uvicorn_options(settings))
    config.load()
    return config.loaded_app


def with_proxies(settings, *proxies: str):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"web": settings.web.model_copy(update={"trusted_proxies": proxies})})


class Proxy:
    """Requests as the reverse proxy forwards them: from its address, naming the client."""

    def __init__(self, app, peer: str = PROXY) -> None:  # type: ignore[no-untyped-def]
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(peer, 51000)),
                                      base_url="http://testserver")
        self.token = ""

    async def form(self) -> None:
        """The login form's CSRF token and cookie (the proxy shares them; only addresses differ here)."""
        self.token = csrf_of((await self.http.get("/console/login")).text)

    async def login(self, client_ip: str, username: str, password: str) -> int:
        if not self.token:
            await self.form()
        r = await self.http.post("/console/login", headers={"X-Forwarded-For": client_ip},
                                 data={"username": username, "password": password, "csrf_token": self.token})
        if r.status_code == 303:  # signed in: the next request is someone else's
            self.http.cookies.clear()
            self.token = ""
        return r.status_code


def test_serve_runs_uvicorn_with_proxy_headers_from_the_trusted_list(settings) -> None:
    options = uvicorn_options(with_proxies(settings, "10.0.0.0/24", "::1"))
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.0/24", "::1"]


def test_one_clients_failures_behind_the_proxy_do_not_lock_another_client_out(settings, service) -> None:
    add_staff(service, "ani")
    proxy = Proxy(served(settings, service))

    async def run() -> tuple[list[int], int, int]:
        attacker = [await proxy.login("203.0.113.7", "ani", "salah") for _ in range(6)]
        # and 40 invented usernames from the same client: its own per-client limit, nobody else's
        for i in range(40):
            await proxy.login("203.0.113.7", f"palsu{i}", "salah")
        officer = await proxy.login("198.51.100.23", "ani", "rahasia-123")
        attacker_again = await proxy.login("203.0.113.7", "ani", "rahasia-123")
        return attacker, officer, attacker_again

    attacker, officer, attacker_again = asyncio.run(run())
    assert attacker == [401] * 5 + [429]
    assert officer == 303
    assert attacker_again == 429


def test_an_untrusted_peers_forwarded_header_is_ignored(settings, service) -> None:
    add_staff(service, "ani")
    app = served(with_proxies(settings, "10.9.9.9"), service)  # the peer below is not this proxy
    proxy = Proxy(app, peer="192.0.2.200")

    async def run() -> list[int]:
        # an attacker inventing a new address for every guess is still one client: the peer
        return [await proxy.login(f"203.0.113.{i}", "ani", "salah") for i in range(6)]

    assert asyncio.run(run()) == [401] * 5 + [429]


def test_the_forwarded_address_is_what_the_app_sees(settings, service) -> None:
    """/metrics answers loopback peers only (no token set): through the trusted proxy the peer is
    the forwarded client, so a request from outside is refused although it arrives from 127.0.0.1."""

    async def get(app, headers: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(PROXY, 51000)),
                                     base_url="http://testserver") as http:
            return (await http.get("/metrics", headers=headers)).status_code

    trusted = served(settings, service)
    assert asyncio.run(get(trusted, {})) == 200  # a scrape on this machine
    assert asyncio.run(get(trusted, {"X-Forwarded-For": "203.0.113.7"})) == 403


def test_200_guesses_at_one_account_from_200_addresses_check_at_most_the_account_limit(settings, service,
                                                                                      monkeypatch) -> None:
    calls = Counter[str]()
    real = passwords.verify_password

    def counting(password: str, password_hash: str) -> bool:
        calls["verify"] += 1
        return real(password, password_hash)

    class Frozen:  # the first delay is 1 s: a slow machine must not see it pass during the burst
        @staticmethod
        def time() -> float:
            return 1_800_000_000.0

    monkeypatch.setattr(auth_limits, "time", Frozen)
    add_staff(service, "admin", role="admin")
    proxy = Proxy(served(settings, service))
    limit = settings.console.login.free_failures_per_account

    async def run() -> tuple[Counter[int], int, int]:
        assert await proxy.login("192.0.2.50", "admin", "rahasia-123") == 303  # the admin's office, earlier
        monkeypatch.setattr(passwords, "verify_password", counting)
        await proxy.form()
        statuses = Counter(await asyncio.gather(*(proxy.login(f"10.1.{i // 250}.{i % 250}", "admin", "salah")
                                                  for i in range(200))))
        office = await proxy.login("192.0.2.50", "admin", "rahasia-123")
        newcomer = await proxy.login("198.51.100.77", "admin", "rahasia-123")
        return statuses, office, newcomer

    statuses, office, newcomer = asyncio.run(run())
    assert calls["verify"] - 1 <= limit  # the office's sign-in after the burst is the one more
    assert statuses == Counter({401: limit, 429: 200 - limit})
    assert office == 303  # a delay for strangers, not a lock for the admin
    assert newcomer == 429  # a new address waits its turn


@pytest.mark.parametrize("value", ["*", "proxy.example.org", "10.0.0.0/33"])
def test_trusted_proxies_must_be_addresses_or_networks(value) -> None:
    with pytest.raises(ValueError):
        WebSettings(trusted_proxies=(value,))


def test_a_bad_trusted_proxy_in_config_names_the_key(tmp_path) -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "config.yaml"
    bad.write_text(text.replace('trusted_proxies: ["127.0.0.1", "::1"]', 'trusted_proxies: ["*"]'), encoding="utf-8")
    with pytest.raises(ConfigError, match="web.trusted_proxies"):
        load_settings(bad, env={})
    assert WebSettings(trusted_proxies=("10.0.0.5/24",)).trusted_proxies == ("10.0.0.0/24",)
