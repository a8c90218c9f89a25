"""An officer's own second factor on /console/akun/2fa, and an admin's reset of another's (issue 15).

    GET  /console/akun/2fa                       state of the factor; the enrolment form while one is started
    POST /console/akun/2fa/mulai                 start enrolment (a new secret)
    POST /console/akun/2fa/konfirmasi            the first code turns it on; recovery codes shown once
    POST /console/akun/2fa/kode-pemulihan        new recovery codes, for a current code
    POST /console/officers/{id}/2fa/reset        an admin resets a lost factor: it ends every session

Codes are checked with the login's code-step limits (`app.state.code_guard`, bot/web/console_totp.py).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web import auth, totp
from bot.web.auth import CsrfChecked, StaffUser
from bot.web.auth_limits import LoginGuard
from bot.web.console_totp import WRONG_CODE, _confirm, _db, _enrol_context, _ensure_secret, _render
from bot.web.errors import LoginRequired, LoginThrottled
from storage import officer_totp
from storage.db import read_session, unit_of_work
from storage.models import Officer

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console")


def _own(request: Request, staff: auth.Staff) -> tuple[Officer, int]:
    with read_session(_db(request)) as s:
        officer = s.get(Officer, staff.officer_id)
        if officer is None:
            raise LoginRequired()
        return officer, officer_totp.recovery_codes_left(s, officer_id=staff.officer_id)


@router.get("/akun/2fa", response_class=HTMLResponse)
def own_page(request: Request, staff: StaffUser) -> Response:
    officer, left = _own(request, staff)
    context: dict[str, Any] = {"staff": staff, "csrf_token": staff.csrf_token, "enabled": officer.totp_enabled_at,
                               "codes_left": left, "error": ""}
    if officer.totp_enabled_at is None and officer.totp_secret:
        context.update(_enrol_context(request, secret=officer.totp_secret, username=staff.username,
                                      action="/console/akun/2fa/konfirmasi"))
    return _render(request, "totp_account.html", context)


@router.post("/akun/2fa/mulai")
def own_start(request: Request, staff: CsrfChecked) -> Response:
    officer, _ = _own(request, staff)
    if officer.totp_enabled_at is None:
        _ensure_secret(request, staff.officer_id, officer.totp_secret)
    return RedirectResponse("/console/akun/2fa", status_code=303)


@router.post("/akun/2fa/konfirmasi", response_class=HTMLResponse)
def own_confirm(request: Request, staff: CsrfChecked, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    officer, left = _own(request, staff)
    if officer.totp_enabled_at is not None or not officer.totp_secret:
        return RedirectResponse("/console/akun/2fa", status_code=303)
    guard: LoginGuard = request.app.state.code_guard
    try:
        attempt = guard.reserve(staff.username, auth.client_ip(request))
    except LoginThrottled as exc:
        raise HTTPException(429, "Terlalu banyak kode yang salah. Coba lagi nanti.") from exc
    codes = _confirm(request, staff.officer_id, officer.totp_secret, code)
    if codes is None:
        context = {"staff": staff, "csrf_token": staff.csrf_token, "enabled": None, "codes_left": left,
                   **_enrol_context(request, secret=officer.totp_secret, username=staff.username,
                                    action="/console/akun/2fa/konfirmasi"), "error": WRONG_CODE}
        return _render(request, "totp_account.html", context, status_code=400)
    guard.succeeded(attempt)
    return _render(request, "recovery_codes.html", {"staff": staff, "csrf_token": staff.csrf_token, "codes": codes,
                                                    "next": "/console/akun/2fa"})


@router.post("/akun/2fa/kode-pemulihan", response_class=HTMLResponse)
def own_new_codes(request: Request, staff: CsrfChecked, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    """New recovery codes (the old ones stop working): needs a current code from the app."""
    officer, left = _own(request, staff)
    guard: LoginGuard = request.app.state.code_guard
    try:
        attempt = guard.reserve(staff.username, auth.client_ip(request))
    except LoginThrottled as exc:
        raise HTTPException(429, "Terlalu banyak kode yang salah. Coba lagi nanti.") from exc
    step = totp.matching_step(officer.totp_secret or "", code) if officer.totp_enabled_at else None
    codes = totp.new_recovery_codes()
    with unit_of_work(_db(request)) as s:
        ok = step is not None and officer_totp.use_step(s, officer_id=staff.officer_id, step=step)
        if ok:
            officer_totp.replace_recovery_codes(s, officer_id=staff.officer_id,
                                                code_hashes=[totp.hash_recovery_code(c) for c in codes])
    if not ok:
        return _render(request, "totp_account.html", {"staff": staff, "csrf_token": staff.csrf_token,
                                                      "enabled": officer.totp_enabled_at, "codes_left": left,
                                                      "error": WRONG_CODE}, status_code=400)
    guard.succeeded(attempt)
    return _render(request, "recovery_codes.html", {"staff": staff, "csrf_token": staff.csrf_token, "codes": codes,
                                                    "next": "/console/akun/2fa"})


# --- an admin resets another account's factor ----------------------------------------------------


@router.post("/officers/{officer_id}/2fa/reset")
def admin_reset(request: Request, officer_id: int, staff: auth.Admin, _: CsrfChecked) -> Response:
    if not 1 <= officer_id <= 2**31 - 1:
        raise HTTPException(404, "Akun tidak ditemukan.")
    try:
        with unit_of_work(_db(request)) as s:
            officer_totp.reset(s, officer_id=officer_id)
    except LookupError:
        raise HTTPException(404, "Akun tidak ditemukan.") from None
    log.info("admin %s reset the second factor of officer id %s", staff.officer_id, officer_id)
    return RedirectResponse("/console/officers", status_code=303)
