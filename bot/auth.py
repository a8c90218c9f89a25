"""Staff console sign-in: server-side sessions, CSRF tokens, login limits, role checks.

- The cookie holds only a random session token; the staff_session row is keyed by its
  SHA-256, so a copy of the database does not hand out live sessions. Logout, disabling an
  account, a password change or expiry deletes the row: sessions are revocable. A session
  ends after `console.idle_minutes` without a page or form (its row's expires_at is the idle
  deadline, moved on as the officer works) and after 12 hours in any case.
- Every POST carries the session's CSRF token in the form field `csrf_token` (the login form,
  which has no session yet, uses a double-submit cookie). A missing or wrong token is 403.
  A cross-site `Origin` header is refused as well; SameSite=Lax already stops most of those.
- Sign-in (`check_password`) first takes a slot from the `LoginGuard`, atomically, and only then
  checks the password: an attempt counts as failed from the moment it starts, so a hundred
  parallel guesses are a hundred attempts, not one. Limits per client address, per account
  and client, and per account from anywhere (progressive delays, not a lock); the client
  address is the one uvicorn took from a trusted proxy's X-Forwarded-For (bot/server.py).
- The account lookup and Argon2 run on the app's `PasswordPool` (bot/passwords.py), a few
  low-priority threads of its own, not the thread pool that serves the chat and webhooks;
  when its queue is full a sign-in is told to try again in a few seconds and not counted.
- The guard lives in process memory: right for one web process; with several workers each
  keeps its own counts (a table would be needed to share them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import delete
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from bot import passwords
from bot.passwords import PasswordPool, PasswordPoolBusy
from bot.settings import LoginSettings
from storage import officers
from storage.db import read_session, unit_of_work
from storage.ids import saved_id
from storage.models import Officer, StaffSession, utcnow

log = logging.getLogger(__name__)

SESSION_COOKIE = "mc_console"
LOGIN_CSRF_COOKIE = "mc_login_csrf"
COOKIE_PATH = "/console"
SESSION_LIFETIME = dt.timedelta(hours=12)  # one shift; then sign in again
DEFAULT_IDLE = dt.timedelta(minutes=60)
# the idle deadline is written back at most this often (a page view is not a write each time)
TOUCH_STEP = dt.timedelta(minutes=1)
LOGIN_WINDOW_SECONDS = 15 * 60
BUSY_RETRY_SECONDS = 5  # the password pool is full: come back in a moment
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


# --- login limits --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A reserved sign-in attempt: counted as failed until `LoginGuard.succeeded` says otherwise."""

    username: str
    client: str
    at: float


class LoginGuard:
    """Sign-in limits in a sliding window, in memory (one process; see the module docstring).

    - per client address, any usernames: `failures_per_client`;
    - per account and client address: `failures_per_account_client`;
    - per account from anywhere: after `free_failures_per_account`, each attempt waits 1, 2, 4 ...
      seconds after the previous one, up to `max_delay_seconds`. A client that signed in to the
      account before skips this delay and the per-client limit, so a stranger's guesses at the
      admin's username slow the stranger, not the admin.
    Invented usernames only fill their own keys and their client's count.
    """

    KNOWN_CLIENTS = 5  # remembered per account
    KNOWN_FOR = 30 * 24 * 3600.0

    def __init__(self, *, failures_per_client: int = 30, failures_per_account_client: int = 5,
                 free_failures_per_account: int = 10, max_delay_seconds: int = 300,
                 window_seconds: int = LOGIN_WINDOW_SECONDS, max_keys: int = 10_000) -> None:
        self.per_client = failures_per_client
        self.per_account_client = failures_per_account_client
        self.free_per_account = free_failures_per_account
        self.max_delay = max_delay_seconds
        self.window = window_seconds
        self.max_keys = max_keys
        self._attempts: dict[tuple[str, ...], deque[float]] = {}
        self._known: dict[str, dict[str, float]] = {}  # username -> client -> last sign-in
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, limits: LoginSettings) -> "LoginGuard":
        return cls(failures_per_client=limits.failures_per_client,
                   failures_per_account_client=limits.failures_per_account_client,
                   free_failures_per_account=limits.free_failures_per_account,
                   max_delay_seconds=limits.max_delay_seconds)

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        q = self._attempts.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._attempts[key]
        return q

    def is_known(self, username: str, client: str, now: float | None = None) -> bool:
        """Whether this client signed in to this account in the last 30 days (in this process)."""
        with self._lock:
            return self._is_known(username, client, time.time() if now is None else now)

    def _is_known(self, username: str, client: str, now: float) -> bool:
        seen = self._known.get(username, {}).get(client)
        return seen is not None and now - seen < self.KNOWN_FOR

    def reserve(self, username: str, client: str, now: float | None = None) -> Attempt:
        """Take an attempt, or raise LoginThrottled with the seconds to wait. Check the password only after."""
        now = time.time() if now is None else now
        keys = (("client", client), ("account+client", username, client), ("account", username))
        with self._lock:
            if len(self._attempts) >= self.max_keys:
                self._prune(now)
            known = self._is_known(username, client, now)
            waits = []
            by_client, by_pair, by_account = (self._recent(k, now) for k in keys)
            if not known and len(by_client) >= self.per_client:
                waits.append(by_client[len(by_client) - self.per_client] + self.window - now)
            if len(by_pair) >= self.per_account_client:
                waits.append(by_pair[len(by_pair) - self.per_account_client] + self.window - now)
            if not known and len(by_account) >= self.free_per_account:
                over = len(by_account) - self.free_per_account
                delay = min(self.max_delay, 2 ** min(over, 16))
                if by_account[-1] + delay > now:
                    waits.append(by_account[-1] + delay - now)
            if waits:
                raise LoginThrottled(max(1, math.ceil(max(waits))))
            for key in keys:
                self._attempts.setdefault(key, deque()).append(now)
        return Attempt(username, client, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt was no failure, and this client is now known for the account."""
        with self._lock:
            self._discard(attempt)
            self._attempts.pop(("account+client", attempt.username, attempt.client), None)
            known = self._known.setdefault(attempt.username, {})
            known.pop(attempt.client, None)
            known[attempt.client] = attempt.at
            while len(known) > self.KNOWN_CLIENTS:
                del known[next(iter(known))]

    def cancel(self, attempt: Attempt) -> None:
        """The password was never checked (the pool was full): the attempt does not count."""
        with self._lock:
            self._discard(attempt)

    def _discard(self, attempt: Attempt) -> None:
        for key in (("client", attempt.client), ("account+client", attempt.username, attempt.client),
                    ("account", attempt.username)):
            q = self._attempts.get(key)
            if q is not None:
                try:
                    q.remove(attempt.at)
                except ValueError:
                    pass
                if not q:
                    del self._attempts[key]

    def _prune(self, now: float) -> None:
        for key in list(self._attempts):
            self._recent(key, now)
        # still full: forget the oldest keys rather than grow without bound
        while len(self._attempts) >= self.max_keys:
            del self._attempts[next(iter(self._attempts))]


# --- session rows --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite gives stored UTC back naive


def create_session(session: Session, *, officer_id: int, idle: dt.timedelta = DEFAULT_IDLE,
                   now: dt.datetime | None = None) -> tuple[str, StaffSession]:
    """A new session row; returns the cookie token (only its hash is stored) and the row."""
    now = now or utcnow()
    session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    row = StaffSession(id=_digest(token), officer_id=officer_id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + min(idle, SESSION_LIFETIME))
    session.add(row)
    session.flush()
    return token, row


def load_session(session: Session, *, token: str, idle: dt.timedelta = DEFAULT_IDLE, touch: bool = True,
                 now: dt.datetime | None = None) -> tuple[StaffSession, Officer] | None:
    """The live session of `token` and its officer, or None. `touch`: the officer is at work,
    so the idle deadline moves on (never past 12 hours from the sign-in)."""
    if not token or len(token) > 100:
        return None
    row = session.get(StaffSession, _digest(token))
    if row is None:
        return None
    now = now or utcnow()
    if _aware(row.expires_at) <= now:
        session.delete(row)
        return None
    officer = session.get(Officer, row.officer_id)
    if officer is None or not officer.active:
        session.delete(row)
        return None
    if touch:
        deadline = min(_aware(row.created_at) + SESSION_LIFETIME, now + idle)
        if deadline - _aware(row.expires_at) >= TOUCH_STEP:
            row.expires_at = deadline
    return row, officer


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(StaffSession).where(col(StaffSession.id) == _digest(token)))


def end_sessions_of(session: Session, *, officer_id: int) -> None:
    """Sign an officer out everywhere (account disabled, password changed or reset)."""
    session.exec(delete(StaffSession).where(col(StaffSession.officer_id) == officer_id))


def set_password(session: Session, *, officer_id: int, password_hash: str) -> Officer:
    """A new password hash for an account; every session of it ends."""
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise officers.OfficerError("no such officer")
    officer.password_hash = password_hash
    end_sessions_of(session, officer_id=officer_id)
    log.info("console password changed for officer id %s; their sessions ended", officer_id)
    return officer


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
