"""Password hashing (Argon2 through pwdlib). Tests set cheaper parameters via HELPDESK_FAST_HASH."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@lru_cache(maxsize=1)
def hasher() -> PasswordHash:
    if os.environ.get("HELPDESK_FAST_HASH") == "1":
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a crash
        return False


def new_password() -> str:
    return secrets.token_urlsafe(12)
