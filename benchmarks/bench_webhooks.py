"""The WhatsApp webhook under load on loopback, beside a bare FastAPI endpoint measured in the same run.

Three subprocesses: the service as `helpdesk serve` runs it on SQLite (signature check, the
delivery stored in the inbox, then in the background the engine and the outbox dispatcher
sending through the real twilio client), a bare FastAPI app under uvicorn whose endpoint reads
the same form and answers the same empty TwiML, and the fake Twilio API.

The load generator is a small asyncio HTTP/1.1 client that writes pre-encoded, pre-signed
requests on keep-alive connections (httpx spends about as much CPU a request as the bare server,
so it measured itself). Each server gets the same request lists (about 5 % are redeliveries of
an earlier MessageSid, as Twilio's retries would be), in two phases:

- fixed rate: an open loop that sends OPEN_REQUESTS at RATE a second whatever the answers, on up
  to CONCURRENCY connections; latency counts from the scheduled send, so waiting for a free
  connection behind a slow answer is part of it. p50/p99/max: what Twilio waits for its 200.
  How late the client itself started the requests (timer granularity, CPU it did not get) is
  printed beside it: that part of the latency is not the server's.
- saturation: a closed loop of CONCURRENCY connections that each send the next request as soon
  as the last is answered: the throughput, in ROUNDS rounds that alternate between the servers
  (the median ratio of the rounds is reported, so a busy moment of the machine weighs on both;
  the real service is paused while the bare one runs). Its latencies are mostly queueing
  (Little's law: 50 in flight / throughput), so they are labelled as such.

Then the ratios real/bare, and how long after the load the last reply reached the fake Twilio:
the replies to a burst follow as fast as the engine and the sends go (on SQLite and these
2 cores, some 60 messages a second), which is the other half of the picture.
The load stops by LOAD_BUDGET and the whole run by DEADLINE seconds.

    python benchmarks/bench_webhooks.py   (the old throughput ratio; `make bench` runs bench_realistic.py,
                                           the realistic load, instead: issue 13)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from benchmarks.common import percentile

WARMUP = 100
OPEN_REQUESTS = 1500  # the fixed-rate phase, per server
CLOSED_REQUESTS = 2500  # the saturation phase, per server
ROUNDS = 3  # the saturation phase is cut in rounds that alternate between the servers
CONCURRENCY = 50  # connections: all in flight in the closed loop, at most this many open in the open loop
# Twilio's default WhatsApp sender throughput is 80 messages a second per sender, so ~100 webhooks a
# second is a heavy inbound burst for one office's number: the rate at which latency must stay low.
RATE = 100.0
OPEN_GRACE = 5.0  # the fixed-rate phase waits this long past its last scheduled send for the answers
SETTLE = 5.0  # before a timed phase, wait at most this long for the real app's replies to the last one
SENDERS = 400  # per request list, ~6 messages each: below the engine's per-person flood limit (20 a minute)
DUPLICATE_SHARE = 0.05
DEADLINE = 85.0  # seconds for the whole run
LOAD_BUDGET = 65.0  # the load stops (and says so) past this point; the rest is for the outbox to drain
PUBLIC_URL = "https://helpdesk.example.org"
WEBHOOK_PATH = "/webhooks/whatsapp"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
TEXTS = ["apa syarat jadi pmi?", "halo", "berapa biaya penempatan ke taiwan", "cek PT Sinar Jaya Abadi", "1",
         "bagaimana cara membuat paspor", "menu", "gaji saya belum dibayar tiga bulan"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the servers (each runs in its own subprocess) ----------------------------------------------------------


def serve_real(port: int) -> None:
    """The service as `helpdesk serve` runs it (start-up, uvicorn with its access log)."""
    from bot.web.server import serve
    from bot.settings import load_settings

    serve(load_settings(ROOT / "config.yaml"), host="127.0.0.1", port=port)


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


# --- the requests -------------------------------------------------------------------------------------------

Params = dict[str, str]


def build_requests(n: int, seed: int) -> list[Params]:
    """n webhook forms from SENDERS people of their own (the seed is in the numbers), some sent twice."""
    from tests.channels.fake_twilio import ACCOUNT_SID

    rng = random.Random(seed)
    senders = [f"+62812{seed:02d}{i:06d}" for i in range(SENDERS)]
    out: list[Params] = []
    for _ in range(n):
        if out and rng.random() < DUPLICATE_SHARE:
            out.append(rng.choice(out))  # Twilio's retry of an earlier delivery
            continue
        out.append({"From": f"whatsapp:{rng.choice(senders)}", "To": "whatsapp:+14155238886",
                    "Body": rng.choice(TEXTS), "MessageSid": "SM" + uuid.UUID(int=rng.getrandbits(128)).hex,
                    "AccountSid": ACCOUNT_SID, "NumMedia": "0", "ProfileName": "Bench"})
    return out


def encode(requests: list[Params]) -> list[bytes]:
    """Each webhook as the exact bytes of its HTTP/1.1 request, signed as Twilio signs it."""
    from twilio.request_validator import RequestValidator

    from tests.channels.fake_twilio import AUTH_TOKEN

    validator = RequestValidator(AUTH_TOKEN)
    host = urllib.parse.urlsplit(PUBLIC_URL).netloc  # as the TLS proxy in front of the app would forward it
    out = []
    for params in requests:
        body = urllib.parse.urlencode(params).encode()
        signature = validator.compute_signature(PUBLIC_URL + WEBHOOK_PATH, params)
        out.append(f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {host}\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n".encode() + body)
    return out


# --- the load generator -------------------------------------------------------------------------------------


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server will close the connection, from a response head."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = -1, lines[0].startswith(b"HTTP/1.0")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = b"close" in value.lower()
    if length < 0:
        raise ValueError(f"response without Content-Length: {head[:200]!r}")
    return status, length, close


class Connection:
    """One keep-alive HTTP/1.1 connection: writes a pre-encoded request, reads the whole response.

    `Connection: close`, or a server that closed the connection while it was idle, means a new
    connection for the next request.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> int:
        """The response's status code; the body is read and dropped."""
        for last_try in (False, True):
            reused = self.reader is not None and not self.reader.at_eof()
            if not reused:
                self.close()
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None and self.writer is not None
            self.writer.write(request)  # a few hundred bytes: the socket takes them at once
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                self.close()
                if reused and not last_try and not getattr(exc, "partial", b""):
                    continue  # closed for idleness as we wrote: nothing was read, so once more on a new connection
                raise
            status, length, close = parse_head(head)
            await self.reader.readexactly(length)
            if close:
                self.close()
            return status
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)  # ms; a lower bound for those still unanswered
    statuses: Counter[int | str] = field(default_factory=Counter)
    sent: int = 0  # the first `sent` requests of the list went out
    unanswered: int = 0
    wall: float = 0.0  # s
    client_cpu: float = 0.0  # s of this process's CPU during the phase
    stopped: bool = False  # cut by LOAD_BUDGET
    late: list[float] = field(default_factory=list)  # ms the open loop started each request after its due time

    @property
    def answered(self) -> int:
        return sum(n for status, n in self.statuses.items() if isinstance(status, int))

    @property
    def client_cpu_per_request(self) -> float:
        return self.client_cpu / max(self.sent, 1) * 1000

    def outcome(self, planned: int) -> str:
        out = f"HTTP {dict(self.statuses)}"
        if self.unanswered:
            out += f", {self.unanswered} unanswered"
        if self.stopped:
            out += f", stopped at the time limit ({self.answered} of {planned})"
        return out


SEND_ERRORS = (OSError, asyncio.IncompleteReadError)


async def closed_loop(port: int, requests: list[bytes], stop_at: float) -> Phase:
    """CONCURRENCY connections, each sending its next request as soon as its last one is answered."""
    phase = Phase()
    todo = iter(requests)  # shared by the connections

    async def connection_loop() -> None:
        conn = Connection("127.0.0.1", port)
        try:
            for request in todo:
                if time.monotonic() >= stop_at:
                    phase.stopped = True
                    return
                phase.sent += 1
                t = time.perf_counter()
                try:
                    status: int | str = await conn.send(request)
                except SEND_ERRORS as exc:
                    conn.close()
                    phase.statuses[type(exc).__name__] += 1
                    continue
                phase.latencies.append((time.perf_counter() - t) * 1000)
                phase.statuses[status] += 1
        finally:
            conn.close()

    cpu, t = time.process_time(), time.perf_counter()
    try:
        async with asyncio.timeout_at(stop_at + OPEN_GRACE):  # a server that stops answering
            await asyncio.gather(*(connection_loop() for _ in range(CONCURRENCY)))
    except TimeoutError:
        phase.stopped = True
        phase.unanswered = phase.sent - sum(phase.statuses.values())
    phase.wall, phase.client_cpu = time.perf_counter() - t, time.process_time() - cpu
    return phase


async def open_loop(port: int, requests: list[bytes], stop_at: float) -> Phase:
    """RATE requests a second on schedule whatever the answers; latency counts from the scheduled send.

    Up to CONCURRENCY connections; the last one freed is reused first. When all are busy a
    request waits for one and the wait is part of its latency, so a slow server cannot slow the
    schedule and hide its own delay (coordinated omission).
    """
    loop = asyncio.get_running_loop()  # loop.time() is time.monotonic()
    phase = Phase()
    idle: list[Connection] = []
    slots = asyncio.Semaphore(CONCURRENCY)  # first come, first served

    async def one(request: bytes, due: float) -> None:
        phase.late.append((loop.time() - due) * 1000)  # the client's own delay (timer, CPU), not the server's
        async with slots:
            conn = idle.pop() if idle else Connection("127.0.0.1", port)
            try:
                status: int | str = await conn.send(request)
            except SEND_ERRORS as exc:
                conn.close()
                phase.statuses[type(exc).__name__] += 1
                return
            finally:
                idle.append(conn)
            phase.latencies.append((loop.time() - due) * 1000)
            phase.statuses[status] += 1

    cpu, t = time.process_time(), time.perf_counter()
    start = loop.time()
    tasks: dict[asyncio.Task[None], float] = {}
    for i, request in enumerate(requests):
        due = start + i / RATE
        if due >= stop_at:
            phase.stopped = True
            break
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        tasks[asyncio.create_task(one(request, due))] = due
    phase.sent = len(tasks)
    done, late = await asyncio.wait(tasks, timeout=max(0.0, start + len(tasks) / RATE + OPEN_GRACE - loop.time()))
    now = loop.time()
    for task in late:
        task.cancel()
        phase.latencies.append((now - tasks[task]) * 1000)
    await asyncio.gather(*late, return_exceptions=True)
    for task in done:
        task.result()  # a bug in the generator fails the bench
    for conn in idle:
        conn.close()
    phase.unanswered = len(late)
    phase.wall, phase.client_cpu = time.perf_counter() - t, time.process_time() - cpu
    return phase


# --- the measurement ----------------------------------------------------------------------------------------


@dataclass
class Lists:
    """The same requests for both servers; no MessageSid in two lists, so only the deliberate retries repeat."""

    warmup: list[Params]
    fixed: list[Params]
    saturation: list[Params]
    encoded: dict[str, list[bytes]] = field(init=False)

    def __post_init__(self) -> None:
        sids = [{p["MessageSid"] for p in lst} for lst in (self.warmup, self.fixed, self.saturation)]
        assert sum(map(len, sids)) == len(set.union(*sids)), "a MessageSid in two request lists"
        self.encoded = {name: encode(getattr(self, name)) for name in ("warmup", "fixed", "saturation")}

    def rounds(self) -> list[list[bytes]]:
        """The saturation list cut into ROUNDS parts, sent to the two servers in turn."""
        size = -(-len(self.encoded["saturation"]) // ROUNDS)
        return [self.encoded["saturation"][i:i + size] for i in range(0, len(self.encoded["saturation"]), size)]


@dataclass
class Result:
    fixed: Phase
    rounds: list[Phase] = field(default_factory=list)  # saturation, one per round

    @property
    def saturation(self) -> Phase:
        """The rounds together (latencies, statuses)."""
        total = Phase()
        for phase in self.rounds:
            total.latencies += phase.latencies
            total.statuses.update(phase.statuses)
            total.sent += phase.sent
            total.wall += phase.wall
            total.client_cpu += phase.client_cpu
            total.stopped |= phase.stopped
        return total

    @property
    def round_rps(self) -> list[float]:
        return [p.answered / p.wall if p.wall else 0.0 for p in self.rounds]

    @property
    def rps(self) -> float:
        return statistics.median(self.round_rps) if self.rounds else 0.0

    @property
    def p99(self) -> float:
        return percentile(self.fixed.latencies, 99)

    def print(self, name: str, lists: Lists) -> None:
        fixed, sat = self.fixed, self.saturation
        print(f"  {name}   (client: {fixed.client_cpu_per_request:.2f} ms CPU/req at {RATE:.0f}/s, "
              f"{sat.client_cpu_per_request:.2f} saturating; sends late p99 {percentile(fixed.late, 99):.1f} ms)")
        at_least = ">" if fixed.unanswered else " "  # unanswered requests count with their wait so far
        print(f"    at {RATE:.0f}/s, open loop    p50{at_least}{percentile(fixed.latencies, 50):7.1f} ms   "
              f"p99{at_least}{self.p99:7.1f} ms   max{at_least}{max(fixed.latencies, default=0.0):7.1f} ms   "
              f"{fixed.outcome(len(lists.fixed))}")
        rounds = " ".join(f"{r:.0f}" for r in self.round_rps)
        print(f"    saturation {self.rps:6.0f} req/s (median of rounds: {rounds})   p50 "
              f"{percentile(sat.latencies, 50):7.1f} ms   p99 {percentile(sat.latencies, 99):7.1f} ms "
              f"(closed loop, {CONCURRENCY} in flight)   {sat.outcome(len(lists.saturation))}")


def measure(port: int, lists: Lists, stop_at: float, settle: Callable[[], object] = lambda: None) -> Result:
    """Warm-up, then the fixed-rate phase; `settle()` before each lets the last one's replies go out."""
    asyncio.run(closed_loop(port, lists.encoded["warmup"], stop_at))
    settle()
    return Result(asyncio.run(open_loop(port, lists.encoded["fixed"], stop_at)))


def saturate(bare: tuple[int, Result], real: tuple[int, Result], real_pid: int, lists: Lists,
             stop_at: float) -> None:
    """The saturation rounds, bare then real each time: a moment when the machine is busier with
    something else then weighs on both, and the median of the rounds is what counts. The real
    service is stopped (SIGSTOP) while the bare one is measured: its replies to the earlier
    rounds must not take the CPU from the bare endpoint."""
    for part in lists.rounds():
        os.kill(real_pid, signal.SIGSTOP)
        try:
            bare[1].rounds.append(asyncio.run(closed_loop(bare[0], part, stop_at)))
        finally:
            os.kill(real_pid, signal.SIGCONT)
        real[1].rounds.append(asyncio.run(closed_loop(real[0], part, stop_at)))


def backlog(db_path: str) -> int:
    """Replies not sent yet, and deliveries not handled yet where the app keeps an inbox table."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)) as conn:
        n = conn.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')").fetchone()[0]
        with contextlib.suppress(sqlite3.OperationalError):  # no inbox table in this version of the app
            n += conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
    return int(n)


def outbox_counts(db_path: str) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def sent_to_twilio(twilio: str) -> int:
    return int(httpx.get(twilio + "/_fake/stats", timeout=5).json()["messages"])


def wait_for_replies(db_path: str, twilio: str, until: float, quiet: float) -> float:
    """Until nothing is left to send and the fake Twilio got nothing for `quiet` s; when it last got a message."""
    count, last = sent_to_twilio(twilio), time.monotonic()
    while time.monotonic() < until:
        time.sleep(0.1)
        now = sent_to_twilio(twilio)
        if now != count:
            count, last = now, time.monotonic()
        elif time.monotonic() - last >= quiet and not backlog(db_path):
            break
    return last


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
    lists = Lists(warmup=build_requests(WARMUP, 3), fixed=build_requests(OPEN_REQUESTS, 2),
                  saturation=build_requests(CLOSED_REQUESTS, 1))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        twilio_proc, twilio = start_server("twilio", env, health="/_fake/stats")
        procs.append(twilio_proc)
        env["HELPDESK_TWILIO_API_URL"] = twilio
        bare_proc, bare = start_server("bare", env)
        procs.append(bare_proc)
        real_proc, real = start_server("real", env)
        procs.append(real_proc)
        print(f"  per server: {OPEN_REQUESTS} signed webhooks at {RATE:.0f}/s, then {CLOSED_REQUESTS} saturating; "
              f"{SENDERS} senders a list, ~{DUPLICATE_SHARE:.0%} redeliveries; asyncio HTTP/1.1 client; "
              f"uvicorn 1 worker; SQLite; {os.cpu_count()} CPUs shared by all")
        stop_at = began + LOAD_BUDGET
        bare_result = measure(port_of(bare), lists, stop_at)
        real_result = measure(port_of(real), lists, stop_at,
                              settle=lambda: wait_for_replies(db_path, twilio, time.monotonic() + SETTLE, 0.5))
        saturate((port_of(bare), bare_result), (port_of(real), real_result), real_proc.pid, lists, stop_at)
        load_end = time.monotonic()
        bare_result.print("bare FastAPI endpoint (form + TwiML)", lists)
        real_result.print("WhatsApp webhook (full path)", lists)
        ratios = [r / max(b, 1e-9) for r, b in zip(real_result.round_rps, bare_result.round_rps)]
        print(f"  real/bare: throughput {statistics.median(ratios):.2f} (median of rounds: "
              f"{' '.join(f'{r:.2f}' for r in ratios)}; target >= 0.40)   "
              f"p99 at {RATE:.0f}/s {real_result.p99:.1f} ms (target <= 100 ms; bare {bare_result.p99:.1f} ms)")
        last_reply = wait_for_replies(db_path, twilio, began + DEADLINE - 2, 1.0)
        counts, left = outbox_counts(db_path), backlog(db_path)
        sent = lists.warmup + lists.fixed[:real_result.fixed.sent] + lists.saturation[:real_result.saturation.sent]
        print(f"  outbox: {len({p['MessageSid'] for p in sent})} distinct webhooks -> {sum(counts.values())} replies "
              f"{counts}, {sent_to_twilio(twilio)} at the fake Twilio; the last {max(last_reply - load_end, 0):.1f} s "
              "after the load ended" + (f"; {left} deliveries or replies still queued at the deadline" if left else ""))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"  total {time.monotonic() - began:.1f} s")


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        {"real": serve_real, "bare": serve_bare, "twilio": serve_twilio}[sys.argv[2]](int(sys.argv[3]))
    else:
        main()
