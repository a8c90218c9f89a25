"""The console's second factor (issue 15, point 7): TOTP after the password, mandatory for supervisors
and admins, recovery codes that work once, limits on the code step, and a reset from the CLI."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.cli.main import main
from storage import officers
from storage.db import read_session
from tests.bot.console_util import add_staff, csrf_of, login

CONFIG = str(Path(__file__).resolve().parents[2] / "config.yaml")


@pytest.fixture
def client(settings, service):  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings, service)) as c:
        yield c


def password_step(client, username: str, password: str = "rahasia-123"):  # type: ignore[no-untyped-def]
    form = client.get("/console/login")
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_of(form.text)}, follow_redirects=False)


def code_step(client, code: str):  # type: ignore[no-untyped-def]
    page = client.get("/console/login/kode")
    return client.post("/console/login/kode", data={"code": code, "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/console", follow_redirects=False).status_code == 200


def secret_of(service, username: str) -> str:  # type: ignore[no-untyped-def]
    with read_session(service.db) as s:
        officer = officers.by_username(s, username)
        assert officer is not None and officer.totp_secret
        return officer.totp_secret


def enrol_through_login(client, username: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Password, then the enrolment page: read the key off the page, answer with its code; the recovery codes."""
    r = password_step(client, username)
    assert r.status_code == 303 and r.headers["location"] == "/console/login/daftar-2fa"
    page = client.get("/console/login/daftar-2fa").text
    assert "<svg" in page and "<path" in page  # the QR code is drawn here, not fetched from elsewhere
    shown = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert shown
    code = pyotp.TOTP(shown.group(1).replace(" ", "")).now()
    r = client.post("/console/login/daftar-2fa", data={"code": code, "csrf_token": csrf_of(page)},
                    follow_redirects=False)
    assert r.status_code == 200, r.text
    return re.findall(r"<li><code>([a-z2-7-]+)</code></li>", r.text)


def a_wrong_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    now = dt.datetime.now(dt.UTC)
    right = {totp.at(now + dt.timedelta(seconds=30 * k)) for k in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(0, 999_999, 7919)) if c not in right)


def test_a_supervisor_without_totp_is_sent_to_enrolment_and_has_no_session_until_done(client) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor", totp=False)
    r = password_step(client, "kepala")
    assert r.status_code == 303 and r.headers["location"] == "/console/login/daftar-2fa"
    assert not signed_in(client)  # the password alone opens nothing
    codes = enrol_through_login(client, "kepala")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(client)
    # from now on the password is followed by the code step
    with TestClient(client.app) as other:
        r = password_step(other, "kepala")
        assert r.headers["location"] == "/console/login/kode" and not signed_in(other)


def test_a_wrong_code_is_refused_and_a_right_one_works_only_once(client) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    secret = secret_of(service, "kepala")
    assert password_step(client, "kepala").headers["location"] == "/console/login/kode"
    r = code_step(client, a_wrong_code(secret))
    assert r.status_code == 401 and not signed_in(client)
    code = pyotp.TOTP(secret).now()
    r = code_step(client, code)
    assert r.status_code == 303 and signed_in(client)
    with TestClient(client.app) as thief:  # saw the code over the shoulder, knows the password
        password_step(thief, "kepala")
        assert code_step(thief, code).status_code == 401 and not signed_in(thief)


def test_a_recovery_code_works_once(client) -> None:
    service = client.app.state.service
    add_staff(service, "root", role="admin", totp=False)
    codes = enrol_through_login(client, "root")
    with TestClient(client.app) as phone_lost:
        password_step(phone_lost, "root")
        r = code_step(phone_lost, codes[3].upper().replace("-", " "))  # typed loosely
        assert r.status_code == 303 and signed_in(phone_lost)
    with TestClient(client.app) as again:
        password_step(again, "root")
        assert code_step(again, codes[3]).status_code == 401 and not signed_in(again)
        assert code_step(again, codes[4]).status_code == 303 and signed_in(again)


def test_the_code_step_is_limited_like_the_password_step(client) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    secret = secret_of(service, "kepala")
    password_step(client, "kepala")
    limit = client.app.state.settings.console.login.failures_per_account_client
    statuses = [code_step(client, a_wrong_code(secret)).status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429
    # even the right code waits now: guessing cannot be outrun
    assert code_step(client, pyotp.TOTP(secret).now()).status_code == 429 and not signed_in(client)


def test_the_code_step_needs_the_password_step_first(client) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    r = client.get("/console/login/kode", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    client.cookies.set("mc_login_2fa", "made-up-token", path="/console")
    page = client.get("/console/login")
    r = client.post("/console/login/kode", data={"code": pyotp.TOTP(secret_of(service, "kepala")).now(),
                                                 "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.headers["location"] == "/console/login" and not signed_in(client)


def test_an_officer_may_turn_totp_on_and_is_then_asked_for_the_code(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    token = login(client, "ani")  # officers sign in with the password alone until they turn it on
    client.post("/console/akun/2fa/mulai", data={"csrf_token": token})
    page = client.get("/console/akun/2fa").text
    secret = secret_of(service, "ani")
    r = client.post("/console/akun/2fa/konfirmasi", data={"csrf_token": token, "code": a_wrong_code(secret)})
    assert r.status_code == 400
    r = client.post("/console/akun/2fa/konfirmasi", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200 and len(re.findall(r"<li><code>", r.text)) == 10
    assert 'id="totp-qr"' in page
    with TestClient(client.app) as other:
        assert password_step(other, "ani").headers["location"] == "/console/login/kode"


def test_cli_reset_ends_sessions_and_sends_the_supervisor_back_to_enrolment(client, settings, monkeypatch,
                                                                             capsys) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    login(client, "kepala")
    assert signed_in(client)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["--config", CONFIG, "officers", "reset-2fa", "kepala"]) == 0
    assert "kepala" in capsys.readouterr().out
    assert not signed_in(client)
    with read_session(service.db) as s:
        officer = officers.by_username(s, "kepala")
        assert officer is not None and officer.totp_secret is None and officer.totp_enabled_at is None
    assert password_step(client, "kepala").headers["location"] == "/console/login/daftar-2fa"
    assert main(["--config", CONFIG, "officers", "reset-2fa", "nobody"]) == 1


def test_an_admin_resets_a_lost_second_factor_and_an_officer_may_not(client) -> None:
    service = client.app.state.service
    kepala_id = add_staff(service, "kepala", role="supervisor")
    add_staff(service, "ani")
    add_staff(service, "root", role="admin")
    with TestClient(client.app) as kepala:
        login(kepala, "kepala")
        with TestClient(client.app) as ani:
            token = login(ani, "ani")
            assert ani.post(f"/console/officers/{kepala_id}/2fa/reset", data={"csrf_token": token}).status_code == 403
        assert signed_in(kepala)
        token = login(client, "root")
        assert f'action="/console/officers/{kepala_id}/2fa/reset"' in client.get("/console/officers").text
        r = client.post(f"/console/officers/{kepala_id}/2fa/reset", data={"csrf_token": token},
                        follow_redirects=False)
        assert r.status_code == 303
        assert not signed_in(kepala)  # the lost phone's sessions end with it
        assert password_step(kepala, "kepala").headers["location"] == "/console/login/daftar-2fa"
