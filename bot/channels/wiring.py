"""Which channels run, their webhook routes, and the lifespan that starts and stops them.

`install(app)` is called once at the end of `create_app`. It decides from the settings which
channels are on (one log line per channel saying on, or off and which variables are missing),
adds the webhook routes of those that are on, and wraps the app's lifespan so that, inside it:

    the WhatsApp sender and media fetcher (twilio REST client, httpx),
    the Telegram Application (PTB; polling or webhook) and, with telegram.staff_chat_id, the staff desk,
    the outbox Dispatcher with the senders of the channels that are on,
    the inbox processor, which hands stored webhook deliveries to the engine,
    a sweep of evidence files not yet downloaded

start after the app's own startup and stop before its shutdown. Webhook handlers reach all of
this as `request.app.state.channels` (a `Runtime`). The background loops (inbox, outbox, staff
desk, evidence) run only where `workers` is on: in `helpdesk serve` by default, in
`helpdesk worker`, not in `helpdesk serve --no-workers` (webhooks then only store deliveries,
and a worker process polls for them every SPLIT_INTERVAL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bot.channels import telegram as telegram_channel
from bot.channels import whatsapp as whatsapp_channel
from bot.channels import whatsapp_sender
from bot.channels.media import EvidenceStore, Fetcher
from bot.channels.staff_desk import StaffDesk
from bot.workers.inbox import InboxProcessor
from bot.workers.outbox import Dispatcher, Sender
from bot.settings import PROJECT_ROOT, Settings
from flows.engine import Handled
from flows.messages import Inbound

log = logging.getLogger(__name__)

DISPATCH_INTERVAL = 2.0  # seconds between outbox sweeps when nothing pokes the dispatcher
INBOX_INTERVAL = 1.0  # seconds between inbox sweeps: rows another worker stored, or left by one that died
# a worker without the web app in its process is never poked by a webhook: it looks this often
# (one indexed query; keeps the reply p99 of the split well under its 2 s target)
SPLIT_INTERVAL = 0.2
STOP_TIMEOUT = 10.0  # seconds the background tasks get to end at shutdown
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


@dataclass(frozen=True)
class Plan:
    whatsapp: bool
    telegram: str | None  # polling | webhook | None (off)
    staff_chat_id: int | None


def plan(settings: Settings) -> Plan:
    """Decide which channels run; log one line per channel (variable names only, never values)."""
    sec = settings.secrets
    public_ok = bool(sec.public_url and re.match(r"^https?://[^/\s]+", sec.public_url))
    missing = [name for name, ok in (("TWILIO_ACCOUNT_SID", sec.twilio_account_sid),
                                     ("TWILIO_AUTH_TOKEN", sec.twilio_auth_token),
                                     ("TWILIO_WHATSAPP_FROM", sec.twilio_whatsapp_from),
                                     ("HELPDESK_PUBLIC_URL", public_ok)) if not ok]
    if missing:
        log.info("WhatsApp channel off: set %s", ", ".join(missing))
    else:
        log.info("WhatsApp channel on: Twilio webhook at /webhooks/whatsapp (status: /webhooks/whatsapp/status)")

    mode: str | None = settings.telegram.mode
    webhook_ok = public_ok and bool(sec.telegram_webhook_secret and _SECRET_TOKEN.match(sec.telegram_webhook_secret))
    if not sec.telegram_bot_token:
        log.info("Telegram channel off: set TELEGRAM_BOT_TOKEN")
        mode = None
    elif mode == "auto":
        mode = "webhook" if webhook_ok else "polling"
    if mode == "webhook" and not webhook_ok:
        log.info("Telegram channel off: webhook mode needs HELPDESK_PUBLIC_URL and TELEGRAM_WEBHOOK_SECRET "
                 "(1-256 characters A-Z a-z 0-9 _ -)")
        mode = None
    if mode is not None:
        log.info("Telegram channel on: %s%s", mode, " at /webhooks/telegram" if mode == "webhook" else "")
    staff = settings.telegram.staff_chat_id
    if staff is not None and mode is None:
        log.info("Telegram staff desk off: it needs the Telegram channel")
        staff = None
    elif staff is not None:
        log.info("Telegram staff desk on: a topic per case in the staff chat")
    return Plan(whatsapp=not missing, telegram=mode, staff_chat_id=staff)


class Runtime:
    """The running channels of one app; built and torn down by the lifespan."""

    def __init__(self, service: Any, settings: Settings, chosen: Plan, *, workers: bool = True,
                 web: bool = True) -> None:
        self.service = service
        self.workers = workers  # run the background loops in this process
        self.web = web  # webhooks arrive in this process (they poke the loops)
        self.settings = settings
        self.plan = chosen
        self.whatsapp: whatsapp_channel.WhatsAppChannel | None = None
        self.telegram: telegram_channel.TelegramChannel | None = None
        self.desk: StaffDesk | None = None
        self.dispatcher: Dispatcher | None = None
        self.evidence: EvidenceStore | None = None
        self.inbox: InboxProcessor | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._unsubscribe: Callable[[], None] | None = None

    def poke(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.poke()

    async def after_delivery(self, inbound: Inbound, handled: Handled) -> None:
        """The inbox processor handled a stored delivery."""
        await self.after_inbound(inbound, handled)
        if inbound.channel == "whatsapp" and whatsapp_sender.window_was_closed(handled.previous_inbound_at):
            # the person wrote, so the 24-hour window is open again: send what waited for it
            await asyncio.to_thread(whatsapp_sender.release_held, self.service.db, urn=inbound.urn)
            self.poke()

    async def after_inbound(self, inbound: Inbound, handled: Handled) -> None:
        """The engine committed a new message: send its replies now, fetch its files in the background,
        and show it to the officers in the case's staff thread."""
        self.poke()
        if inbound.media and self.evidence is not None:
            self.evidence.schedule([m.ref for m in inbound.media])
        if self.desk is not None and handled.case_number and not handled.case_opened:
            self.desk.mirror(handled.case_number, inbound)

    async def start(self) -> None:
        sec, settings = self.settings.secrets, self.settings
        senders: list[Sender] = []
        fetchers: dict[str, Fetcher] = {}
        interval = INBOX_INTERVAL if self.web else SPLIT_INTERVAL
        self.inbox = InboxProcessor(self.service.db, self.service.engine, self.after_delivery, interval=interval)
        if self.plan.whatsapp:
            self.whatsapp = whatsapp_channel.WhatsAppChannel(
                self.service.db, account_sid=sec.twilio_account_sid or "", auth_token=sec.twilio_auth_token or "",
                from_number=sec.twilio_whatsapp_from or "", public_url=sec.public_url or "",
                api_url=sec.twilio_api_url, template_sid=settings.whatsapp.template_content_sid,
                template_variables=settings.whatsapp.template_variables)
            senders.append(self.whatsapp.sender)
            fetchers["whatsapp"] = self.whatsapp.media
        if self.plan.telegram is not None:
            # httpx logs every request URL at INFO, and a Bot API URL contains the token
            logging.getLogger("httpx").setLevel(logging.WARNING)
            self.telegram = telegram_channel.TelegramChannel(
                self.service, token=sec.telegram_bot_token or "", api_url=sec.telegram_api_url, mode=self.plan.telegram,
                public_url=sec.public_url, secret=sec.telegram_webhook_secret, deliver=self.inbox.store)
            senders.append(self.telegram.sender)
            fetchers["telegram"] = self.telegram.media
            if self.plan.staff_chat_id is not None:
                self.desk = StaffDesk(self.service, self.telegram, self.plan.staff_chat_id, self.poke)
                self.telegram.add_staff_desk(self.desk)
        if not senders:
            return
        out = settings.outbox
        self.dispatcher = Dispatcher(self.service.db, senders, max_tries=out.max_tries,
                                     base_delay=out.base_delay_seconds,
                                     sending_timeout=dt.timedelta(seconds=out.sending_timeout_seconds),
                                     interval=DISPATCH_INTERVAL if self.web else SPLIT_INTERVAL)
        folder = Path(settings.media.evidence_dir)
        self.evidence = EvidenceStore(self.service.db, folder if folder.is_absolute() else PROJECT_ROOT / folder,
                                      settings.media.max_bytes, fetchers)
        if self.desk is not None:
            self._unsubscribe = self.service.events.on_case_event(self.desk.on_case_event)
        if self.telegram is not None:
            await self.telegram.start()
        if not self.workers:
            return
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self.dispatcher.run_forever(), name="outbox"))
        self._tasks.append(loop.create_task(self.inbox.run_forever(), name="inbox"))
        if self.desk is not None:
            self._tasks.append(loop.create_task(self.desk.run_forever(), name="staff-desk"))
        self.evidence.schedule(None)  # files a previous run did not get to

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # bounded: a task that ignores its cancel must not hang the shutdown (rows it was
            # sending stay "sending" and are retried after outbox.SENDING_TIMEOUT)
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
            for task in stuck:
                log.warning("background task %s did not stop in time", task.get_name())
        self._tasks.clear()
        if self.evidence is not None:
            await self.evidence.close()
        if self.telegram is not None:
            await self.telegram.stop()
        if self.whatsapp is not None:
            await self.whatsapp.close()


def install(app: FastAPI, *, workers: bool = True, web: bool = True) -> None:
    """Add the webhook routes of the channels that are on, and start/stop them in the app's lifespan."""
    settings: Settings = app.state.settings
    service = app.state.service
    chosen = plan(settings)
    app.state.channels = None
    if chosen.whatsapp:
        app.include_router(whatsapp_channel.router)
    if chosen.telegram == "webhook":
        app.include_router(telegram_channel.router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with inner(a) as state:
            runtime = Runtime(service, settings, chosen, workers=workers, web=web)
            try:
                await runtime.start()
                a.state.channels = runtime
                yield state
            finally:
                a.state.channels = None
                await runtime.stop()

    app.router.lifespan_context = lifespan
