"""Staff console sign-in: server-side sessions, CSRF tokens, login throttling, role checks.

- The cookie holds only a random session token; the staff_session row is keyed by its
  SHA-256, so a copy of the database does not hand out live sessions. Logout, disabling an
  account or expiry deletes the row: sessions are revocable.
- Every POST carries the session's CSRF token in the form field `csrf_token` (the login form,
  which has no session yet, uses a double-submit cookie). A missing or wrong token is 403.
  A cross-site `Origin` header is refused as well; SameSite=Lax already stops most of those.
- Passwords are checked with Argon2 in a threadpool (~150 ms each with production settings),
  and failures are throttled per username + IP and per IP. The throttle lives in process
  memory: right for the single web process we run; with several workers each keeps its own
  count (a table would be needed to share it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import delete
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from bot.passwords import hash_password, verify_password
from storage import officers
from storage.db import unit_of_work
from storage.models import Officer, StaffSession, utcnow

log = logging.getLogger(__name__)

SESSION_COOKIE = "mc_console"
LOGIN_CSRF_COOKIE = "mc_login_csrf"
COOKIE_PATH = "/console"
SESSION_LIFETIME = dt.timedelta(hours=12)  # one shift; then sign in again
SUPERVISOR_ROLES = ("supervisor", "admin")


class LoginRequired(Exception):
    """No valid console session: pages redirect to the login form, other requests get 401."""


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


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


# --- throttling ----------------------------------------------------------------------------------


class LoginThrottle:
    """Counts failed logins in a sliding window, in memory (one process; see the module docstring)."""

    def __init__(self, *, max_failures: int = 5, per_ip_failures: int = 30, window_seconds: int = 15 * 60,
                 max_keys: int = 10_000) -> None:
        self.max_failures = max_failures
        self.per_ip_failures = per_ip_failures
        self.window = window_seconds
        self.max_keys = max_keys
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._fails[key]
        return q

    def retry_after(self, username: str, ip: str, now: float | None = None) -> int:
        """Seconds until this username+IP (or this IP) may try again; 0 when allowed."""
        now = time.time() if now is None else now
        with self._lock:
            waits = []
            for key, limit in (((username, ip), self.max_failures), (("*", ip), self.per_ip_failures)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(int(q[len(q) - limit] + self.window - now) + 1)
            return max(waits, default=0)

    def failed(self, username: str, ip: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            if len(self._fails) >= self.max_keys:
                self._prune(now)
            for key in ((username, ip), ("*", ip)):
                self._fails.setdefault(key, deque()).append(now)

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._fails.pop((username, ip), None)

    def _prune(self, now: float) -> None:
        for key in list(self._fails):
            self._recent(key, now)
        # still full: forget the oldest keys rather than grow without bound
        while len(self._fails) >= self.max_keys:
            del self._fails[next(iter(self._fails))]


# --- session rows --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(session: Session, *, officer_id: int, now: dt.datetime | None = None) -> tuple[str, StaffSession]:
    """A new session row; returns the cookie token (only its hash is stored) and the row."""
    now = now or utcnow()
    session.exec(delete(StaffSession).where(StaffSession.expires_at < now))  # type: ignore[call-overload]
    token = secrets.token_urlsafe(32)
    row = StaffSession(id=_digest(token), officer_id=officer_id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + SESSION_LIFETIME)
    session.add(row)
    session.flush()
    return token, row


def load_session(session: Session, *, token: str,
                 now: dt.datetime | None = None) -> tuple[StaffSession, Officer] | None:
    if not token or len(token) > 100:
        return None
    row = session.get(StaffSession, _digest(token))
    if row is None:
        return None
    if row.expires_at <= (now or utcnow()):
        session.delete(row)
        return None
    officer = session.get(Officer, row.officer_id)
    if officer is None or not officer.active:
        session.delete(row)
        return None
    return row, officer


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(StaffSession).where(StaffSession.id == _digest(token)))  # type: ignore[call-overload]


def end_sessions_of(session: Session, *, officer_id: int) -> None:
    """Sign an officer out everywhere (account disabled, password reset)."""
    session.exec(delete(StaffSession).where(StaffSession.officer_id == officer_id))  # type: ignore[call-overload]


def set_password(session: Session, *, officer_id: int, password_hash: str) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise officers.OfficerError("no such officer")
    officer.password_hash = password_hash
    end_sessions_of(session, officer_id=officer_id)
    return officer


# --- login / logout ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # verifying against this for unknown usernames keeps their timing like a wrong password
    return hash_password(secrets.token_urlsafe(16))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> LoginThrottle:
    app_state = request.app.state
    if not hasattr(app_state, "login_throttle"):
        app_state.login_throttle = LoginThrottle()
    return app_state.login_throttle


async def authenticate(request: Request, *, username: str, password: str) -> str | None:
    """Check the password; return a new session token, or None. Raises LoginThrottled."""
    service = request.app.state.service
    throttle = throttle_of(request)
    username = username.strip().lower()[:80]
    ip = client_ip(request)
    wait = throttle.retry_after(username, ip)
    if wait:
        log.warning("console login throttled")
        raise LoginThrottled(wait)

    def lookup() -> tuple[int, str] | None:
        with unit_of_work(service.db) as s:
            officer = officers.by_username(s, username) if username else None
            if officer is None or not officer.active:
                return None
            return officer.id, officer.password_hash  # type: ignore[return-value]

    found = await run_in_threadpool(lookup)
    ok = await run_in_threadpool(verify_password, password[:200], found[1] if found else _dummy_hash())
    if not (found and ok):
        throttle.failed(username, ip)
        log.info("console login failed")
        return None
    throttle.succeeded(username, ip)

    def start() -> str:
        with unit_of_work(service.db) as s:
            token, _ = create_session(s, officer_id=found[0])
            return token

    token = await run_in_threadpool(start)
    log.info("console login: officer id %s", found[0])
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
    with unit_of_work(request.app.state.service.db) as s:
        loaded = load_session(s, token=token)
        if loaded is not None:
            row, officer = loaded
            staff = Staff(officer.id, officer.username,  # type: ignore[arg-type]
                          officer.display_name or officer.username, officer.role, row.csrf_token)
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
