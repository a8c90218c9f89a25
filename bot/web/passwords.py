"""Passwords: Argon2 hashing (pwdlib), the pool it runs on in the web app, and the password policy.

Tests set cheaper Argon2 parameters via HELPDESK_FAST_HASH.

The web app checks passwords on a `PasswordPool`: a few threads of its own, so a burst of
sign-ins waits there instead of occupying the thread pool that serves the web chat,
webhooks and console pages (an Argon2 check takes ~0.1 s of CPU and 64 MB). Its threads run
at a lower CPU priority (Linux: nice 10, inherited by Argon2's own lane threads), so under a
burst the chat gets the processor first and password checks take what is left.

The policy (`password_problem`) follows NIST SP 800-63B: a minimum length, no composition
rules, and a refusal of passwords attackers try first. The list of those is short and ships
here (no network); a listed word with digits or symbols around it, or repeated, is refused too.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from bot.web.errors import PasswordPoolBusy

MIN_LENGTH = 12
MAX_LENGTH = 200  # sign-in reads at most this much of what is typed

_T = TypeVar("_T")


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


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password matches: checking unknown usernames against it takes as long as a real check."""
    return hash_password(secrets.token_urlsafe(16))


def new_password() -> str:
    return secrets.token_urlsafe(12)


# --- the pool the web app hashes on --------------------------------------------------------------


def _lower_priority() -> None:
    try:  # Linux: the nice value is per thread, and threads started from this one inherit it
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):  # another system: the pool's bound still holds
        pass


NICE = 10


class PasswordPool:
    """Argon2 on `workers` threads of its own, with at most `queue` more checks waiting."""

    def __init__(self, *, workers: int = 2, queue: int = 16) -> None:
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None  # started on first use, again after shutdown()
        self._capacity = workers + queue
        self._pending = 0
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., _T], *args: object, trusted: bool = False) -> _T:
        """`fn(*args)` on the pool; PasswordPoolBusy at once when it is full, unless `trusted` (a
        client that signed in to the account before): that one queues anyway, so a flood of
        strangers' guesses cannot keep the real officer out."""
        with self._lock:
            if self._pending >= self._capacity and not trusted:
                raise PasswordPoolBusy()
            self._pending += 1
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="argon2",
                                                    initializer=_lower_priority)
            executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        finally:
            with self._lock:
                self._pending -= 1

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Check a password; None (no such account) checks against a dummy hash and fails."""
        return bool(await self.run(verify_or_dummy, password, password_hash))

    async def hash(self, password: str) -> str:
        return str(await self.run(hash_password, password))

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def verify_or_dummy(password: str, password_hash: str | None) -> bool:
    """Check a password; None (no such account) checks against a dummy hash, to take as long, and fails."""
    # verify_password is looked up at call time, so a test can count the calls by replacing it
    ok = verify_password(password, password_hash or dummy_hash())
    return ok and password_hash is not None


# --- policy --------------------------------------------------------------------------------------

# The passwords attackers try first (the top of the public breach lists), the Indonesian ones
# that lead the local lists, and words of this service. Lower case; compared after removing
# digits and symbols at either end and a repetition (so "Password2024!" and "qwertyqwerty" count).
COMMON = frozenset("""
123456 password 123456789 12345678 12345 qwerty 1234567 111111 1234567890 123123 abc123 1234
password1 iloveyou 1q2w3e4r 000000 qwerty123 zaq12wsx dragon sunshine princess letmein 654321
monkey 1qaz2wsx 123321 qwertyuiop superman asdfghjkl trustno1 football baseball welcome admin
master shadow michael jennifer hunter starwars whatever freedom charlie login passw0rd p@ssw0rd
p@ssword pa$$word passwd pass access flower loveme qazwsx mustang batman ninja azerty 121212
987654321 1q2w3e 1q2w3e4r5t 1qazxsw2 q1w2e3r4 q1w2e3r4t5 q1w2e3r4t5y6 aa123456 password123
administrator root toor changeme default guest test tester secret love lovely iloveu cookie
chocolate pokemon naruto samsung computer internet google facebook instagram liverpool chelsea
arsenal manchester barcelona realmadrid juventus jordan killer soccer hello asdf asdfgh zxcvbn
zxcvbnm 1234qwer qwer1234 abcd1234 123qwe qwe123 qweasd qweasdzxc 123qweasd 123qweasdzxc
1qaz2wsx3edc zxcv myspace summer winter spring autumn daniel jessica ashley thomas robert andrew
matthew joshua michelle nicole anthony justin tigger buster harley ranger maggie ginger pepper
cheese banana orange purple silver golden diamond angel angels blessed jesus trustme
mypassword nopassword superstar rockstar princesa flowers butterfly sweetheart lovers friends
family forever number qwertyu asdfg lol lollol hahaha abcdef abcdefg abcdefgh abc qwertz
welkom welcome1 letmein1 iloveyou1 monkey1 dragon1 michael1 baseball1 football1 shadow1
sayang sayangku sayangkamu akusayangkamu cinta cintaku cintakamu bismillah alhamdulillah
subhanallah insyaallah indonesia indonesiaraya merdeka garuda pancasila jakarta surabaya bandung
semarang medan makassar batam kepri tanjungpinang bintan karimun rahasia rahasiaku katasandi
sandi kucing anjing ganteng cantik doraemon persib persija arema bonek mamah mama papa ibu bapak
keluarga barokah berkah sukses semangat kangen rindu asdasd qweqwe bangkit bahagia selamat
migrant migrantcenter pmi tki tkw bp2mi bp3mi kp2mi kemnaker helpdesk konsol petugas officer
supervisor pengaduan layanan
""".split())

# sequences whose stretches (forwards or backwards) are not passwords: alphabet, digits, keyboard walks
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "1q2w3e4r5t6y7u8i9o0p",
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")

PROBLEMS_ID = {
    "too_short": f"Kata sandi minimal {MIN_LENGTH} karakter. Gabungan beberapa kata mudah diingat dan sulit ditebak.",
    "too_long": f"Kata sandi maksimal {MAX_LENGTH} karakter.",
    "common": "Kata sandi ini termasuk yang paling sering dipakai dan mudah ditebak. Pilih yang lain.",
    "simple": "Kata sandi ini terlalu sederhana (karakter berulang atau berurutan). Pilih yang lain.",
    "username": "Kata sandi tidak boleh memuat nama pengguna.",
}
PROBLEMS_EN = {
    "too_short": f"the password must have at least {MIN_LENGTH} characters",
    "too_long": f"the password must have at most {MAX_LENGTH} characters",
    "common": "the password is one of the most common ones; choose another",
    "simple": "the password is too simple (repeated or sequential characters)",
    "username": "the password must not contain the username",
}


def _unit(text: str) -> str:
    """The shortest block `text` repeats ("abab" -> "ab"); `text` itself if it is no repetition."""
    i = (text + text).find(text, 1)
    return text[:i] if 0 < i < len(text) else text


def _is_run(text: str) -> bool:
    return any(text in run * 3 or text in (run * 3)[::-1] for run in _RUNS)


def password_problem(password: str, *, username: str = "") -> str | None:
    """What makes `password` unusable (a key of PROBLEMS_ID / PROBLEMS_EN), or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    low = password.lower()
    if len(set(low)) < 5 or _is_run(low):
        return "simple"
    name = username.strip().lower()
    if len(name) >= 3 and name in low:
        return "username"
    core = _unit(_EDGES.sub("", low))
    if low in COMMON or _unit(low) in COMMON or core in COMMON or (core and _is_run(core) and len(core) < 8):
        return "common"
    return None
