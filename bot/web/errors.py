"""The exceptions of the web console's sign-in: no session, too many attempts, a full password pool."""

from __future__ import annotations


class LoginRequired(Exception):
    """No valid console session: pages redirect to the login form, other requests get 401."""


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class PasswordPoolBusy(Exception):
    """More password checks are waiting than the pool accepts; the caller asks to try again shortly."""
