"""The realistic load (issue 13): WhatsApp webhooks at 100/s for 60 s from 400 senders, as `helpdesk`
runs in production shapes, with replies going to the fake Twilio API (tests/channels/fake_twilio.py).

Shapes, each on a fresh database:
  sqlite, serve                       one `helpdesk serve` (web, inbox, outbox, jobs: the embedded default)
  sqlite, serve + worker              `helpdesk serve --no-workers` and `helpdesk worker`
  postgresql, 2 serve + 1 worker      on a local PostgreSQL started for the run (skipped, saying why,
                                      when the server binaries are missing)

For each: acknowledgement p50/p99 (from the scheduled send: an open loop, so a slow server cannot
hide its delay), the reply's arrival at the fake Twilio after its webhook p50/p99, and the backlog
(inbox rows + open outbox rows) 5 s after the load ends. Then a 10 s burst at 500/s: the time from
the end of the burst until the last reply is out. A bare FastAPI endpoint under the same 100/s is
measured once, for reference only.

Matching replies to webhooks: the fake Twilio logs the arrival time of every message by recipient;
each person's webhooks are matched in order to the first reply that arrived after it (a
redelivered MessageSid, ~5 %, is acknowledged but not matched: it gets no reply of its own).

    python benchmarks/bench_realistic.py                       (part of `make bench`)
    HELPDESK_BENCH_SECONDS=10 python benchmarks/bench_realistic.py   a quick check: 10 s load, 2 s burst
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import create_engine, text

from benchmarks import bench_webhooks as wh
from benchmarks.common import percentile

SECONDS = float(os.environ.get("HELPDESK_BENCH_SECONDS", "60"))
RATE = 100.0
BURST_RATE = 500.0
BURST_SECONDS = 10.0 * SECONDS / 60
BACKLOG_AFTER = 5.0
DRAIN_LIMIT = 180.0  # seconds the burst's replies get before the run gives up and reports what is left
CONCURRENCY = 200  # connections at most: a slow answer makes the next request open another
HELPDESK = str(Path(sys.executable).parent / "helpdesk")
PG_BIN = [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]
ACK_TARGET, REPLY_TARGET = 50.0, 2000.0  # ms


# --- the fake Twilio that logs arrival times (its own process) ---------------------------------------------


def serve_twilio(port: int, log_path: str) -> None:
    from tests.channels.fake_twilio import FakeTwilio

    out = open(log_path, "a", buffering=1, encoding="utf-8")

    class Logging(FakeTwilio):
        def _create(self, form):  # type: ignore[no-untyped-def]
            status, body = super()._create(form)
            if status == 201:
                out.write(f"{time.time():.6f}\t{form.get('To', '')}\n")
            return status, body

    Logging(port=port).start()
    while True:
        time.sleep(3600)


def arrivals(log_path: str) -> dict[str, list[float]]:
    by_to: dict[str, list[float]] = defaultdict(list)
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            t, _, to = line.rstrip("\n").partition("\t")
            if to:
                by_to[to].append(float(t))
    for times in by_to.values():
        times.sort()
    return by_to


# --- processes -----------------------------------------------------------------------------------------------


@dataclass
class Procs:
    folder: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, args: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = open(Path(self.folder) / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def wait_http(self, proc: subprocess.Popen[bytes], url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url}: process exited with {proc.returncode} (logs in {self.folder})")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer (logs in {self.folder})")

    def wait_log(self, proc: subprocess.Popen[bytes], name: str, needle: str, timeout: float = 90) -> None:
        deadline, path = time.monotonic() + timeout, Path(self.folder) / f"{name}.log"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode} (log {path})")
            if needle in path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not start (log {path})")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()


class LocalPostgres:
    """A throw-away PostgreSQL cluster (initdb in a temporary folder, its own port); as root it runs as `postgres`."""

    def __init__(self) -> None:
        self.bin = next((b for b in PG_BIN if (b / "initdb").exists() and (b / "pg_ctl").exists()), None)
        self.folder = ""
        self.port = wh.free_port()

    def _run(self, *args: str) -> None:
        cmd = " ".join(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            subprocess.run(["su", "postgres", "-c", cmd], check=True, capture_output=True, timeout=120)
        else:
            subprocess.run(["sh", "-c", cmd], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) found")
        self.folder = tempfile.mkdtemp(prefix="bench-pg-")
        os.chmod(self.folder, 0o777)
        data = f"{self.folder}/data"
        self._run(f"{self.bin}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(f"{self.bin}/pg_ctl", "-D", data, "-l", f"{self.folder}/pg.log", "-w", "-o",
                  f"'-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300'", "start")
        url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE helpdesk_bench"))
        engine.dispose()
        return url.rsplit("/", 1)[0] + "/helpdesk_bench"

    def stop(self) -> None:
        if self.folder and self.bin is not None:
            with contextlib.suppress(subprocess.SubprocessError):
                self._run(f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-m", "fast", "stop")
            shutil.rmtree(self.folder, ignore_errors=True)


# --- load ------------------------------------------------------------------------------------------------------


@dataclass
class Load:
    acks: list[float] = field(default_factory=list)  # ms from the scheduled send
    failed: int = 0
    sent_at: list[float] = field(default_factory=list)  # wall clock of each scheduled send


async def open_loop(ports: list[int], requests: list[bytes], rate: float) -> Load:
    """`rate` requests a second on schedule, round-robin over the servers, whatever the answers."""
    loop = asyncio.get_running_loop()
    load = Load(sent_at=[0.0] * len(requests))
    idle: dict[int, list[wh.Connection]] = {p: [] for p in ports}
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int, request: bytes, due: float) -> None:
        port = ports[i % len(ports)]
        async with slots:
            conn = idle[port].pop() if idle[port] else wh.Connection("127.0.0.1", port)
            try:
                status = await conn.send(request)
            except wh.SEND_ERRORS:
                conn.close()
                load.failed += 1
                return
            finally:
                idle[port].append(conn)
        load.acks.append((loop.time() - due) * 1000)
        if status != 200:
            load.failed += 1

    start, wall = loop.time(), time.time()
    tasks = []
    for i, request in enumerate(requests):
        due = start + i / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        load.sent_at[i] = wall + (due - start)
        tasks.append(asyncio.create_task(one(i, request, due)))
    await asyncio.gather(*tasks)
    for conns in idle.values():
        for conn in conns:
            conn.close()
    return load


def reply_latencies(requests: list[wh.Params], sent_at: list[float], by_to: dict[str, list[float]]) -> list[float]:
    """ms from each (first) webhook to the first reply to its sender that arrived after it, in order per sender."""
    seen: set[str] = set()
    by_sender: dict[str, list[float]] = defaultdict(list)
    for params, t in zip(requests, sent_at):
        if params["MessageSid"] in seen:
            continue  # a redelivery: acknowledged, handled once
        seen.add(params["MessageSid"])
        by_sender[params["From"]].append(t)
    out: list[float] = []
    for sender, webhooks in by_sender.items():
        times, j = by_to.get(sender, []), 0
        for w in webhooks:
            j = bisect.bisect_right(times, w, lo=j)
            if j < len(times):
                out.append((times[j] - w) * 1000)
                j += 1
            else:
                out.append(float("inf"))  # no reply by the end of the run
    return out


def over_flood_limit(requests: list[wh.Params], sent_at: list[float], per_minute: int = 20) -> int:
    """First deliveries beyond a person's `per_minute` in the minute before (limits.messages_per_minute):
    the engine stores them and answers with one notice a minute, so most show up as webhooks without a reply."""
    seen: set[str] = set()
    by_sender: dict[str, list[float]] = defaultdict(list)
    over = 0
    for params, t in zip(requests, sent_at):
        if params["MessageSid"] in seen:
            continue
        seen.add(params["MessageSid"])
        times = by_sender[params["From"]]
        times.append(t)
        over += len(times) - bisect.bisect_left(times, t - 60) > per_minute
    return over


def backlog(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM inbox")).scalar_one()
            n += conn.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")).scalar_one()
    finally:
        engine.dispose()
    return int(n)


def fmt(ms: list[float]) -> str:
    lost = sum(1 for x in ms if x == float("inf"))
    ranked = sorted(ms)  # nearest rank: a reply that never came counts as the slowest, not as nan
    p50, p99 = (ranked[min(len(ranked) - 1, int(len(ranked) * q))] if ranked else float("nan") for q in (0.50, 0.99))
    text_ = f"p50 {p50:7.1f} ms  p99 {p99:8.1f} ms" if p99 != float("inf") else f"p50 {p50:7.1f} ms  p99  (no reply)"
    return text_ + (f"  ({lost} without a reply at the end)" if lost else "")


# --- one shape -----------------------------------------------------------------------------------------------


def run_shape(name: str, database_url: str, serves: int, worker: bool, base_env: dict[str, str], seed: int) -> None:
    folder = tempfile.mkdtemp(prefix="bench-realistic-")
    procs = Procs(folder)
    twilio_log = f"{folder}/twilio.log"
    try:
        tw_port = wh.free_port()
        tw = procs.start([sys.executable, __file__, "--twilio", str(tw_port), twilio_log], base_env, "twilio")
        procs.wait_http(tw, f"http://127.0.0.1:{tw_port}/_fake/stats")
        env = {**base_env, "HELPDESK_FIRST_PASSWORD_FILE": f"{folder}/first-admin-password.txt",
               "HELPDESK_DATABASE_URL": database_url, "HELPDESK_TWILIO_API_URL": f"http://127.0.0.1:{tw_port}"}
        ports = []
        for i in range(serves):  # one after the other: the first migrates the database
            port = wh.free_port()
            args = [HELPDESK, "serve", "--host", "127.0.0.1", "--port", str(port)] + (["--no-workers"] if worker else [])
            proc = procs.start(args, env, f"serve-{i}")
            procs.wait_http(proc, f"http://127.0.0.1:{port}/healthz")
            ports.append(port)
        if worker:
            proc = procs.start([HELPDESK, "worker"], env, "worker")
            procs.wait_log(proc, "worker", "Worker running")

        n, burst_n = int(RATE * SECONDS), int(BURST_RATE * BURST_SECONDS)
        warm = wh.build_requests(50, seed)
        steady = wh.build_requests(n, seed + 1)
        burst = wh.build_requests(burst_n, seed + 2)
        asyncio.run(open_loop(ports, wh.encode(warm), 50))
        time.sleep(3)
        load = asyncio.run(open_loop(ports, wh.encode(steady), RATE))
        load_end = time.time()
        time.sleep(max(0.0, load_end + BACKLOG_AFTER - time.time()))
        left = backlog(database_url)
        replies = reply_latencies(steady, load.sent_at, arrivals(twilio_log))
        print(f"  {name}")
        print(f"    {RATE:.0f}/s for {SECONDS:.0f} s ({n} webhooks, {wh.SENDERS} senders): ack {fmt(load.acks)}"
              f"{f'  ({load.failed} not 200)' if load.failed else ''}")
        print(f"    reply at the fake Twilio after its webhook: {fmt(replies)}; "
              f"{over_flood_limit(steady, load.sent_at)} webhooks over a person's 20 a minute "
              "(the flood limit: one notice a minute, no answers)")
        print(f"    backlog {BACKLOG_AFTER:.0f} s after the load: {left} (inbox rows + open outbox rows)   "
              f"targets: ack p99 <= {ACK_TARGET:.0f} ms {'met' if percentile(load.acks, 99) <= ACK_TARGET else 'MISSED'}, "
              f"reply p99 <= {REPLY_TARGET / 1000:.0f} s "
              f"{'met' if sorted(replies)[int(len(replies) * 0.99)] <= REPLY_TARGET else 'MISSED'}, "
              f"no backlog {'met' if not left else 'MISSED'}")

        # let the steady phase finish before the burst
        deadline = time.monotonic() + DRAIN_LIMIT
        while backlog(database_url) and time.monotonic() < deadline:
            time.sleep(0.5)
        burst_load = asyncio.run(open_loop(ports, wh.encode(burst), BURST_RATE))
        burst_end = time.time()
        deadline = time.monotonic() + DRAIN_LIMIT
        while backlog(database_url) and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(1.0)  # the last send's arrival is logged as it is answered
        by_to = arrivals(twilio_log)
        last = max((t for times in by_to.values() for t in times), default=burst_end)
        left = backlog(database_url)
        burst_replies = reply_latencies(burst, burst_load.sent_at, by_to)
        print(f"    burst {BURST_RATE:.0f}/s for {BURST_SECONDS:.0f} s ({burst_n} webhooks): ack {fmt(burst_load.acks)}; "
              f"last reply out {max(last - burst_end, 0):.1f} s after the burst"
              + (f" ({left} still queued after {DRAIN_LIMIT:.0f} s)" if left else "")
              + f"; reply {fmt(burst_replies)}")
    finally:
        procs.stop()
        shutil.rmtree(folder, ignore_errors=True)


def bare_reference(base_env: dict[str, str]) -> None:
    proc, base = wh.start_server("bare", base_env)
    try:
        load = asyncio.run(open_loop([wh.port_of(base)], wh.encode(wh.build_requests(int(RATE * min(SECONDS, 20)), 9)),
                                     RATE))
        print(f"  reference only: a bare FastAPI endpoint (form + TwiML), {RATE:.0f}/s: ack {fmt(load.acks)}")
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

    began = time.monotonic()
    base_env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", "HELPDESK_PUBLIC_URL": wh.PUBLIC_URL,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "HELPDESK_FAST_HASH": "1"}
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "HELPDESK_WORKERS"):
        base_env.pop(name, None)
    print(f"  {os.cpu_count()} CPUs shared by everything (load generator, fake Twilio, servers, database)")
    shapes = os.environ.get("HELPDESK_BENCH_SHAPES", "sqlite,split,pg").split(",")
    tmp = tempfile.mkdtemp(prefix="bench-realistic-db-")
    try:
        if "sqlite" in shapes:
            run_shape("SQLite, `serve` alone (embedded default)", f"sqlite:///{tmp}/one.db", 1, False, base_env, 10)
        if "split" in shapes:
            run_shape("SQLite, `serve --no-workers` + `worker`", f"sqlite:///{tmp}/split.db", 1, True, base_env, 20)
        if "pg" in shapes:
            pg = LocalPostgres()
            try:
                url = pg.start()
            except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                print(f"  PostgreSQL, 2 serve + 1 worker: skipped ({exc})")
            else:
                try:
                    run_shape("PostgreSQL, 2 `serve --no-workers` + 1 `worker`", url, 2, True, base_env, 30)
                finally:
                    pg.stop()
        bare_reference(base_env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  total {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--twilio":
        serve_twilio(int(sys.argv[2]), sys.argv[3])
    else:
        main()
