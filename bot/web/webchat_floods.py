"""Flood limits of the web chat (`limits.webchat` in config.yaml), counted in this process's memory.

New sessions and the cases they open are counted per client address, per session and
service-wide. Nobody is refused and every reply goes out, emergency guidance included; a case
opened over a limit is flagged "kemungkinan spam" for the supervisors
(storage.case_spam.flag_suspected_spam), so fake emergencies cannot push a real one off the
console's first page. The routes are in bot/web/webchat.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable

from fastapi import Request

from bot.web.auth import client_ip
from bot.settings_sections import WebChatFloodLimits
from flows.engine import Handled
from storage import case_spam
from storage.db import unit_of_work

log = logging.getLogger(__name__)


class SlidingWindow:
    """Events per key within the last `window` seconds, in this process's memory.

    Keeps the latest `limit` times of a key (enough to tell whether the limit is reached) and
    at most `max_keys` keys, so a flood from many addresses cannot grow it without bound.
    """

    def __init__(self, limit: int, window: float, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._times: dict[str, deque[float]] = {}

    def reached(self, key: str, now: float) -> bool:
        times = self._times.get(key)
        return times is not None and len(times) >= self.limit and times[0] > now - self.window

    def add(self, key: str, now: float) -> None:
        if key not in self._times and len(self._times) >= self.max_keys:
            self._prune(now)
        self._times.setdefault(key, deque(maxlen=self.limit)).append(now)

    def _prune(self, now: float) -> None:
        for key in [k for k, times in self._times.items() if times[-1] <= now - self.window]:
            del self._times[key]
        while len(self._times) >= self.max_keys:  # still full: forget the keys seen first
            del self._times[next(iter(self._times))]


class FloodGuard:
    """Decides whether a new session, or a case it opens, is over a flood limit; returns why.

    Every attempt counts against its address and session, so an address stays over while it
    floods; only what passed those counts against the service-wide budgets, so one flooding
    address cannot use them up for everyone else. Reasons are Indonesian: they go into the
    case's audit trail. They never name the address.
    """

    def __init__(self, limits: WebChatFloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        window = limits.window_minutes * 60
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions_ip = SlidingWindow(limits.new_sessions_per_ip, window)
        self._sessions_all = SlidingWindow(limits.new_sessions_total, window, max_keys=1)
        self._cases_ip = SlidingWindow(limits.cases_per_ip, window)
        self._cases_session = SlidingWindow(limits.cases_per_session, window)
        self._cases_all = SlidingWindow(limits.cases_total, window, max_keys=1)
        self._over_sessions = SlidingWindow(1, window)  # sessions started over a limit
        self._warned_at = -float("inf")

    def _per(self, limit: int) -> str:
        return f"{limit} per {self.limits.window_minutes} menit"

    @staticmethod
    def _overall(counter: SlidingWindow, reasons: list[str], now: float, reason: str) -> None:
        """Only what is within the per-address limits uses up the service-wide allowance, so one
        flooding address cannot exhaust it for everyone."""
        if reasons:
            return
        if counter.reached("*", now):
            reasons.append(reason)
        else:
            counter.add("*", now)

    def session_started(self, *, ip: str, session: str) -> list[str]:
        with self._lock:
            now = self._clock()
            reasons = []
            if self._sessions_ip.reached(ip, now):
                reasons.append(f"sesi baru dari alamat yang sama melebihi {self._per(self.limits.new_sessions_per_ip)}")
            self._sessions_ip.add(ip, now)
            self._overall(self._sessions_all, reasons, now,
                          f"sesi baru di seluruh layanan melebihi {self._per(self.limits.new_sessions_total)}")
            if reasons:
                self._over_sessions.add(session, now)
            return reasons

    def case_opened(self, *, ip: str, session: str) -> list[str]:
        with self._lock:
            now = self._clock()
            reasons = []
            if self._over_sessions.reached(session, now):
                reasons.append("sesi ini dibuka melewati batas sesi baru")
            if self._cases_ip.reached(ip, now):
                reasons.append(f"kasus dari alamat yang sama melebihi {self._per(self.limits.cases_per_ip)}")
            self._cases_ip.add(ip, now)
            if self._cases_session.reached(session, now):
                reasons.append(f"kasus dari sesi ini melebihi {self._per(self.limits.cases_per_session)}")
            self._cases_session.add(session, now)
            self._overall(self._cases_all, reasons, now,
                          f"kasus web chat di seluruh layanan melebihi {self._per(self.limits.cases_total)}")
            return reasons

    def first_warning(self) -> bool:
        """True at most once a minute: one log line for a flood, not one per case."""
        with self._lock:
            now = self._clock()
            if now - self._warned_at < 60:
                return False
            self._warned_at = now
            return True


def _guard(request: Request) -> FloodGuard:
    guard: FloodGuard = request.app.state.webchat_flood_guard
    return guard


def watch_floods(request: Request, service: Any, *, address: str, new_session: bool, handled: Handled) -> None:
    """Count the new session and the case this message opened; flag the case when over a limit.

    Runs after the engine committed the reply, which it never changes: the person gets the
    same answer over a limit as under it.
    """
    guard, ip = _guard(request), client_ip(request)
    reasons = guard.session_started(ip=ip, session=address) if new_session else []
    if not (handled.case_opened and handled.case_number):
        return
    reasons += guard.case_opened(ip=ip, session=address)
    if not reasons:
        return
    with unit_of_work(service.db) as s:
        case_spam.flag_suspected_spam(s, number=handled.case_number, reason="; ".join(dict.fromkeys(reasons)))
    if guard.first_warning():
        log.warning("web chat flood limits exceeded: new cases are flagged as possible spam (case %s)",
                    handled.case_number)
