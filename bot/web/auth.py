"""Staff console sign-in: server-side sessions, CSRF tokens, login limits, role checks.

- The cookie holds only a random session token; the staff_session row is keyed by its
  SHA-256, so a copy of the database does not hand out live sessions. Logout, disabling an
  account, a password change or expiry deletes the row: sessions are revocable. A session
  ends after `console.idle_minutes` without a page or form (its row's expires_at is the idle
  deadline, moved on as the officer works) and after 12 hours in any case.
- Every POST carries the session's CSRF token in the form field `csrf_token` (the login form,
  which has no session yet, uses a double-submit cookie). A missing or wrong token is 403.
  A cross-site `Origin` header is refused as well; SameSite=Lax already stops most of those.
- Sign-in (`check_password`) first takes a slot from the `LoginGuard` (bot/web/auth_limits.py),
  atomically, and only then checks the password; the guard's limits are described there.
- The session rows themselves are kept by storage/staff_sessions.py.
- The account lookup and Argon2 run on the app's `PasswordPool` (bot/web/passwords.py), a few
  low-priority threads of its own, not the thread pool that serves the chat and webhooks;
  when its queue is full a sign-in is told to try again in a few seconds and not counted.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.web import passwords
from bot.web.auth_limits import LoginGuard
from bot.web.errors import LoginRequired, LoginThrottled, PasswordPoolBusy
from bot.web.passwords import PasswordPool
from storage import officers
from storage.db import read_session, unit_of_work
from storage.ids import saved_id
from storage.staff_sessions import SESSION_LIFETIME, create_session, end_session, load_session

log = logging.getLogger(__name__)

SESSION_COOKIE = "mc_console"
LOGIN_CSRF_COOKIE = "mc_login_csrf"
COOKIE_PATH = "/console"
BUSY_RETRY_SECONDS = 5  # the password pool is full: come back in a moment
SUPERVISOR_ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class Staff:
    """The signed-in officer as the console needs it (no password hash)."""

    officer_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# --- login / logout ------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """The app's login guard and password pool, sized from `console.login` in config.yaml."""
    limits = app.state.settings.console.login
    app.state.login_guard = LoginGuard.from_settings(limits)
    app.state.password_pool = PasswordPool(workers=limits.hash_workers, queue=limits.hash_queue)


def shutdown(app: FastAPI) -> None:
    pool = getattr(app.state, "password_pool", None)
    if pool is not None:
        pool.shutdown()


def client_ip(request: Request) -> str:
    """The client's address: the peer's, or the one a trusted proxy named (uvicorn applied it)."""
    return request.client.host if request.client else "unknown"


def guard_of(request: Request) -> LoginGuard:
    guard: LoginGuard = request.app.state.login_guard
    return guard


def pool_of(request: Request) -> PasswordPool:
    pool: PasswordPool = request.app.state.password_pool
    return pool


def idle_of(request: Request) -> dt.timedelta:
    return dt.timedelta(minutes=request.app.state.settings.console.idle_minutes)


async def check_password(request: Request, *, username: str, password: str) -> int | None:
    """The id of the active officer `username` if `password` is theirs, else None. Limits first, then Argon2.

    Raises LoginThrottled when this client or account must wait, or when the password pool is full.
    """
    service = request.app.state.service
    guard = guard_of(request)
    username = username.strip().lower()[:80]
    client = client_ip(request)
    attempt = guard.reserve(username, client)

    def check() -> tuple[int | None, bool]:
        # on the password pool's thread, lookup included: a refused or queued sign-in takes no
        # thread from the pool that serves the chat; the read takes no write turn either
        with read_session(service.db) as s:
            officer = officers.by_username(s, username) if username else None
            found = (officer.id, officer.password_hash) if officer is not None and officer.active else None
        ok = passwords.verify_or_dummy(password[:200], found[1] if found else None)
        return (found[0] if found else None), ok

    try:
        officer_id, ok = await pool_of(request).run(check, trusted=guard.is_known(username, client))
    except PasswordPoolBusy:
        guard.cancel(attempt)
        log.warning("console sign-in deferred: password checks queue full")
        raise LoginThrottled(BUSY_RETRY_SECONDS) from None
    if officer_id is None or not ok:
        log.info("console password check failed")
        return None
    guard.succeeded(attempt)
    return officer_id


async def authenticate(request: Request, *, username: str, password: str) -> str | None:
    """Check the password; return a new session token, or None. Raises LoginThrottled."""
    try:
        officer_id = await check_password(request, username=username, password=password)
    except LoginThrottled:
        log.warning("console login throttled")
        raise
    if officer_id is None:
        return None
    service = request.app.state.service
    idle = idle_of(request)

    def start() -> str:
        with unit_of_work(service.db) as s:
            token, _ = create_session(s, officer_id=officer_id, idle=idle)
            return token

    token = await run_in_threadpool(start)
    log.info("console login: officer id %s", officer_id)
    return token


def secure_cookies(request: Request) -> bool:
    public_url = request.app.state.settings.secrets.public_url or ""
    return public_url.lower().startswith("https://")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), path=COOKIE_PATH,
                        httponly=True, samesite="lax", secure=secure_cookies(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def login_csrf_token(request: Request) -> str:
    """The login form's token: the one already in the browser's cookie, or a new one."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(32)


def set_login_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=secure_cookies(request))


def logout(request: Request) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        with unit_of_work(request.app.state.service.db) as s:
            end_session(s, token=token)


# --- dependencies --------------------------------------------------------------------------------


def current_staff(request: Request) -> Staff:
    """The signed-in officer, or LoginRequired."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise LoginRequired()
    staff: Staff | None = None
    # the queue's automatic refresh (console.js sends this header) is not the officer at work
    touch = not request.headers.get("x-requested-with")
    with unit_of_work(request.app.state.service.db) as s:
        loaded = load_session(s, token=token, idle=idle_of(request), touch=touch)
        if loaded is not None and not (loaded[1].role in SUPERVISOR_ROLES and loaded[1].totp_enabled_at is None):
            # a supervisor or admin without a second factor (reset, or promoted) signs in again and enrols
            row, officer = loaded
            staff = Staff(saved_id(officer.id), officer.username,
                          officer.shown_name, officer.role, row.csrf_token)
    # raised after the unit of work, so the deletion of a stale row is committed
    if staff is None:
        raise LoginRequired()
    return staff


def require_officer(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    return staff


def require_supervisor(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not staff.is_supervisor:
        raise HTTPException(403, "Hanya supervisor atau admin.")
    return staff


def require_admin(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not staff.is_admin:
        raise HTTPException(403, "Hanya admin.")
    return staff


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:  # older browsers and non-browser clients send none; the token still decides
        return True
    allowed = {request.headers.get("host", "")}
    public_url = request.app.state.settings.secrets.public_url
    if public_url:
        allowed.add(urlsplit(public_url).netloc)
    return urlsplit(origin).netloc in allowed


def tokens_match(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def csrf_protect(request: Request, staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    """Required on every console POST: the session's token in the form field `csrf_token`."""
    if not _same_origin(request):
        raise HTTPException(403, "Permintaan dari situs lain ditolak.")
    form = await request.form()
    if not tokens_match(form.get("csrf_token"), staff.csrf_token):
        log.warning("console POST refused: CSRF token missing or wrong")
        raise HTTPException(403, "Token keamanan formulir tidak valid. Muat ulang halaman lalu coba lagi.")
    return staff


async def login_csrf_protect(request: Request) -> None:
    """The login form has no session yet: its token must match the double-submit cookie."""
    if not _same_origin(request):
        raise HTTPException(403, "Permintaan dari situs lain ditolak.")
    form = await request.form()
    if not tokens_match(form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        raise HTTPException(403, "Token keamanan formulir tidak valid. Muat ulang halaman lalu coba lagi.")


StaffUser = Annotated[Staff, Depends(require_officer)]
Supervisor = Annotated[Staff, Depends(require_supervisor)]
Admin = Annotated[Staff, Depends(require_admin)]
CsrfChecked = Annotated[Staff, Depends(csrf_protect)]
