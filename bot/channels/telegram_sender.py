"""Telegram out: the outbox's `TelegramSender` (texts with inline keyboards) and the evidence fetcher.

Both go through the channel's PTB Application (bot/channels/telegram.py) once it is connected.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import TYPE_CHECKING

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from bot.channels import MediaError, split_text
from bot.channels.telegram_messages import keyboard
from bot.workers.outbox import OutMessage, SendError

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH


def retry_after_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)  # PTB 22 keeps a timedelta; the public property warns
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = exc.retry_after
    return raw.total_seconds() if isinstance(raw, dt.timedelta) else float(raw)


def send_error(exc: TelegramError) -> SendError:
    """429 waits as told; a blocked bot or a refused message is final; network trouble is retried."""
    if isinstance(exc, RetryAfter):
        return SendError("Telegram 429", retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return SendError("Telegram: bot diblokir atau tidak diizinkan di chat ini", permanent=True)
    if isinstance(exc, ChatMigrated):
        return SendError("Telegram: grup pindah ke supergroup baru", permanent=True)
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is a subclass of it
        return SendError(f"Telegram menolak pesan: {exc.message[:200]}", permanent=True)
    if isinstance(exc, InvalidToken):
        log.warning("Telegram rejected the bot token; will retry")
        return SendError("Telegram menolak token bot")
    return SendError(f"Telegram: {type(exc).__name__}")


class TelegramSender:
    """bot.workers.outbox.Sender for Telegram: text parts of at most 4 096 characters, buttons under the last one."""

    channel = "telegram"

    def __init__(self, channel: TelegramChannel) -> None:
        self._channel = channel

    async def send(self, message: OutMessage) -> str:
        if not self._channel.ready:
            raise SendError("Telegram belum tersambung")
        try:
            chat_id = int(message.address)
        except ValueError:
            raise SendError("alamat Telegram tidak valid", permanent=True) from None
        parts = split_text(message.text, MAX_TEXT)
        markup = keyboard(message.buttons)
        message_id = ""
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                sent = await self._channel.app.bot.send_message(chat_id=chat_id, text=part or "…",
                                                                reply_markup=markup if last else None)
            except TelegramError as exc:
                error = send_error(exc)
                if i > 0:
                    error.after_parts("\n\n".join(parts[i:]), message.buttons)
                raise error from None
            message_id = str(sent.message_id)
        return message_id


class TelegramMedia:
    """media.Fetcher for Telegram file ids (getFile, then the file download)."""

    def __init__(self, channel: TelegramChannel) -> None:
        self._channel = channel

    async def fetch(self, ref: str, content_type: str, max_bytes: int) -> tuple[bytes, str]:
        if not self._channel.ready:
            raise MediaError("Telegram not connected yet")
        try:
            file = await self._channel.app.bot.get_file(ref)
            if file.file_size is not None and file.file_size > max_bytes:
                raise MediaError("file larger than the limit")
            data = await file.download_as_bytearray()
        except TelegramError as exc:
            raise MediaError(f"Telegram file download failed: {type(exc).__name__}") from None
        return bytes(data), content_type
