"""Helpers for the staff console tests: accounts made in the database, login through the form."""

from __future__ import annotations

import datetime as dt
import re

import pyotp

from bot.web.passwords import hash_password
from storage import officer_totp, officers
from storage.db import unit_of_work

CSRF_RX = re.compile(r'name="csrf_token" value="([^"]+)"')
LOCKED_IN = "tolong saya dikunci di rumah majikan dan paspor saya diambil"


def add_staff(service, username: str, password: str = "rahasia-123",  # type: ignore[no-untyped-def]
              role: str = "officer", totp: bool | None = None) -> int:
    """An account; supervisors and admins (or `totp=True`) come with a second factor enrolled,
    since the console requires one of them (`login` and tests/browser.py pass its code)."""
    with unit_of_work(service.db) as s:
        officer_id: int = officers.add_officer(s, username=username, password_hash=hash_password(password), role=role,
                                               display_name=username.title()).id  # type: ignore[assignment]
        if totp if totp is not None else role in ("supervisor", "admin"):
            officer_totp.start_enrolment(s, officer_id=officer_id, secret=pyotp.random_base32())
            officer_totp.confirm_enrolment(s, officer_id=officer_id, step=0, code_hashes=[])
    return officer_id


def totp_code(service, username: str) -> str:  # type: ignore[no-untyped-def]
    """A code the console accepts now for `username`: the current time step, or the next one when
    this one was used already (tests sign in more often than every 30 s; a code works once)."""
    with unit_of_work(service.db) as s:
        officer = officers.by_username(s, username)
        assert officer is not None and officer.totp_secret, f"{username} has no second factor"
        otp = pyotp.TOTP(officer.totp_secret)
        now = otp.timecode(dt.datetime.now(dt.UTC))
        last = officer.totp_last_step or 0
        step = next((c for c in (now - 1, now, now + 1) if c > last), None)
        if step is None:  # three sign-ins of one account within 30 s: let the test go on with this step
            officer.totp_last_step, step = now - 1, now
        return otp.generate_otp(step)


def csrf_of(html: str) -> str:
    match = CSRF_RX.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client, username: str, password: str = "rahasia-123") -> str:  # type: ignore[no-untyped-def]
    """Sign in through the login form; return the session's CSRF token."""
    form = client.get("/console/login")
    r = client.post("/console/login", data={"username": username, "password": password,
                                            "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if r.headers["location"] == "/console/login/kode":  # the account has a second factor
        page = client.get("/console/login/kode")
        r = client.post("/console/login/kode", data={"code": totp_code(client.app.state.service, username),
                                                     "csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert r.status_code == 303, r.text
    return csrf_of(client.get("/console").text)


def web_report(client, text: str = LOCKED_IN, session: str = "sess-report01") -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/try/api/messages", json={"session": session, "text": text})
    assert r.status_code == 200
    return r.json()


def first_case(client) -> dict:  # type: ignore[no-untyped-def]
    cases = client.get("/console/queue.json").json()["cases"]
    assert cases, "the queue is empty"
    return cases[0]
