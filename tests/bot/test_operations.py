"""Running the service: /metrics behind a token, the first admin's password in a 0600 file,
`officers add` with a password policy and no argv password, officers changing their own password,
admins resetting others', and console sessions that end when idle."""

from __future__ import annotations

import datetime as dt
import io
import stat
import sys

import pytest
import time_machine
from fastapi.testclient import TestClient

from bot.web import server
from bot.web.app import create_app
from bot.cli.main import main
from bot.web.passwords import password_problem, verify_password
from bot.settings import ConfigError, load_settings
from bot.settings_secrets import Secrets
from storage import officers
from storage.db import unit_of_work
from tests.bot.console_util import add_staff, csrf_of, login
from tests.conftest import ROOT

TOKEN = "metrics-token-0123456789abcdef"
GOOD = "kopi-tubruk-pagi-di-batam"


@pytest.fixture
def client(settings, service):  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings, service)) as c:
        yield c


def officer_hash(service, username: str) -> str:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return officers.by_username(s, username).password_hash  # type: ignore[union-attr]


def signed_in(client: TestClient) -> bool:
    return client.get("/console", follow_redirects=False).status_code == 200


# --- /metrics ------------------------------------------------------------------------------------


def test_metrics_without_a_token_answer_only_this_machine(settings, service) -> None:
    app = create_app(settings, service)
    assert TestClient(app).get("/metrics").status_code == 403  # any other address
    local = TestClient(app, client=("127.0.0.1", 50000))
    assert "helpdesk_open_cases" in local.get("/metrics").text
    # nginx on this machine forwarding a request from outside is not "this machine"
    assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403


def test_metrics_with_a_token_need_it_as_bearer(settings, service) -> None:
    with_token = settings.model_copy(update={"secrets": Secrets(metrics_token=TOKEN,
                                                                database_url=settings.database_url)})
    app = create_app(with_token, service)
    remote = TestClient(app, client=("203.0.113.7", 50000))
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789abcdef"}, {"Authorization": TOKEN}):
        r = remote.get("/metrics", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "helpdesk_" not in r.text
    assert TestClient(app, client=("127.0.0.1", 50000)).get("/metrics").status_code == 401  # the token rules
    r = remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and "helpdesk_sla_breaches" in r.text


def test_metrics_token_comes_from_the_environment_and_must_be_long() -> None:
    assert load_settings(ROOT / "config.yaml", env={"HELPDESK_METRICS_TOKEN": TOKEN}).secrets.metrics_token == TOKEN
    with pytest.raises(ConfigError, match="HELPDESK_METRICS_TOKEN"):
        load_settings(ROOT / "config.yaml", env={"HELPDESK_METRICS_TOKEN": "geheim"})


# --- the first admin ------------------------------------------------------------------------------


def test_first_admin_password_goes_to_a_0600_file_and_only_its_path_is_printed(settings, service, tmp_path,
                                                                               monkeypatch, capsys) -> None:
    target = tmp_path / "secret" / "first-admin-password.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o644)  # a leftover readable by others is replaced, not reused
    ran: dict = {}
    monkeypatch.setattr(server, "FIRST_PASSWORD_FILE", target)
    monkeypatch.setattr("bot.service.build_service", lambda _settings: service)
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: ran.update(kw))
    assert server.serve(settings, host="127.0.0.1", port=8123) == 0

    password = target.read_text().strip()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert verify_password(password, officer_hash(service, "admin"))
    assert password_problem(password, username="admin") is None
    out = capsys.readouterr()
    assert str(target) in out.out
    assert password not in out.out + out.err
    assert ran["proxy_headers"] is True and ran["forwarded_allow_ips"] == ["127.0.0.1", "::1"]
    # accounts exist now: no second admin, the file is left alone
    assert server.ensure_first_admin(service, target) is None
    assert target.read_text().strip() == password


# --- helpdesk officers add / password -------------------------------------------------------------


def cli(monkeypatch, capsys, settings, argv, stdin: str = ""):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["--config", str(ROOT / "config.yaml"), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("password, reason", [
    ("", "no password"), ("pendek-123", "at least 12"), ("Password2024!", "most common"),
    ("qwertyqwerty", "most common"), ("bismillah12345", "most common"), ("aaaaaaaaaaaaaa", "too simple"),
    ("123456789012", "too simple"), ("dewi-suka-kopi-pagi", "username"),
])
def test_officers_add_refuses_a_weak_password(monkeypatch, capsys, settings, service, password, reason) -> None:
    code, out, err = cli(monkeypatch, capsys, settings, ["officers", "add", "dewi"], stdin=password + "\n")
    assert code == 2 and reason in err
    with unit_of_work(service.db) as s:
        assert officers.by_username(s, "dewi") is None


def test_officers_add_reads_the_password_from_stdin_and_never_prints_it(monkeypatch, capsys, settings,
                                                                         service) -> None:
    code, out, err = cli(monkeypatch, capsys, settings, ["officers", "add", "dewi", "--role", "supervisor"],
                         stdin=GOOD + "\n")
    assert code == 0 and "added supervisor dewi" in out
    assert GOOD not in out + err
    assert verify_password(GOOD, officer_hash(service, "dewi"))


def test_officers_add_takes_no_password_argument(monkeypatch, capsys, settings) -> None:
    with pytest.raises(SystemExit):
        cli(monkeypatch, capsys, settings, ["officers", "add", "dewi", "--password", GOOD])


def test_officers_password_sets_a_new_one_and_ends_the_sessions(monkeypatch, capsys, settings, client) -> None:
    add_staff(client.app.state.service, "ani")
    login(client, "ani")
    code, out, _ = cli(monkeypatch, capsys, settings, ["officers", "password", "ani"], stdin=GOOD + "\n")
    assert code == 0 and GOOD not in out
    assert not signed_in(client)
    login(client, "ani", GOOD)


# --- officers change their own password -----------------------------------------------------------


def change_own(client: TestClient, token: str, current: str, new: str,  # type: ignore[no-untyped-def]
               repeat: str | None = None):
    return client.post("/console/akun/password", follow_redirects=False, data={
        "csrf_token": token, "current_password": current, "new_password": new,
        "repeat_password": new if repeat is None else repeat})


def test_an_officer_changes_their_own_password_and_other_sessions_end(client) -> None:
    add_staff(client.app.state.service, "ani")
    with TestClient(client.app) as phone:
        login(phone, "ani")
        login(client, "ani")
        page = client.get("/console/akun")
        assert page.status_code == 200 and "Ganti kata sandi" in page.text
        r = change_own(client, csrf_of(page.text), "rahasia-123", GOOD)
        assert r.status_code == 303
        assert "Kata sandi sudah diganti" in client.get(r.headers["location"]).text
        assert signed_in(client)  # this browser carries on with a fresh session
        assert not signed_in(phone)  # every other session ended
    client.cookies.clear()
    form = client.get("/console/login")
    old = client.post("/console/login", data={"username": "ani", "password": "rahasia-123",
                                              "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert old.status_code == 401
    login(client, "ani", GOOD)


@pytest.mark.parametrize("current, new, repeat, message", [
    ("salah-sekali-123", GOOD, None, "Kata sandi saat ini salah"),
    ("rahasia-123", "pendek", None, "minimal 12 karakter"),
    ("rahasia-123", "password12345", None, "paling sering dipakai"),
    ("rahasia-123", GOOD, GOOD + "x", "tidak sama"),
])
def test_a_wrong_current_or_weak_new_password_changes_nothing(client, current, new, repeat, message) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    token = login(client, "ani")
    before = officer_hash(service, "ani")
    r = change_own(client, token, current, new, repeat)
    assert r.status_code == 400 and message in r.text
    assert officer_hash(service, "ani") == before
    assert signed_in(client)


def test_changing_the_password_needs_the_csrf_token_and_a_session(client) -> None:
    add_staff(client.app.state.service, "ani")
    login(client, "ani")
    assert change_own(client, "forged", "rahasia-123", GOOD).status_code == 403
    client.cookies.clear()
    assert change_own(client, "forged", "rahasia-123", GOOD).status_code == 401
    assert client.get("/console/akun", follow_redirects=False).status_code == 303


def test_guessing_the_current_password_through_the_form_is_limited(client, settings) -> None:
    add_staff(client.app.state.service, "ani")
    token = login(client, "ani")
    limit = settings.console.login.failures_per_account_client
    codes = [change_own(client, token, f"tebakan-{i}", GOOD).status_code for i in range(limit + 1)]
    assert codes == [400] * limit + [429]


# --- admins reset others' passwords ---------------------------------------------------------------


def test_an_admin_reset_ends_the_officers_sessions(client) -> None:
    service = client.app.state.service
    add_staff(service, "root", role="admin")
    ani = add_staff(service, "ani")
    with TestClient(client.app) as phone:
        login(phone, "ani")
        token = login(client, "root")
        r = client.post(f"/console/officers/{ani}/password", data={"csrf_token": token})
        assert r.status_code == 200
        new = r.text.split('class="password">')[1].split("<")[0]
        assert password_problem(new, username="ani") is None
        assert not signed_in(phone)
        login(phone, "ani", new)
    assert signed_in(client)  # the admin's own session stays


# --- idle timeout ---------------------------------------------------------------------------------


def test_a_console_session_ends_after_the_idle_timeout(client, settings) -> None:
    add_staff(client.app.state.service, "ani")
    idle = settings.console.idle_minutes
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        login(client, "ani")
        clock.move_to(start + dt.timedelta(minutes=idle - 5))
        assert signed_in(client)  # working: the deadline moves on
        clock.move_to(start + dt.timedelta(minutes=2 * idle - 10))
        assert signed_in(client)
        # the queue's automatic refresh alone does not keep the session alive
        clock.move_to(start + dt.timedelta(minutes=2 * idle - 5))
        assert client.get("/console/queue/rows", headers={"X-Requested-With": "fetch"}).status_code == 200
        clock.move_to(start + dt.timedelta(minutes=3 * idle - 9))
        r = client.get("/console/queue/rows", headers={"X-Requested-With": "fetch"})
        assert r.status_code == 401
        assert client.get("/console", follow_redirects=False).headers["location"].startswith("/console/login")


def test_a_console_session_never_outlives_a_shift(client, settings) -> None:
    add_staff(client.app.state.service, "ani")
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        login(client, "ani")
        for minutes in range(30, 12 * 60, 30):  # busy all day
            clock.move_to(start + dt.timedelta(minutes=minutes))
            assert signed_in(client)
        clock.move_to(start + dt.timedelta(hours=12, minutes=1))
        assert not signed_in(client)
