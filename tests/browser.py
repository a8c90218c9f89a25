"""Real headless Chromium (Debian's package) against the app served by uvicorn on loopback."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import pytest
import uvicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


def sign_in(page, service, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Fill the console's login form shown on `page`; when the account has a second factor,
    type the code its authenticator would show now (computed with pyotp from the stored secret)."""
    from tests.bot.console_util import totp_code

    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # wait for the navigation the click starts: the page left behind is "loaded" already
    with page.expect_navigation():
        page.click("button[type=submit]")
    if page.url.split("?", 1)[0].endswith("/console/login/kode"):
        page.fill("input[name=code]", totp_code(service, username))
        with page.expect_navigation():
            page.click("button[type=submit]")
