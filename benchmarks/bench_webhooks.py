"""The WhatsApp webhook under load on loopback, beside a bare FastAPI endpoint measured in the same run.

Two uvicorn servers run in subprocesses (one worker each): the real app (signature check,
engine with SQLite, outbox dispatcher sending to a fake Twilio API) and a bare FastAPI app
whose endpoint reads the same form and answers the same empty TwiML. CONCURRENCY httpx
clients post REQUESTS pre-signed webhooks to each (about 5 % are redeliveries of an earlier
MessageSid, as Twilio's retries would be). Prints p50/p99 latency, throughput and the ratio
real/bare, then checks every non-duplicate webhook got its reply through the fake Twilio.

    python benchmarks/bench_webhooks.py            (part of `make bench`)
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx

from benchmarks.common import percentile

REQUESTS = 3000
WARMUP = 100
CONCURRENCY = 50
SENDERS = 400  # ~8 messages each: below the engine's per-person flood limit (20 a minute)
DUPLICATE_SHARE = 0.05
DEADLINE = 80.0  # seconds for the whole run; the load stops early (and says so) past it
PUBLIC_URL = "https://helpdesk.example.org"
TEXTS = ["apa syarat jadi pmi?", "halo", "berapa biaya penempatan ke taiwan", "cek PT Sinar Jaya Abadi", "1",
         "bagaimana cara membuat paspor", "menu", "gaji saya belum dibayar tiga bulan"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the servers (run in subprocesses) ----------------------------------------------------------------------


def serve_real(port: int) -> None:
    import logging

    import uvicorn

    from bot.app import create_app
    from bot.service import build_service
    from bot.settings import load_settings

    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(ROOT / "config.yaml")
    uvicorn.run(create_app(settings, build_service(settings)), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)


def serve_bare(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> Response:
        await request.form()
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response/>', media_type="application/xml")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(kind: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


# --- the load -----------------------------------------------------------------------------------------------


def build_requests(n: int, seed: int) -> list[tuple[dict[str, str], str]]:
    from twilio.request_validator import RequestValidator

    from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    url = PUBLIC_URL + "/webhooks/whatsapp"
    senders = [f"+62812{seed:02d}{i:06d}" for i in range(SENDERS)]
    out: list[tuple[dict[str, str], str]] = []
    for i in range(n):
        if out and rng.random() < DUPLICATE_SHARE:
            out.append(rng.choice(out))  # Twilio's retry of an earlier delivery
            continue
        params = {"From": f"whatsapp:{rng.choice(senders)}", "To": "whatsapp:+14155238886", "Body": rng.choice(TEXTS),
                  "MessageSid": "SM" + uuid.UUID(int=rng.getrandbits(128)).hex, "AccountSid": ACCOUNT_SID,
                  "NumMedia": "0", "ProfileName": "Bench"}
        out.append((params, validator.compute_signature(url, params)))
    return out


async def load(base: str, requests: list[tuple[dict[str, str], str]], deadline: float) -> tuple[list[float], float, dict]:
    queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty() and time.monotonic() < deadline:
                params, signature = queue.get_nowait()
                t = time.perf_counter()
                r = await client.post("/webhooks/whatsapp", data=params, headers={"X-Twilio-Signature": signature})
                latencies.append((time.perf_counter() - t) * 1000)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        wall = time.perf_counter() - start
    return latencies, wall, statuses


def run_load(name: str, base: str, seed: int, deadline: float) -> dict:
    asyncio.run(load(base, build_requests(WARMUP, seed + 100), deadline))
    requests = build_requests(REQUESTS, seed)
    latencies, wall, statuses = asyncio.run(load(base, requests, deadline))
    done = len(latencies)
    result = {"name": name, "n": done, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
              "rps": done / wall if wall else 0.0, "statuses": statuses, "requests": requests[:done],
              "complete": done == len(requests)}
    print(f"  {name:34s} p50 {result['p50']:7.1f} ms   p99 {result['p99']:7.1f} ms   "
          f"{result['rps']:7.0f} req/s   n={done} statuses={statuses}"
          + ("" if result["complete"] else "   (stopped at the deadline)"))
    return result


def main() -> None:
    from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

    began = time.monotonic()
    deadline = began + DEADLINE
    fake = FakeTwilio().start()
    tmp = tempfile.mkdtemp(prefix="bench-webhooks-")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
           "HELPDESK_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "HELPDESK_PUBLIC_URL": PUBLIC_URL,
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "HELPDESK_TWILIO_API_URL": fake.url,
           "HELPDESK_SCHEDULER": "off"}
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        env.pop(name, None)
    procs = []
    try:
        bare_proc, bare = start_server("bare", env)
        procs.append(bare_proc)
        real_proc, real = start_server("real", env)
        procs.append(real_proc)
        print(f"  {REQUESTS} signed webhooks, {CONCURRENCY} concurrent clients, {SENDERS} senders, "
              f"~{DUPLICATE_SHARE:.0%} redeliveries; uvicorn, 1 worker each; SQLite")
        bare_result = run_load("bare FastAPI endpoint (form + TwiML)", bare, 1, deadline)
        real_result = run_load("WhatsApp webhook (full path)", real, 2, deadline)
        print(f"  ratio real/bare: p50 x{real_result['p50'] / bare_result['p50']:.1f}   "
              f"p99 x{real_result['p99'] / bare_result['p99']:.1f}   "
              f"throughput x{bare_result['rps'] / max(real_result['rps'], 1e-9):.1f} lower")
        # every distinct delivery should get its replies through the outbox; redeliveries none
        distinct = {p["MessageSid"] for p, _ in real_result["requests"]}
        t = time.monotonic()
        while time.monotonic() < deadline + 10 and len({m["To"] for m in fake.messages}) < 1:
            time.sleep(0.1)
        last, stable = -1, 0
        while time.monotonic() < deadline + 10 and stable < 10:
            now = len(fake.messages)
            stable = stable + 1 if now == last else 0
            last = now
            time.sleep(0.2)
        print(f"  outbox: {len(fake.messages)} replies reached the fake Twilio for {len(distinct)} distinct "
              f"webhooks (drained {time.monotonic() - t:.1f} s after the load)")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        fake.stop()
    print(f"  total {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        (serve_real if sys.argv[2] == "real" else serve_bare)(int(sys.argv[3]))
    else:
        main()
