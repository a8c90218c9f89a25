"""The console's second factor: the code step of the login, enrolment, recovery codes (issue 15).

- After a right password, an account with TOTP gets no session yet: a short-lived challenge
  (its random token in an HttpOnly cookie, its SHA-256 in `login_challenge`) and the code form.
  A supervisor or admin without TOTP is sent to enrolment instead, and gets a session only
  once the first code from the new secret is right: TOTP is mandatory for them.
- The code step is limited like the password step: its own `LoginGuard` (bot/web/auth_limits.py), sized
  by `console.login`; a challenge also ends after ten minutes.
- A six-digit code works once (storage refuses its time step again); a recovery code works
  once. Ten recovery codes are shown once at enrolment, stored hashed (bot/web/totp.py).
- Officers may turn TOTP on for themselves on /console/akun/2fa. Resetting a lost factor is
  `helpdesk officers reset-2fa NAME` (or an admin on /console/officers): it ends every session.
  Those pages are in bot/web/console_totp_account.py; this module holds the login's steps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.web import auth, totp
from bot.web.auth_limits import LoginGuard
from bot.web.errors import LoginThrottled
from bot.web.console_pages import _safe_next
from storage import officer_totp, staff_sessions
from storage.db import unit_of_work
from storage.ids import saved_id
from storage.models import Officer

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console")

CHALLENGE_COOKIE = "mc_login_2fa"
CHALLENGE_LIFETIME_MINUTES = 10
CODE_PAGE = "/console/login/kode"
ENROL_PAGE = "/console/login/daftar-2fa"
WRONG_CODE = "Kode salah atau sudah dipakai. Periksa jam ponsel Anda, lalu masukkan kode yang sedang tampil."


@dataclass(frozen=True)
class SecondStep:
    """The password was right; the code (purpose "code") or enrolment ("enrol") comes next."""

    token: str
    purpose: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _db(request: Request) -> Any:
    return request.app.state.service.db


def _issuer(request: Request) -> str:
    return str(request.app.state.service.settings.service.name)


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    base = {"service_name": _issuer(request), "staff": None, "csrf_token": ""}
    return request.app.state.console_templates.TemplateResponse(request, name, {**base, **context},
                                                                status_code=status_code)


# --- the password step hands over here -----------------------------------------------------------


async def authenticate(request: Request, *, username: str, password: str, next_url: str) -> str | SecondStep | None:
    """Check the password (bot/web/auth.py limits); then a session token, or the second step, or None."""
    officer_id = await auth.check_password(request, username=username, password=password)
    if officer_id is None:
        return None
    idle = auth.idle_of(request)

    def decide() -> str | SecondStep:
        with unit_of_work(_db(request)) as s:
            officer = s.get(Officer, officer_id)
            assert officer is not None
            if officer.totp_enabled_at is not None:
                purpose = "code"
            elif officer.role in auth.SUPERVISOR_ROLES:
                purpose = "enrol"
            else:
                token, _ = staff_sessions.create_session(s, officer_id=officer_id, idle=idle)
                return token
            challenge = secrets.token_urlsafe(32)
            officer_totp.add_challenge(s, token_hash=_digest(challenge), officer_id=officer_id, purpose=purpose,
                                       next_url=next_url, lifetime=dt.timedelta(minutes=CHALLENGE_LIFETIME_MINUTES))
            return SecondStep(challenge, purpose)

    result = await run_in_threadpool(decide)
    log.info("console password accepted for officer id %s; %s", officer_id,
             "second step next" if isinstance(result, SecondStep) else "signed in")
    return result


def second_step_response(request: Request, step: SecondStep) -> Response:
    response = RedirectResponse(CODE_PAGE if step.purpose == "code" else ENROL_PAGE, status_code=303)
    response.set_cookie(CHALLENGE_COOKIE, step.token, max_age=CHALLENGE_LIFETIME_MINUTES * 60, path=auth.COOKIE_PATH,
                        httponly=True, samesite="lax", secure=auth.secure_cookies(request))
    return response


# --- challenge plumbing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    token_hash: str
    officer_id: int
    username: str
    purpose: str
    next_url: str
    secret: str | None


def _pending(request: Request, purpose: str) -> Pending | None:
    token = request.cookies.get(CHALLENGE_COOKIE, "")
    if not token or len(token) > 100:
        return None
    with unit_of_work(_db(request)) as s:
        found = officer_totp.challenge(s, token_hash=_digest(token))
        if found is None or found[0].purpose != purpose:
            return None
        row, officer = found
        return Pending(row.id, saved_id(officer.id), officer.username, row.purpose, row.next_url,
                       officer.totp_secret)


def _back_to_login() -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(CHALLENGE_COOKIE, path=auth.COOKIE_PATH)
    return response


def _signed_in(request: Request, response: Response, token: str) -> Response:
    auth.set_session_cookie(request, response, token)
    response.delete_cookie(CHALLENGE_COOKIE, path=auth.COOKIE_PATH)
    return response


def _throttled(request: Request, template: str, context: dict[str, Any], exc: LoginThrottled) -> Response:
    minutes = max(1, (exc.retry_after + 59) // 60)
    response = _render(request, template, {**context, "error": f"Terlalu banyak kode yang salah. Coba lagi dalam "
                                                                f"{minutes} menit."}, status_code=429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _csrf_page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    token = auth.login_csrf_token(request)
    response = _render(request, template, {**context, "csrf_token": token}, status_code=status_code)
    auth.set_login_csrf_cookie(request, response, token)
    return response


# --- the code step -------------------------------------------------------------------------------


@router.get("/login/kode", response_class=HTMLResponse)
def code_page(request: Request) -> Response:
    if _pending(request, "code") is None:
        return _back_to_login()
    return _csrf_page(request, "login_code.html", {"error": ""})


def _check_code(request: Request, pending: Pending, code: str) -> bool:
    """A current TOTP code (once) or an unspent recovery code."""
    with unit_of_work(_db(request)) as s:
        step = totp.matching_step(pending.secret or "", code)
        if step is not None:
            return officer_totp.use_step(s, officer_id=pending.officer_id, step=step)
        if totp.looks_like_recovery_code(code):
            used = officer_totp.use_recovery_code(s, officer_id=pending.officer_id,
                                                  code_hash=totp.hash_recovery_code(code))
            if used:
                log.warning("officer id %s signed in with a recovery code", pending.officer_id)
            return used
    return False


@router.post("/login/kode", response_class=HTMLResponse, dependencies=[Depends(auth.login_csrf_protect)])
def code_submit(request: Request, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    pending = _pending(request, "code")
    if pending is None:
        return _back_to_login()
    guard: LoginGuard = request.app.state.code_guard
    try:
        attempt = guard.reserve(pending.username, auth.client_ip(request))
    except LoginThrottled as exc:
        log.warning("console code step throttled")
        return _throttled(request, "login_code.html", {"csrf_token": auth.login_csrf_token(request)}, exc)
    if not _check_code(request, pending, code):
        log.info("console code step failed for officer id %s", pending.officer_id)
        return _csrf_page(request, "login_code.html", {"error": WRONG_CODE}, status_code=401)
    guard.succeeded(attempt)
    with unit_of_work(_db(request)) as s:
        officer_totp.end_challenge(s, token_hash=pending.token_hash)
        token, _ = staff_sessions.create_session(s, officer_id=pending.officer_id, idle=auth.idle_of(request))
    log.info("console login with second factor: officer id %s", pending.officer_id)
    return _signed_in(request, RedirectResponse(_safe_next(pending.next_url), status_code=303), token)


# --- enrolment during the login (mandatory for supervisors and admins) ---------------------------


def _enrol_context(request: Request, *, secret: str, username: str, action: str) -> dict[str, Any]:
    uri = totp.provisioning_uri(secret, username=username, issuer=_issuer(request))
    return {"qr_svg": totp.qr_svg(uri), "secret": totp.grouped(secret), "action": action, "error": ""}


def _ensure_secret(request: Request, officer_id: int, secret: str | None) -> str:
    """The secret being enrolled: kept across reloads, so a code already scanned stays right."""
    if secret:
        return secret
    secret = totp.new_secret()
    with unit_of_work(_db(request)) as s:
        officer_totp.start_enrolment(s, officer_id=officer_id, secret=secret)
    return secret


@router.get("/login/daftar-2fa", response_class=HTMLResponse)
def enrol_page(request: Request) -> Response:
    pending = _pending(request, "enrol")
    if pending is None:
        return _back_to_login()
    secret = _ensure_secret(request, pending.officer_id, pending.secret)
    return _csrf_page(request, "totp_enrol.html", {**_enrol_context(request, secret=secret, username=pending.username,
                                                                    action=ENROL_PAGE), "mandatory": True})


def _confirm(request: Request, officer_id: int, secret: str, code: str) -> list[str] | None:
    """Enable the factor if `code` is right for `secret`; the recovery codes to show once, or None."""
    step = totp.matching_step(secret, code)
    if step is None:
        return None
    codes = totp.new_recovery_codes()
    with unit_of_work(_db(request)) as s:
        officer_totp.confirm_enrolment(s, officer_id=officer_id, step=step,
                                       code_hashes=[totp.hash_recovery_code(c) for c in codes])
    log.info("officer id %s enabled the second factor", officer_id)
    return codes


@router.post("/login/daftar-2fa", response_class=HTMLResponse, dependencies=[Depends(auth.login_csrf_protect)])
def enrol_submit(request: Request, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    pending = _pending(request, "enrol")
    if pending is None or not pending.secret:
        return _back_to_login()
    context = {**_enrol_context(request, secret=pending.secret, username=pending.username, action=ENROL_PAGE),
               "mandatory": True}
    guard: LoginGuard = request.app.state.code_guard
    try:
        attempt = guard.reserve(pending.username, auth.client_ip(request))
    except LoginThrottled as exc:
        return _throttled(request, "totp_enrol.html", {**context, "csrf_token": auth.login_csrf_token(request)}, exc)
    codes = _confirm(request, pending.officer_id, pending.secret, code)
    if codes is None:
        return _csrf_page(request, "totp_enrol.html", {**context, "error": WRONG_CODE}, status_code=400)
    guard.succeeded(attempt)
    with unit_of_work(_db(request)) as s:
        officer_totp.end_challenge(s, token_hash=pending.token_hash)
        token, _ = staff_sessions.create_session(s, officer_id=pending.officer_id, idle=auth.idle_of(request))
    response = _render(request, "recovery_codes.html", {"codes": codes, "next": _safe_next(pending.next_url)})
    return _signed_in(request, response, token)
