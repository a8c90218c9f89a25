"""The staff console mounted on the app: its routers in the order their routes match, its error
pages and security headers. The pages live in the console_* modules; what they share (labels,
rendering, the unit of work) in console_pages.py."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.web import (
    auth,
    console_admin_lists,
    console_alerts,
    console_case,
    console_dashboard,
    console_login,
    console_officers,
    console_people,
    console_queue,
    console_record,
    console_search,
    console_totp,
    console_totp_account,
)
from bot.web.auth_limits import LoginGuard
from bot.web.console_pages import _SCRIPT_PATHS, ConsoleHeaders, _error_page, _quote, _templates
from bot.web.errors import LoginRequired
from storage.errors import CaseError, CaseForbidden, CaseNotFound

# the order routes match in: sign-in, queue, case, officers, then the person and search (issue 15),
# live alerts, the dashboard (issue 16), the case record, canned replies and partners
ROUTERS = (console_login, console_queue, console_case, console_officers, console_people, console_search,
           console_alerts, console_dashboard, console_record, console_admin_lists,
           console_totp, console_totp_account)  # the second factor's steps; an officer's own factor, an admin's reset


def install(app: FastAPI) -> None:
    """Mount the console on the app: routes, templates, error pages, security headers, the scheduler."""
    app.state.console_templates = _templates()

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        scripted = request.url.path in _SCRIPT_PATHS or request.headers.get("x-requested-with")
        if request.method == "GET" and not scripted:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(f"/console/login?next={_quote(target)}", status_code=303)
        else:
            response = PlainTextResponse("Silakan masuk terlebih dahulu.", status_code=401)
        auth.clear_session_cookie(response)
        return response

    @app.exception_handler(CaseError)
    async def case_error(request: Request, exc: CaseError) -> Response:
        status = 404 if isinstance(exc, CaseNotFound) else 403 if isinstance(exc, CaseForbidden) else 409
        return _error_page(request, str(exc), status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/console") and exc.status_code in (403, 404):
            return _error_page(request, str(exc.detail), exc.status_code)
        return await http_exception_handler(request, exc)

    app.add_middleware(ConsoleHeaders)

    app.state.code_guard = LoginGuard.from_settings(app.state.settings.console.login)  # the code step's limits
    for part in ROUTERS:
        app.include_router(part.router)
