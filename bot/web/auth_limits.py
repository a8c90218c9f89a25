"""Console sign-in limits: the `LoginGuard` that bot/web/auth.py asks before it checks a password.

- Sign-in first takes a slot from the guard, atomically, and only then checks the password: an
  attempt counts as failed from the moment it starts, so a hundred parallel guesses are a
  hundred attempts, not one. Limits per client address, per account and client, and per
  account from anywhere (progressive delays, not a lock); the client address is the one
  uvicorn took from a trusted proxy's X-Forwarded-For (bot/web/server.py).
- The guard lives in process memory: right for one web process; with several workers each
  keeps its own counts (a table would be needed to share them).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

from bot.settings_sections import LoginSettings
from bot.web.errors import LoginThrottled

LOGIN_WINDOW_SECONDS = 15 * 60


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
