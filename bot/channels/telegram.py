"""Telegram through python-telegram-bot 22, used only as the transport.

No ConversationHandler and no PTB persistence: the conversation lives in our database
(DESIGN.md decision 1). Handlers turn a private-chat message, a command or a button press into
an `Inbound` and store it in the inbox (bot.workers.inbox; the key is chat + message id, or the
callback query id, so a repeated update is dropped); the inbox processor runs the engine, and
the outbox dispatcher's `TelegramSender` (telegram_sender.py) sends the replies as texts with
inline keyboards. What a message, a command or a button becomes is in telegram_messages.py.

Two modes (config `telegram.mode`): polling (PTB's Updater; needs only the token) and webhook
(POST /webhooks/telegram, checked against TELEGRAM_WEBHOOK_SECRET in constant time). In webhook
mode the 200 goes back once the message is stored, so a crash or a database failure (answered
503) before that makes Telegram deliver it again. In polling mode PTB confirms an update to
Telegram when it fetches the next ones: a crash between the fetch and the store loses it.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import hmac
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels import BadWebhook, media_type, read_limited
from bot.channels.telegram_messages import (
    COMMANDS,
    command_text,
    inbound_from_message,
    resolve_callback,
)
from bot.channels.telegram_sender import TelegramMedia, TelegramSender
from flows.messages import Inbound

if TYPE_CHECKING:
    from bot.channels.staff_desk import StaffDesk
    from bot.channels.wiring import Runtime
    from bot.service import Service

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 128 * 1024
RATE_LIMIT_RETRIES = 2
ALLOWED_UPDATES = ["message", "callback_query"]
START_TIMEOUT = 15.0

Deliver = Callable[[Inbound], Awaitable[object]]  # stores the message for the engine (bot.workers.inbox)
_failures: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar("tg_failures", default=None)


def describe(exc: BaseException) -> str:
    """Type and place of a failure, without its message: messages can quote what people wrote."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


# --- the channel --------------------------------------------------------------------------------------------


def build_application(token: str, api_url: str | None, *, polling: bool) -> Application:
    builder = (Application.builder().token(token).job_queue(None)
               .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES)))
    if api_url:
        api = api_url.rstrip("/")
        builder = builder.base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
    if not polling:
        builder = builder.updater(None)  # our FastAPI route receives the updates
    return builder.build()


class TelegramChannel:
    def __init__(self, service: Service, *, token: str, api_url: str | None, mode: str, public_url: str | None,
                 secret: str | None, deliver: Deliver) -> None:
        self.service = service
        self.mode = mode
        self.public_url = (public_url or "").rstrip("/")
        self.secret = secret or ""
        self.deliver = deliver
        self.app = build_application(token, api_url, polling=mode == "polling")
        self.ready = False
        self.sender = TelegramSender(self)
        self.media = TelegramMedia(self)
        self._starter: asyncio.Task[None] | None = None
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # edits are not new messages
        self.app.add_handler(CommandHandler(list(COMMANDS), self._on_command, filters=private))
        self.app.add_handler(MessageHandler(private & filters.COMMAND, self._on_command))
        self.app.add_handler(MessageHandler(private, self._on_message))
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_error_handler(self._on_error)

    def add_staff_desk(self, desk: StaffDesk) -> None:
        staff = filters.Chat(chat_id=desk.chat_id) & filters.UpdateType.MESSAGE
        # group -1: the staff chat is handled before (and instead of) the private-chat handlers
        self.app.add_handler(CommandHandler(["ambil", "selesai"], desk.on_command, filters=staff), group=-1)
        # files too: the desk relays a caption and tells the officer the file itself did not go
        self.app.add_handler(MessageHandler(staff & (filters.TEXT | filters.ATTACHMENT) & ~filters.COMMAND,
                                            desk.on_message), group=-1)

    # -- handlers (one line of work each: convert, hand over) --

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A private message (text, caption, photo, document, voice note) to the engine."""
        if update.effective_message is not None:
            await self.deliver(inbound_from_message(update.effective_message))

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, /menu, /lapor, /cek, /status as the words the flows understand."""
        msg = update.effective_message
        if msg is not None:
            await self.deliver(inbound_from_message(msg, command_text(msg, context.args or ())))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: answered at once (the spinner stops), then handled as its payload."""
        query = update.callback_query
        chat = update.effective_chat
        if query is None:
            return
        try:
            await query.answer()
        except TelegramError as exc:  # a late answer fails; the press still counts
            log.info("callback answer failed: %s", type(exc).__name__)
        if chat is None or chat.type != "private" or not query.data:
            return
        payload = await asyncio.to_thread(resolve_callback, self.service.db, chat.id, query.data)
        await self.deliver(Inbound("telegram", str(chat.id), f"cb:{query.id}", payload or "menu",
                                    received_at=dt.datetime.now(dt.UTC),
                                    display_name=(query.from_user.full_name if query.from_user else "")[:200]))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if error is None:
            return
        failures = _failures.get()
        if failures is not None:
            failures.append(error)
        log.error("telegram update not handled: %s", describe(error))

    # -- webhook mode --

    async def process_webhook(self, update: Update) -> bool:
        """Handle the update now; False when the database failed, so Telegram should deliver it again."""
        failures: list[BaseException] = []
        token = _failures.set(failures)
        try:
            await self.app.process_update(update)
        finally:
            _failures.reset(token)
        return not any(isinstance(e, SQLAlchemyError) for e in failures)

    # -- lifecycle --

    async def start(self) -> None:
        """Connect (getMe) now if Telegram answers; otherwise keep trying in the background."""
        try:
            async with asyncio.timeout(START_TIMEOUT):  # not wait_for: on 3.11 it can lose a cancel
                await self._connect()
        except InvalidToken:
            log.error("Telegram channel off: TELEGRAM_BOT_TOKEN was rejected")
        except (TimeoutError, NetworkError) as exc:
            log.warning("Telegram not reachable at start (%s); retrying in the background", type(exc).__name__)
            self._starter = asyncio.get_running_loop().create_task(self._connect_with_retry())
        except TelegramError as exc:  # the other channels and the web chat keep running
            log.error("Telegram channel off: %s at start", type(exc).__name__)

    async def _connect_with_retry(self) -> None:
        delay = 2.0
        while not self.ready:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(START_TIMEOUT):
                    await self._connect()
            except InvalidToken:
                log.error("Telegram channel off: TELEGRAM_BOT_TOKEN was rejected")
                return
            except (TimeoutError, NetworkError) as exc:
                log.warning("Telegram still not reachable (%s)", type(exc).__name__)
                delay = min(delay * 2, 120.0)
            except TelegramError as exc:
                log.error("Telegram channel off: %s at start", type(exc).__name__)
                return

    async def _connect(self) -> None:
        await self.app.initialize()  # getMe
        await self.app.start()
        if self.mode == "polling":
            assert self.app.updater is not None
            await self.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            log.info("Telegram channel on (polling)")
        else:
            try:
                await self.app.bot.set_webhook(url=self.public_url + "/webhooks/telegram", secret_token=self.secret,
                                               allowed_updates=ALLOWED_UPDATES)
            except TelegramError as exc:  # the webhook may already be set from a deploy step
                log.warning("Telegram setWebhook failed: %s", type(exc).__name__)
            log.info("Telegram channel on (webhook)")
        self.ready = True

    async def stop(self) -> None:
        if self._starter is not None:
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
        self.ready = False
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()


# --- the route ----------------------------------------------------------------------------------------------

router = APIRouter()


def _reject(status: int, reason: str) -> PlainTextResponse:
    log.info("telegram webhook rejected: %s %s", status, reason)
    return PlainTextResponse(reason, status_code=status)


def _update_json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadWebhook(400, "body is not JSON") from None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise BadWebhook(400, "not a Telegram update")
    return data


@router.post("/webhooks/telegram")
async def telegram_webhook(request: Request) -> Response:
    runtime: Runtime | None = getattr(request.app.state, "channels", None)
    channel = runtime.telegram if runtime is not None else None
    if channel is None:
        return _reject(503, "telegram channel not running")
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not channel.secret or not hmac.compare_digest(given.encode("utf-8", "replace"), channel.secret.encode()):
        return _reject(403, "invalid secret token")
    try:
        if media_type(request) != "application/json":
            raise BadWebhook(415, "expected application/json")
        data = _update_json(await read_limited(request, MAX_UPDATE_BYTES))
    except BadWebhook as exc:
        return _reject(exc.status, str(exc))
    if not channel.ready:
        return _reject(503, "telegram channel not connected yet")
    try:
        update = Update.de_json(data, channel.app.bot)
    except Exception:  # noqa: BLE001 - PTB raises KeyError/TypeError/AttributeError/… on a malformed object
        return _reject(400, "malformed Telegram update")
    # an update of a kind we do not handle (edited message, poll, chat member …) is acknowledged:
    # answering 4xx would only make Telegram resend it and hold back the updates behind it
    if not await channel.process_webhook(update):
        return PlainTextResponse("temporarily unavailable", status_code=503)
    return Response(status_code=200)
