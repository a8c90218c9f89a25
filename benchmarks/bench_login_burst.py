"""A web-chat message while 200 wrong console logins arrive at once: does the chat still answer in time?

    python benchmarks/bench_login_burst.py            (part of `make bench`)

The service runs as `helpdesk serve` does (uvicorn, one worker, SQLite, production Argon2
parameters: ~0.1 s and 64 MB a check) in a subprocess. The load comes through the address
of a trusted proxy (127.0.0.1, as config.yaml ships) with a different client in
X-Forwarded-For for every login and invented usernames: the worst case for the server, as
no per-client or per-account limit stops any of them before Argon2; only the password
pool's own bound does (`console.login.hash_workers` threads, `hash_queue` waiting).

Phases: web-chat messages on a quiet server (12 people, a message every 0.2 s), then the same
while waves of 200 concurrent wrong logins arrive (a new wave every second, each from new
addresses). Printed: the chat's p50/p99 in both phases (target: p99 during the burst
<= 1000 ms), and what happened to the logins (checked and refused = 401, asked to come back
because the pool was full = 429). Bounded: well under 60 s.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from benchmarks.common import percentile, report  # noqa: E402

BURST = 200  # concurrent wrong logins per wave
WAVES = 6  # one a second
PEOPLE = 12  # web-chat sessions, each with its own address
CHAT_INTERVAL = 0.2  # seconds between chat messages (over all people)
QUIET_MESSAGES = 30
TEXTS = ["apa syarat jadi pmi?", "berapa biaya penempatan ke taiwan", "bagaimana cara membuat paspor",
         "halo", "menu", "apa itu bp2mi"]
TARGET_MS = 1000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int) -> None:
    """The subprocess: one officer account (so no first-admin file is written), then `helpdesk serve`."""
    from bot.web.passwords import hash_password
    from bot.web.server import serve as run
    from bot.service import build_service
    from bot.settings import load_settings
    from storage import officers
    from storage.db import unit_of_work

    settings = load_settings(ROOT / "config.yaml")
    service = build_service(settings)
    with unit_of_work(service.db) as s:
        if officers.by_username(s, "petugas") is None:
            officers.add_officer(s, username="petugas", password_hash=hash_password("kopi-tubruk-pagi"),
                                 role="officer")
    service.db.dispose()
    run(settings, host="127.0.0.1", port=port)


def start(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log_path.open("wb") as log:  # the child keeps its own handle
        proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def chat(base: str, count: int, people: list[httpx.AsyncClient]) -> list[float]:
    """`count` messages, one every CHAT_INTERVAL, round the people; milliseconds each."""
    latencies: list[float] = []

    async def one(person: httpx.AsyncClient, text: str) -> None:
        t = time.perf_counter()
        r = await person.post(f"{base}/try/api/messages", json={"text": text})
        r.raise_for_status()
        latencies.append((time.perf_counter() - t) * 1000)

    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one(people[i % len(people)], TEXTS[i % len(TEXTS)])))
        await asyncio.sleep(CHAT_INTERVAL)
    await asyncio.gather(*tasks)
    return latencies


async def raw_post(port: int, request: bytes) -> int:
    """One request on its own connection (Connection: close); the status code. A bare asyncio client:
    httpx would spend about as much CPU a request as the server, on the same two cores."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # to the end: the server closes
        return int(status_line.split()[1])
    finally:
        writer.close()


def login_request(port: int, n: int, token: str, cookie: str) -> bytes:
    body = urllib.parse.urlencode({"username": f"tebak{n}", "password": "salah-lagi", "csrf_token": token}).encode()
    head = (f"POST /console/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"X-Forwarded-For: 10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}\r\n"
            f"Cookie: mc_login_csrf={cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def logins(base: str) -> tuple[Counter[int], list[float]]:
    """WAVES waves of BURST concurrent wrong logins, a wave a second, every login from a new address."""
    port = int(base.rsplit(":", 1)[1])
    async with httpx.AsyncClient() as browser:
        form = await browser.get(f"{base}/console/login")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        cookie = browser.cookies["mc_login_csrf"]
    numbers = itertools.count(1)
    waves = [[login_request(port, next(numbers), token, cookie) for _ in range(BURST)] for _ in range(WAVES)]
    statuses: Counter[int] = Counter()
    latencies: list[float] = []

    async def one(request: bytes) -> None:
        t = time.perf_counter()
        statuses[await raw_post(port, request)] += 1
        latencies.append((time.perf_counter() - t) * 1000)

    running = []
    for wave in waves:
        running.append(asyncio.gather(*(one(r) for r in wave)))
        await asyncio.sleep(1.0)
    await asyncio.gather(*running)
    return statuses, latencies


async def measure(base: str) -> None:
    people = [httpx.AsyncClient(timeout=30, headers={"X-Forwarded-For": f"192.0.2.{i + 1}"}) for i in range(PEOPLE)]
    try:
        await chat(base, PEOPLE, people)  # warm-up: every person's first message opens their session
        quiet = await chat(base, QUIET_MESSAGES, people)
        burst_task = asyncio.create_task(logins(base))
        await asyncio.sleep(0.3)  # the first wave is in
        during = await chat(base, int(WAVES / CHAT_INTERVAL) - 2, people)
        statuses, login_ms = await burst_task
    finally:
        for p in people:
            await p.aclose()
    report("web-chat message, quiet", quiet)
    report(f"web-chat message, {BURST} logins/s arriving", during,
           f"(target p99 <= {TARGET_MS:.0f} ms: {'met' if percentile(during, 99) <= TARGET_MS else 'MISSED'})")
    report("wrong login (answer time)", login_ms,
           f"checked+refused (401) {statuses[401]}, pool full (429) {statuses[429]}, other "
           f"{sum(v for k, v in statuses.items() if k not in (401, 429))}")


def main() -> None:
    began = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="bench-login-")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
           "HELPDESK_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "HELPDESK_SCHEDULER": "off"}
    for name in ("HELPDESK_FAST_HASH", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TWILIO_AUTH_TOKEN",
                 "HELPDESK_PUBLIC_URL"):
        env.pop(name, None)  # production Argon2; no channel that would reach the network
    proc, base = start(env, Path(tmp) / "server.log")
    try:
        print(f"  {WAVES} waves of {BURST} concurrent wrong logins (new address each, via the trusted proxy "
              f"address), web chat from {PEOPLE} people every {CHAT_INTERVAL} s; uvicorn 1 worker, SQLite, "
              f"production Argon2; {os.cpu_count()} CPUs shared with the load generator")
        asyncio.run(measure(base))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"  total {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
