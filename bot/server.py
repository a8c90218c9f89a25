"""`helpdesk serve`: the web app under uvicorn, with the first-run admin account."""

from __future__ import annotations

import gc
import logging
import os
import sys

import uvicorn

from bot.settings import Settings

log = logging.getLogger(__name__)


def ensure_first_admin(service) -> str | None:  # type: ignore[no-untyped-def]
    """Create the first admin when there is no officer at all; return its password once."""
    from bot.passwords import hash_password, new_password
    from storage import officers
    from storage.db import unit_of_work

    with unit_of_work(service.db) as s:
        if officers.list_officers(s):
            return None
        password = new_password()
        officers.add_officer(s, username="admin", password_hash=hash_password(password), role="admin",
                             display_name="Administrator")
        return password


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> int:
    from bot.app import create_app
    from bot.channels.wiring import plan
    from bot.service import build_service

    if workers > 1 and plan(settings).telegram == "polling":
        # Telegram allows one getUpdates consumer; several pollers would fight over updates
        print("serve: Telegram polling runs in one process only. With --workers > 1 use webhook mode "
              "(set HELPDESK_PUBLIC_URL and TELEGRAM_WEBHOOK_SECRET).", file=sys.stderr)
        return 2
    service = build_service(settings)
    password = ensure_first_admin(service)
    if password:
        print("\n  First start: staff console account created (shown only this once)\n"
              f"    user: admin   password: {password}\n"
              f"    console: http://{host}:{port}/console\n", flush=True)
    print(f"  Web chat: http://{host}:{port}/try\n", flush=True)
    # start-up objects (KB, indexes, registry) live as long as the process: keep the garbage
    # collector from walking them on every collection (it showed as queue-page p99 spikes)
    gc.collect()
    gc.freeze()
    if workers > 1:
        # each worker builds its own app (bot/asgi.py); state is only in the database
        service.db.dispose()
        os.environ["HELPDESK_CONFIG"] = settings.config_path
        uvicorn.run("bot.asgi:create", factory=True, host=host, port=port, workers=workers, log_level="info",
                    proxy_headers=False, access_log=settings.web.access_log)
        return 0
    uvicorn.run(create_app(settings, service), host=host, port=port, log_level="info", proxy_headers=False,
                access_log=settings.web.access_log)
    return 0
