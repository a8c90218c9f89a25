"""`helpdesk serve`: the web app under uvicorn, with the first-run admin account.

Client addresses: uvicorn's proxy-headers support takes the client from X-Forwarded-For (and
the scheme from X-Forwarded-Proto) only when the peer is one of `web.trusted_proxies`; from
any other peer those headers are ignored. Login limits and /metrics rely on that address.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn

from bot.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

# the first admin's password goes here (mode 0600), never to stdout and the service logs
FIRST_PASSWORD_FILE = PROJECT_ROOT / "data" / "first-admin-password.txt"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every `helpdesk serve` passes to uvicorn, one worker or several."""
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.web.trusted_proxies),
            "log_level": "info", "access_log": settings.web.access_log}


def write_secret_file(path: Path, text: str) -> None:
    """Write `text` to `path` readable and writable by this user only (0600), replacing any older file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def ensure_first_admin(service, password_file: Path) -> Path | None:
    """Create the first admin when there is no officer at all; its password goes to `password_file`
    (mode 0600). Returns that path, or None when accounts exist already."""
    from bot.web.passwords import hash_password, new_password
    from storage import officers
    from storage.db import unit_of_work

    with unit_of_work(service.db) as s:
        if officers.list_officers(s):
            return None
        password = new_password()
        officers.add_officer(s, username="admin", password_hash=hash_password(password), role="admin",
                             display_name="Administrator")
        # written before the commit: if the file cannot be written, no account exists without a password known
        write_secret_file(password_file, f"{password}\n")
    log.info("first admin account created; password written to a file readable by the service user only")
    return password_file


def serve(settings: Settings, *, host: str, port: int, workers: int = 1, background: bool = True) -> int:
    """`helpdesk serve`: the web app; with `background` (the default) also the inbox processor,
    the outbox dispatcher and the jobs. Without it they run in `helpdesk worker` processes."""
    from bot.web.app import create_app
    from bot.channels.wiring import plan
    from bot.service import build_service

    if workers > 1 and plan(settings).telegram == "polling":
        # Telegram allows one getUpdates consumer; several pollers would fight over updates
        print("serve: Telegram polling runs in one process only. With --workers > 1 use webhook mode "
              "(set HELPDESK_PUBLIC_URL and TELEGRAM_WEBHOOK_SECRET).", file=sys.stderr)
        return 2
    service = build_service(settings)
    # tests and benchmarks start throw-away services: their password files go elsewhere
    password_file = ensure_first_admin(service, Path(os.environ.get("HELPDESK_FIRST_PASSWORD_FILE") or FIRST_PASSWORD_FILE))
    if password_file:
        print("\n  First start: staff console account 'admin' created.\n"
              f"    Its password is in {password_file} (readable only by this user).\n"
              f"    Sign in at http://{host}:{port}/console, change the password under 'Akun saya'\n"
              "    (/console/akun), then delete that file.\n", flush=True)
    print(f"  Web chat: http://{host}:{port}/try\n", flush=True)
    if not background:
        os.environ["HELPDESK_WORKERS"] = "off"  # read by bot.web.asgi in each uvicorn worker, too
    # Start-up objects (models, KB, indexes, registry) live as long as the process: keep the garbage
    # collector from walking them on every full collection. Measured with benchmarks/bench_search.py
    # (300 cases): console page p99 206 ms without, 14 ms with.
    gc.collect()
    gc.freeze()
    options = uvicorn_options(settings)
    if workers > 1:
        # each worker builds its own app (bot/web/asgi.py); state is only in the database
        service.db.dispose()
        os.environ["HELPDESK_CONFIG"] = settings.config_path
        uvicorn.run("bot.web.asgi:create", factory=True, host=host, port=port, workers=workers, **options)
        return 0
    uvicorn.run(create_app(settings, service, workers=background), host=host, port=port, **options)
    return 0


def run_worker(settings: Settings) -> int:
    """`helpdesk worker`: the app's lifespan without the web server — channels, inbox processor,
    outbox dispatcher, staff desk and the scheduled jobs — until SIGTERM or SIGINT."""
    import asyncio
    import signal

    from bot.web.app import create_app
    from bot.service import build_service

    service = build_service(settings)
    app = create_app(settings, service, workers=True, web=False)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with app.router.lifespan_context(app):
            log.info("worker running: inbox, outbox and jobs")
            print("  Worker running (inbox, outbox, jobs). Stop with Ctrl-C.", flush=True)
            await stop.wait()

    asyncio.run(main())
    return 0
