"""Pages for curators and admins: the unanswered questions, and the console accounts.

    GET  /console/unanswered                    questions the knowledge base could not answer
    GET  /console/officers                      accounts (admins)
    POST /console/officers                      add an account; its first password is shown once
    POST /console/officers/{id}/active          turn an account on or off (off ends its sessions)
    POST /console/officers/{id}/password        a new password, shown once
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web import auth
from bot.web.auth import CsrfChecked, StaffUser
from bot.web.console_pages import RowId, _render, _uow
from bot.web.passwords import hash_password, new_password
from storage import officers, questions, staff_sessions
from storage.errors import OfficerError
from storage.models import Officer

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console")


@router.get("/unanswered", response_class=HTMLResponse)
def unanswered_page(request: Request, staff: StaffUser) -> HTMLResponse:
    with _uow(request) as s:
        rows = questions.newest_unanswered(s)  # read-only list for curators; newest first, bounded
    return _render(request, "unanswered.html", {"staff": staff, "csrf_token": staff.csrf_token, "rows": rows})


def _officers_page(request: Request, staff: auth.Staff, *, shown_password: tuple[str, str] | None = None,
                   error: str = "", status_code: int = 200) -> HTMLResponse:
    with _uow(request) as s:
        people = officers.list_officers(s)
    response = _render(request, "officers.html", {"staff": staff, "csrf_token": staff.csrf_token, "people": people,
                                                  "roles": officers.ROLES, "shown_password": shown_password,
                                                  "error": error}, status_code=status_code)
    return response


@router.get("/officers", response_class=HTMLResponse)
def officers_page(request: Request, staff: auth.Admin) -> HTMLResponse:
    return _officers_page(request, staff)


@router.post("/officers", response_class=HTMLResponse)
def add_officer(request: Request, staff: auth.Admin, _: CsrfChecked, username: Annotated[str, Form(max_length=200)],
                role: Annotated[str, Form(max_length=20)],
                display_name: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    password = new_password()
    try:
        with _uow(request) as s:
            officer = officers.add_officer(s, username=username, password_hash=hash_password(password), role=role,
                                           display_name=display_name.strip())
            created = officer.username
    except OfficerError as exc:
        return _officers_page(request, staff, error=f"Akun tidak dibuat: {exc}", status_code=400)
    log.info("admin added a console account (role %s)", role)
    # shown once in this response, never stored in clear or put in a URL
    return _officers_page(request, staff, shown_password=(created, password))


@router.post("/officers/{officer_id}/active")
def set_officer_active(request: Request, officer_id: RowId, staff: auth.Admin, _: CsrfChecked,
                       active: Annotated[int, Form(ge=0, le=1)]) -> Response:
    if officer_id == staff.officer_id and not active:
        return _officers_page(request, staff, error="Anda tidak bisa menonaktifkan akun Anda sendiri.", status_code=400)
    with _uow(request) as s:
        target = s.get(Officer, officer_id)
        if target is None:
            raise HTTPException(404, "Akun tidak ditemukan.")
        officers.set_active(s, username=target.username, active=bool(active))
        if not active:
            staff_sessions.end_sessions_of(s, officer_id=officer_id)
    return RedirectResponse("/console/officers", status_code=303)


@router.post("/officers/{officer_id}/password", response_class=HTMLResponse)
def reset_password(request: Request, officer_id: RowId, staff: auth.Admin, _: CsrfChecked) -> HTMLResponse:
    password = new_password()
    try:
        with _uow(request) as s:
            username = officers.set_password(s, officer_id=officer_id, password_hash=hash_password(password)).username
    except OfficerError:
        raise HTTPException(404, "Akun tidak ditemukan.") from None
    return _officers_page(request, staff, shown_password=(username, password))
