"""Scale-out: the WhatsApp webhook path on PostgreSQL with two workers, beside one worker on SQLite,
measured in the same run with the same load (bounded in count and time). What is timed is the
acknowledgement (signature check and inbox insert); the engine runs behind it in each worker.

PostgreSQL comes from HELPDESK_BENCH_PG_URL (an admin URL; a scratch database is created and
dropped) or postgres:postgres@127.0.0.1; without a reachable server that half is skipped, saying so.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import bench_webhooks as wh
from benchmarks.common import percentile

REQUESTS = 1500
CONCURRENCY = 20
PG_ADMIN = os.environ.get("HELPDESK_BENCH_PG_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")


def load_round_robin(bases: list[str], requests: list[wh.Params]) -> dict:
    from twilio.request_validator import RequestValidator

    from tests.channels.fake_twilio import AUTH_TOKEN

    validator = RequestValidator(AUTH_TOKEN)
    url = wh.PUBLIC_URL + wh.WEBHOOK_PATH

    async def run() -> tuple[list[float], float]:
        queue: asyncio.Queue = asyncio.Queue()
        for params in requests:
            queue.put_nowait((params, validator.compute_signature(url, params)))
        latencies: list[float] = []

        async def client_loop(base: str) -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                while not queue.empty():
                    params, signature = queue.get_nowait()
                    t = time.perf_counter()
                    r = await client.post("/webhooks/whatsapp", data=params, headers={"X-Twilio-Signature": signature})
                    r.raise_for_status()
                    latencies.append((time.perf_counter() - t) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(client_loop(bases[i % len(bases)]) for i in range(CONCURRENCY)))
        return latencies, time.perf_counter() - start

    latencies, wall = asyncio.run(run())
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "rps": len(latencies) / wall}


def scratch_pg() -> str | None:
    try:
        engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"helpdesk_bench_{uuid.uuid4().hex[:8]}"
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    except Exception as exc:  # no server here: say so and measure the rest
        print(f"  PostgreSQL half skipped: {type(exc).__name__} connecting to the bench server")
        return None


def drop_pg(url: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def measure(env: dict[str, str], workers: int, seed: int) -> dict:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        bases = []
        for _ in range(workers):  # one after the other: the first migrates
            proc, base = wh.start_server("real", env)
            procs.append(proc)
            bases.append(base)
        load_round_robin(bases, wh.build_requests(100, seed + 100))  # warm-up
        return load_round_robin(bases, wh.build_requests(REQUESTS, seed))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

    tmp = tempfile.mkdtemp(prefix="bench-scale-")
    env = {**os.environ, "PYTHONPATH": str(wh.ROOT), "NO_PROXY": "127.0.0.1,localhost",
           "HELPDESK_PUBLIC_URL": wh.PUBLIC_URL, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886"}
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        env.pop(name, None)
    twilio_proc, twilio = wh.start_server("twilio", env, health="/_fake/stats")
    env["HELPDESK_TWILIO_API_URL"] = twilio
    print(f"  {REQUESTS} signed webhooks, {CONCURRENCY} concurrent clients, {os.cpu_count()} CPUs shared by all")
    try:
        sqlite = measure({**env, "HELPDESK_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}, 1, 3)
        print(f"  SQLite, 1 worker          p50 {sqlite['p50']:7.1f} ms   p99 {sqlite['p99']:7.1f} ms   "
              f"{sqlite['rps']:6.0f} req/s")
        pg = scratch_pg()
        if pg:
            try:
                two = measure({**env, "HELPDESK_DATABASE_URL": pg}, 2, 4)
            finally:
                drop_pg(pg)
            print(f"  PostgreSQL, 2 workers     p50 {two['p50']:7.1f} ms   p99 {two['p99']:7.1f} ms   "
                  f"{two['rps']:6.0f} req/s")
            print(f"  ratio PostgreSQL x2 / SQLite x1: throughput x{two['rps'] / sqlite['rps']:.2f}, "
                  f"p99 x{two['p99'] / sqlite['p99']:.2f}")
    finally:
        twilio_proc.terminate()
        twilio_proc.wait(10)


if __name__ == "__main__":
    main()
