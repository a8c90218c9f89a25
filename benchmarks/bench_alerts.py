"""Live alerts: from an emergency message to the event on a connected console's stream.

    python benchmarks/bench_alerts.py [--cases 2000] [--emergencies 50] [--consoles 5]

Seeds a temporary SQLite database (benchmarks/bench_console.py's seed), serves the app with
uvicorn on loopback, signs officers in and keeps `--consoles` alert streams open
(/console/alerts/stream, Server-Sent Events, each polling the database every 0.5 s). Then,
`--emergencies` times, an emergency message goes through engine.handle (as a webhook's
worker would) and the time until every connected console has read the case's event is
taken: p50/p99 over the emergencies, for the first console and for the last one to hear.
The messages come at random moments (0-0.6 s apart), so they fall anywhere in the poll
interval. Target: p99 at most 1 s. Bounded: under a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import report, service_environment

EMERGENCY_TEXT = "tolong saya dikunci di rumah majikan dan paspor saya diambil"
SEED = 20261201


class Listener(threading.Thread):
    """One console: reads its stream and notes when each case's "created" event arrived."""

    def __init__(self, base: str, username: str) -> None:
        super().__init__(daemon=True)
        import httpx

        self.client = httpx.Client(base_url=base, timeout=30)
        form = self.client.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        r = self.client.post("/console/login", data={"username": username, "password": "bench-pw",
                                                     "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303, r.status_code
        self.seen: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = False

    def run(self) -> None:
        last = ""
        while not self.stop:  # a stream ends every 30 s; like EventSource, reconnect from the last event id
            headers = {"Last-Event-ID": last} if last else {}
            try:
                with self.client.stream("GET", "/console/alerts/stream", headers=headers) as response:
                    name = ""
                    for line in response.iter_lines():
                        if self.stop:
                            return
                        if line.startswith("event:"):
                            name = line[6:].strip()
                            if name == "ready":
                                self.ready.set()
                        elif line.startswith("id:"):
                            last = line[3:].strip()
                        elif line.startswith("data:") and name == "case":
                            data = json.loads(line[5:])
                            if data["kind"] == "created":
                                self.seen.setdefault(data["case"], time.perf_counter())
            except Exception:
                if self.stop:
                    return
                raise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--emergencies", type=int, default=50)
    parser.add_argument("--consoles", type=int, default=5)
    args = parser.parse_args(argv if argv is not None else [])
    with service_environment(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost"):
        run(args)


def run(args: argparse.Namespace) -> None:
    import socket

    import uvicorn

    from benchmarks.bench_console import seed
    from bot.web.app import create_app
    from bot.web.passwords import hash_password
    from bot.service import build_service
    from bot.settings import load_settings
    from flows.messages import Inbound
    from storage import officers
    from storage.db import unit_of_work

    rnd = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(ROOT / "config.yaml", env={"HELPDESK_DATABASE_URL": f"sqlite:///{tmp}/bench.db"})
        service = build_service(settings)
        with unit_of_work(service.db) as s:
            ids = [officers.add_officer(s, username=f"petugas{i}", password_hash=hash_password("bench-pw"),
                                        role="officer").id for i in range(5)]
        seed(service.db, args.cases, ids)  # type: ignore[arg-type]

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        listeners = [Listener(base, f"petugas{i % 5}") for i in range(args.consoles)]
        try:
            for listener in listeners:
                listener.start()
            for listener in listeners:
                assert listener.ready.wait(15), "a stream did not start"

            first_ms, last_ms, handle_ms = [], [], []
            for i in range(args.emergencies):
                time.sleep(rnd.uniform(0, 0.6))  # anywhere in the streams' poll interval
                t = time.perf_counter()
                handled = service.engine.handle(Inbound("web", f"bench-al-{uuid.uuid4().hex[:10]}", f"m{i}",
                                                        EMERGENCY_TEXT))
                handle_ms.append((time.perf_counter() - t) * 1000)
                number = handled.case_number
                assert number, "the emergency message opened no case"
                deadline = time.perf_counter() + 10
                while not all(number in listener.seen for listener in listeners):
                    if time.perf_counter() > deadline:
                        raise AssertionError(f"{number} never reached every console")
                    time.sleep(0.005)
                arrivals = [listener.seen[number] for listener in listeners]
                first_ms.append((min(arrivals) - t) * 1000)
                last_ms.append((max(arrivals) - t) * 1000)
            report("engine.handle (emergency message)", handle_ms)
            report("emergency -> event, first console", first_ms)
            report(f"emergency -> event, all {args.consoles} consoles", last_ms)
        finally:
            for listener in listeners:
                listener.stop = True
                # a closed connection ends its stream at once: the server need not wait for it
                with contextlib.suppress(Exception):  # the reader thread (a daemon) may be using it
                    listener.client.close()
            server.should_exit = True
            thread.join(timeout=10)
            service.db.dispose()
    print(f"  {args.cases} cases seeded; streams poll every 0.5 s; target: p99 <= 1000 ms")


if __name__ == "__main__":
    main(sys.argv[1:])
