"""The WhatsApp webhook under load on loopback, beside a bare FastAPI endpoint measured in the same run.

Three subprocesses: the real app under uvicorn (signature check, engine on SQLite, outbox
dispatcher sending through the real twilio client), a bare FastAPI app under uvicorn whose
endpoint reads the same form and answers the same empty TwiML, and the fake Twilio API.
CONCURRENCY httpx clients (one connection each) post REQUESTS pre-signed webhooks to each server (about 5 % are
redeliveries of an earlier MessageSid, as Twilio's retries would be). Prints p50/p99 latency,
throughput and the ratio real/bare, then how long the outbox took to send every reply.
The whole run stops by DEADLINE seconds.

    python benchmarks/bench_webhooks.py            (part of `make bench`)
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from benchmarks.common import percentile

REQUESTS = 2500
WARMUP = 100
CONCURRENCY = 50
SENDERS = 400  # ~6 messages each: below the engine's per-person flood limit (20 a minute)
DUPLICATE_SHARE = 0.05
DEADLINE = 85.0  # seconds for the whole run
LOAD_BUDGET = 65.0  # the load stops (and says so) past this point; the rest is for the outbox to drain
PUBLIC_URL = "https://helpdesk.example.org"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
TEXTS = ["apa syarat jadi pmi?", "halo", "berapa biaya penempatan ke taiwan", "cek PT Sinar Jaya Abadi", "1",
         "bagaimana cara membuat paspor", "menu", "gaji saya belum dibayar tiga bulan"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the servers (each runs in its own subprocess) ----------------------------------------------------------


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


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> Response:
        await request.form()
        return Response(TWIML, media_type="application/xml")

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_twilio(port: int) -> None:
    from tests.channels.fake_twilio import FakeTwilio

    FakeTwilio(port=port).start()
    while True:
        time.sleep(3600)


def start_server(kind: str, env: dict[str, str], health: str = "/healthz") -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(base + health, timeout=1).status_code == 200:
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
    for _ in range(n):
        if out and rng.random() < DUPLICATE_SHARE:
            out.append(rng.choice(out))  # Twilio's retry of an earlier delivery
            continue
        params = {"From": f"whatsapp:{rng.choice(senders)}", "To": "whatsapp:+14155238886", "Body": rng.choice(TEXTS),
                  "MessageSid": "SM" + uuid.UUID(int=rng.getrandbits(128)).hex, "AccountSid": ACCOUNT_SID,
                  "NumMedia": "0", "ProfileName": "Bench"}
        out.append((params, validator.compute_signature(url, params)))
    return out


async def load(base: str, requests: list[tuple[dict[str, str], str]], stop_at: float) -> tuple[list[float], float,
                                                                                                  dict[int, int]]:
    queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client_loop() -> None:
        # one client (one keep-alive connection) per simulated sender: a single httpx pool of 50
        # connections costs the client more CPU than the bare server spends (measured: 142 vs 269 req/s)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while not queue.empty() and time.monotonic() < stop_at:
                params, signature = queue.get_nowait()
                t = time.perf_counter()
                r = await client.post("/webhooks/whatsapp", data=params, headers={"X-Twilio-Signature": signature})
                latencies.append((time.perf_counter() - t) * 1000)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(CONCURRENCY)))
    wall = time.perf_counter() - start
    return latencies, wall, statuses


def run_load(name: str, base: str, seed: int, stop_at: float) -> dict:
    asyncio.run(load(base, build_requests(WARMUP, seed + 100), stop_at))
    requests = build_requests(REQUESTS, seed)
    latencies, wall, statuses = asyncio.run(load(base, requests, stop_at))
    done = len(latencies)
    result = {"n": done, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
              "rps": done / wall if wall else 0.0, "requests": requests[:done]}
    print(f"  {name:36s} p50 {result['p50']:7.1f} ms   p99 {result['p99']:7.1f} ms   "
          f"{result['rps']:6.0f} req/s   n={done} HTTP {statuses}"
          + ("" if done == len(requests) else "   (stopped at the time limit)"))
    return result


def outbox_counts(db_path: str) -> dict[str, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def main() -> None:
    from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

    began = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="bench-webhooks-")
    db_path = f"{tmp}/bench.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
           "HELPDESK_DATABASE_URL": f"sqlite:///{db_path}", "HELPDESK_PUBLIC_URL": PUBLIC_URL,
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "HELPDESK_SCHEDULER": "off"}
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        env.pop(name, None)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        twilio_proc, twilio = start_server("twilio", env, health="/_fake/stats")
        procs.append(twilio_proc)
        env["HELPDESK_TWILIO_API_URL"] = twilio
        bare_proc, bare = start_server("bare", env)
        procs.append(bare_proc)
        real_proc, real = start_server("real", env)
        procs.append(real_proc)
        print(f"  {REQUESTS} signed webhooks per server, {CONCURRENCY} concurrent httpx clients, {SENDERS} senders, "
              f"~{DUPLICATE_SHARE:.0%} redeliveries; uvicorn 1 worker; SQLite; {os.cpu_count()} CPUs shared by all")
        stop_at = began + LOAD_BUDGET
        bare_result = run_load("bare FastAPI endpoint (form + TwiML)", bare, 1, stop_at)
        load_end = time.monotonic()
        real_result = run_load("WhatsApp webhook (full path)", real, 2, stop_at)
        load_end = time.monotonic()
        print(f"  ratio real/bare: p50 x{real_result['p50'] / bare_result['p50']:.1f}   "
              f"p99 x{real_result['p99'] / bare_result['p99']:.1f}   "
              f"throughput {real_result['rps'] / max(bare_result['rps'], 1e-9):.2f} of bare")
        distinct = len({p["MessageSid"] for p, _ in real_result["requests"]})
        counts = outbox_counts(db_path)
        while time.monotonic() < began + DEADLINE - 2 and (counts.get("pending", 0) or counts.get("sending", 0)):
            time.sleep(0.25)
            counts = outbox_counts(db_path)
        stats = httpx.get(twilio + "/_fake/stats", timeout=5).json()
        print(f"  outbox: {distinct} distinct webhooks -> {sum(counts.values())} replies {counts}, "
              f"{stats['messages']} at the fake Twilio; {time.monotonic() - load_end:.1f} s after the load ended")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"  total {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        {"real": serve_real, "bare": serve_bare, "twilio": serve_twilio}[sys.argv[2]](int(sys.argv[3]))
    else:
        main()
