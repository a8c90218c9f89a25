"""Who may reach what in the staff console: login, roles, CSRF, throttling, escaping."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.web.app import create_app
from bot.settings_secrets import Secrets
from storage import case_queue, cases
from storage.db import unit_of_work
from storage.models import StaffSession
from tests.bot.console_util import LOCKED_IN, add_staff, csrf_of, first_case, login, web_report


@pytest.fixture
def client(settings, service):
    with TestClient(create_app(settings, service)) as c:
        yield c


@pytest.fixture
def case_id(client) -> int:
    web_report(client)
    with unit_of_work(client.app.state.service.db) as s:
        return case_queue.queue(s)[0].id


def case_status(client, case_id: int) -> tuple[str, int | None]:
    with unit_of_work(client.app.state.service.db) as s:
        case = cases.get_case(s, case_id=case_id)
        return case.status, case.assignee_id


# --- no login, no console ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/console", "/console/cases/1", "/console/unanswered", "/console/officers",
                                  "/console?semua=1"])
def test_pages_send_a_visitor_to_the_login_form(client, path) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login?next=/console")


@pytest.mark.parametrize("path", ["/console/queue/rows", "/console/queue.json"])
def test_scripted_reads_answer_401_without_login(client, path) -> None:
    assert client.get(path, follow_redirects=False).status_code == 401


@pytest.mark.parametrize("path", ["/console/cases/1/claim", "/console/cases/1/reply", "/console/cases/1/assign",
                                  "/console/cases/1/resolve", "/console/officers", "/console/logout"])
def test_actions_are_refused_without_login(client, case_id, path) -> None:
    r = client.post(path, data={"csrf_token": "x", "text": "halo", "officer_id": "1"}, follow_redirects=False)
    assert r.status_code == 401
    assert case_status(client, case_id) == ("new", None)


def test_a_stale_or_made_up_session_cookie_is_not_a_login(client) -> None:
    client.cookies.set("mc_console", "made-up-token", path="/console")
    assert client.get("/console", follow_redirects=False).status_code == 303


# --- roles ---------------------------------------------------------------------------------------


def test_an_officer_cannot_reach_the_admin_pages(client) -> None:
    add_staff(client.app.state.service, "ani")
    token = login(client, "ani")
    assert client.get("/console/officers").status_code == 403
    r = client.post("/console/officers", data={"csrf_token": token, "username": "mallory", "role": "admin"})
    assert r.status_code == 403
    assert "Akun petugas" not in client.get("/console").text  # not even offered in the menu


def test_an_officer_cannot_assign_or_reassign(client, case_id) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    budi = add_staff(service, "budi")
    token = login(client, "ani")
    r = client.post(f"/console/cases/{case_id}/assign", data={"csrf_token": token, "officer_id": budi},
                    follow_redirects=False)
    assert r.status_code == 403
    assert case_status(client, case_id) == ("new", None)


def test_a_supervisor_assigns(client, case_id) -> None:
    service = client.app.state.service
    add_staff(service, "sri", role="supervisor")
    budi = add_staff(service, "budi")
    token = login(client, "sri")
    r = client.post(f"/console/cases/{case_id}/assign", data={"csrf_token": token, "officer_id": budi},
                    follow_redirects=False)
    assert r.status_code == 303
    assert case_status(client, case_id) == ("claimed", budi)


def test_an_admin_adds_an_officer_who_can_then_sign_in(client) -> None:
    service = client.app.state.service
    add_staff(service, "root", role="admin")
    token = login(client, "root")
    r = client.post("/console/officers", data={"csrf_token": token, "username": "dewi", "role": "officer",
                                               "display_name": "Dewi"})
    assert r.status_code == 200
    password = r.text.split('class="password">')[1].split("<")[0]
    client.cookies.clear()
    login(client, "dewi", password)


def test_a_disabled_officer_is_signed_out(client) -> None:
    service = client.app.state.service
    add_staff(service, "root", role="admin")
    ani = add_staff(service, "ani")
    with TestClient(client.app) as other:
        login(other, "ani")
        assert other.get("/console", follow_redirects=False).status_code == 200
        token = login(client, "root")
        r = client.post(f"/console/officers/{ani}/active", data={"csrf_token": token, "active": "0"},
                        follow_redirects=False)
        assert r.status_code == 303
        assert other.get("/console", follow_redirects=False).status_code == 303


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token-forged-token-forged-token-123"])
def test_a_post_without_the_sessions_csrf_token_is_403(client, case_id, token) -> None:
    add_staff(client.app.state.service, "ani")
    login(client, "ani")
    data = {} if token is None else {"csrf_token": token}
    r = client.post(f"/console/cases/{case_id}/claim", data=data, follow_redirects=False)
    assert r.status_code == 403
    assert case_status(client, case_id) == ("new", None)


def test_another_sessions_token_does_not_work(client, case_id) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    with TestClient(client.app) as other:
        budi_token = login(other, "budi")
    login(client, "ani")
    r = client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": budi_token}, follow_redirects=False)
    assert r.status_code == 403


def test_a_cross_site_origin_is_refused_even_with_the_token(client, case_id) -> None:
    add_staff(client.app.state.service, "ani")
    token = login(client, "ani")
    r = client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token},
                    headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert case_status(client, case_id)[0] == "claimed"


def test_the_login_form_needs_its_csrf_token(client) -> None:
    add_staff(client.app.state.service, "ani")
    client.get("/console/login")
    r = client.post("/console/login", data={"username": "ani", "password": "rahasia-123"}, follow_redirects=False)
    assert r.status_code == 403
    assert "mc_console" not in r.cookies


def test_logout_needs_the_token_and_ends_the_session(client) -> None:
    add_staff(client.app.state.service, "ani")
    token = login(client, "ani")
    assert client.post("/console/logout", data={}, follow_redirects=False).status_code == 403
    r = client.post("/console/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/console", follow_redirects=False).status_code == 303
    with unit_of_work(client.app.state.service.db) as s:
        assert s.exec(select(StaffSession)).all() == []


# --- session cookie ------------------------------------------------------------------------------


def test_session_cookie_is_httponly_lax_and_holds_no_database_id(client) -> None:
    add_staff(client.app.state.service, "ani")
    form = client.get("/console/login")
    r = client.post("/console/login", data={"username": "ani", "password": "rahasia-123",
                                            "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("mc_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http on a laptop: a Secure cookie would never come back
    token = cookie.split(";")[0].split("=", 1)[1]
    with unit_of_work(client.app.state.service.db) as s:
        assert s.get(StaffSession, token) is None  # only its hash is stored


def test_session_cookie_is_secure_behind_https(settings, service) -> None:
    https = settings.model_copy(update={"secrets": Secrets(public_url="https://helpdesk.example.org")})
    add_staff(service, "ani")
    with TestClient(create_app(https, service), base_url="https://testserver") as c:
        form = c.get("/console/login")
        r = c.post("/console/login", data={"username": "ani", "password": "rahasia-123",
                                           "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("mc_console="))
    assert "Secure" in cookie


# --- throttling ----------------------------------------------------------------------------------


def test_five_failed_logins_lock_that_username_from_that_address(client) -> None:
    add_staff(client.app.state.service, "ani")
    add_staff(client.app.state.service, "budi")
    form = client.get("/console/login")
    token = csrf_of(form.text)

    def attempt(username: str, password: str):  # type: ignore[no-untyped-def]
        return client.post("/console/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)

    for _ in range(5):
        assert attempt("ani", "salah").status_code == 401
    locked = attempt("ani", "rahasia-123")  # even the right password waits
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in locked.text
    assert int(locked.headers["retry-after"]) > 0
    assert attempt("budi", "rahasia-123").status_code == 303  # another account is not locked out


def test_unknown_usernames_fail_like_wrong_passwords(client) -> None:
    form = client.get("/console/login")
    r = client.post("/console/login", data={"username": "tidakada", "password": "x", "csrf_token": csrf_of(form.text)})
    assert r.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in r.text


# --- escaping ------------------------------------------------------------------------------------


def test_a_transcript_with_a_script_tag_is_shown_as_text(client) -> None:
    add_staff(client.app.state.service, "ani")
    web_report(client, text=f"<script>alert(1)</script> {LOCKED_IN}")
    web_report(client, text="<script>alert(1)</script><img src=x onerror=alert(2)>")
    login(client, "ani")
    queue_page = client.get("/console").text
    case = first_case(client)
    page = client.get(f"/console/cases/{case['id']}").text
    for html in (queue_page, page):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert" not in html
    assert "<img src=x" not in page
    # and no inline script could run anyway
    assert "script-src 'self'" in client.get(f"/console/cases/{case['id']}").headers["content-security-policy"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/try", "/console\\@evil"])
def test_login_never_redirects_off_the_console(client, target) -> None:
    add_staff(client.app.state.service, "ani")
    form = client.get("/console/login", params={"next": target})
    r = client.post("/console/login", data={"username": "ani", "password": "rahasia-123", "next": target,
                                            "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console"


def test_an_unknown_case_is_404(client) -> None:
    add_staff(client.app.state.service, "ani")
    login(client, "ani")
    assert client.get("/console/cases/999999").status_code == 404


def test_console_pages_carry_the_security_headers_and_other_pages_do_not(client) -> None:
    for path in ("/console/login", "/console/cases/1"):
        r = client.get(path, follow_redirects=False)
        assert r.headers["cache-control"] == "no-store", path
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers.get_list("cache-control") == ["no-store"]  # replaced, not added beside another value
    assert "x-frame-options" not in client.get("/healthz").headers
