"""Signing in and out of the console: the password step; the code step is bot/web/console_totp.py.

    GET  /console/login     the form (a signed-in officer goes straight on)
    POST /console/login     password, then a session or the second step
    POST /console/logout    ends this session
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.web import auth, console_totp
from bot.web.auth import CsrfChecked
from bot.web.console_pages import _render, _safe_next
from bot.web.errors import LoginRequired, LoginThrottled

router = APIRouter(prefix="/console")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = Query(default="/console", max_length=300)) -> Response:
    try:
        auth.current_staff(request)
        return RedirectResponse(_safe_next(next), status_code=303)
    except LoginRequired:
        pass
    token = auth.login_csrf_token(request)
    response = _render(request, "login.html", {"csrf_token": token, "next": _safe_next(next), "error": ""})
    auth.set_login_csrf_cookie(request, response, token)
    return response


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(auth.login_csrf_protect)])
async def login_submit(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                       password: Annotated[str, Form(max_length=200)] = "",
                       next: Annotated[str, Form(max_length=300)] = "/console") -> Response:
    csrf = auth.login_csrf_token(request)
    try:
        token = await console_totp.authenticate(request, username=username, password=password, next_url=_safe_next(next))
    except LoginThrottled as exc:
        minutes = max(1, (exc.retry_after + 59) // 60)
        error = (f"Terlalu banyak percobaan masuk yang gagal. Demi keamanan, coba lagi dalam {minutes} menit, "
                 "atau minta admin memeriksa akun Anda.")
        response: Response = _render(request, "login.html", {"csrf_token": csrf, "next": _safe_next(next),
                                                             "error": error, "username": username}, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if token is None:
        return _render(request, "login.html", {"csrf_token": csrf, "next": _safe_next(next), "username": username,
                                               "error": "Nama pengguna atau kata sandi salah."}, status_code=401)
    if request.cookies.get(auth.SESSION_COOKIE):
        await run_in_threadpool(auth.logout, request)  # a new login replaces, never keeps, an older session
    if isinstance(token, console_totp.SecondStep):  # the code, or enrolment, comes next (bot/web/console_totp.py)
        return console_totp.second_step_response(request, token)
    response = RedirectResponse(_safe_next(next), status_code=303)
    auth.set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, staff: CsrfChecked) -> Response:
    auth.logout(request)
    response = RedirectResponse("/console/login", status_code=303)
    auth.clear_session_cookie(response)
    return response
