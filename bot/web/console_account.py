"""The officer's own account in the staff console: /console/akun, where they change their password.

Changing it needs the current password, checked under the same limits as the login form
(bot/web/auth.py: a stolen session must not become a way to guess it), and a new one that meets
the policy (bot/web/passwords.py). Every session of the account then ends; this browser gets a
fresh one, so the officer stays signed in here and is signed out everywhere else.

Admins reset other officers' passwords on /console/officers ("Kata sandi baru", bot/web/console_officers.py):
a generated password shown once, and every session of that account ended (storage.officers.set_password).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.web import auth
from bot.web.auth import CsrfChecked, StaffUser
from bot.web.errors import LoginThrottled, PasswordPoolBusy
from bot.web.passwords import MAX_LENGTH, PROBLEMS_ID, password_problem
from storage import officers, staff_sessions
from storage.db import unit_of_work

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console")

FLASH = {"password": "Kata sandi sudah diganti. Sesi Anda di perangkat lain sudah dikeluarkan."}


def _render(request: Request, staff: auth.Staff, *, error: str = "", flash: str = "",
            status_code: int = 200) -> HTMLResponse:
    context: dict[str, Any] = {"service_name": request.app.state.service.settings.service.name, "staff": staff,
                               "csrf_token": staff.csrf_token, "error": error, "flash": flash}
    return request.app.state.console_templates.TemplateResponse(request, "account.html", context,
                                                                status_code=status_code)


@router.get("/akun", response_class=HTMLResponse)
def account_page(request: Request, staff: StaffUser, ok: str = Query(default="", max_length=20)) -> HTMLResponse:
    return _render(request, staff, flash=FLASH.get(ok, ""))


@router.post("/akun/password", response_class=HTMLResponse)
async def change_own_password(request: Request, staff: CsrfChecked,
                              current_password: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
                              new_password: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
                              repeat_password: Annotated[str, Form(max_length=MAX_LENGTH)] = "") -> Response:
    """Check the current password, then store the new one and end every other session."""
    # the checks that cost nothing come first: no Argon2 work for a form that cannot succeed
    if new_password != repeat_password:
        return _render(request, staff, error="Kedua isian kata sandi baru tidak sama.", status_code=400)
    problem = password_problem(new_password, username=staff.username)
    if problem:
        return _render(request, staff, error=PROBLEMS_ID[problem], status_code=400)
    if new_password == current_password:
        return _render(request, staff, error="Kata sandi baru harus berbeda dari yang sekarang.", status_code=400)
    try:
        officer_id = await auth.check_password(request, username=staff.username, password=current_password)
        new_hash = await auth.pool_of(request).hash(new_password) if officer_id is not None else ""
    except LoginThrottled as exc:
        minutes = max(1, (exc.retry_after + 59) // 60)
        response: Response = _render(request, staff, status_code=429,
                                     error=f"Terlalu banyak percobaan. Coba lagi dalam {minutes} menit.")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except PasswordPoolBusy:
        return _render(request, staff, error="Server sedang sibuk. Coba lagi sebentar.", status_code=503)
    if officer_id != staff.officer_id:
        return _render(request, staff, error="Kata sandi saat ini salah.", status_code=400)
    idle = auth.idle_of(request)

    def store() -> str:
        with unit_of_work(request.app.state.service.db) as s:
            officers.set_password(s, officer_id=staff.officer_id, password_hash=new_hash)  # ends every session
            token, _ = staff_sessions.create_session(s, officer_id=staff.officer_id, idle=idle)
            return token

    token = await run_in_threadpool(store)
    log.info("officer id %s changed their own console password", staff.officer_id)
    response = RedirectResponse("/console/akun?ok=password", status_code=303)
    auth.set_session_cookie(request, response, token)
    return response
