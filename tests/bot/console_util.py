"""Helpers for the staff console tests: accounts made in the database, login through the form."""

from __future__ import annotations

import re

from bot.passwords import hash_password
from storage import officers
from storage.db import unit_of_work

CSRF_RX = re.compile(r'name="csrf_token" value="([^"]+)"')
LOCKED_IN = "tolong saya dikunci di rumah majikan dan paspor saya diambil"


def add_staff(service, username: str, password: str = "rahasia-123",  # type: ignore[no-untyped-def]
              role: str = "officer") -> int:
    with unit_of_work(service.db) as s:
        return officers.add_officer(s, username=username, password_hash=hash_password(password), role=role,
                                    display_name=username.title()).id  # type: ignore[return-value]


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
    return csrf_of(client.get("/console").text)


def web_report(client, text: str = LOCKED_IN, session: str = "sess-report01") -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/try/api/messages", json={"session": session, "text": text})
    assert r.status_code == 200
    return r.json()


def first_case(client) -> dict:  # type: ignore[no-untyped-def]
    cases = client.get("/console/queue.json").json()["cases"]
    assert cases, "the queue is empty"
    return cases[0]
