"""Real `helpdesk serve` and `helpdesk worker` processes on loopback, sharing one database, for fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from tests.browser import free_port

ROOT = Path(__file__).resolve().parents[2]
HELPDESK = str(Path(sys.executable).parent / "helpdesk")
PUBLIC_URL = "https://helpdesk.test"  # what Twilio would sign; the workers check against it


@dataclass
class Worker:
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    role: str = "serve"  # serve (web + background work) | web (serve --no-workers) | worker (no web)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Worker":
        path = Path(self.env["HELPDESK_TEST_LOGDIR"]) / f"{self.role}-{self.port}.log"
        log = open(path, "ab")
        args = [HELPDESK, "worker"] if self.role == "worker" else \
            [HELPDESK, "serve", "--host", "127.0.0.1", "--port", str(self.port)] + (["--no-workers"] if self.role == "web" else [])
        started = path.stat().st_size
        self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.role} exited with {self.proc.returncode}; see {log.name}")
            if self.role == "worker":
                if b"Worker running" in path.read_bytes()[started:]:
                    return self
                time.sleep(0.2)
                continue
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("worker did not become ready")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def worker_env(database_url: str, twilio_url: str, account_sid: str, auth_token: str, logdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_", "HELPDESK_"))}
    env.update({
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+6580000000",
        "HELPDESK_TWILIO_API_URL": twilio_url,
        "HELPDESK_TEST_LOGDIR": str(logdir),
        "HELPDESK_FAST_HASH": "1",
        "HELPDESK_FIRST_PASSWORD_FILE": str(logdir / "first-admin-password.txt"),
        "NO_PROXY": "127.0.0.1,localhost",
    })
    return env


def signed_delivery(auth_token: str, i: int, body: str = "apa syarat jadi pmi?") -> tuple[dict[str, str], str]:
    form = {"MessageSid": f"SM{i:032d}", "AccountSid": "AC" + "0" * 32, "From": f"whatsapp:+62810{i:07d}",
            "To": "whatsapp:+6580000000", "Body": body, "NumMedia": "0", "ProfileName": f"Tester {i}"}
    signature = RequestValidator(auth_token).compute_signature(PUBLIC_URL + "/webhooks/whatsapp", form)
    return form, signature
