"""Channel adapters: WhatsApp (Twilio) and Telegram (python-telegram-bot), plus the staff desk.

Each adapter verifies and parses at the edge, turns what arrived into a `flows.messages.Inbound`,
hands it to the engine (which dedupes and writes replies to the outbox in one transaction) and
sends outbox rows with a `bot.workers.outbox.Sender`. `wiring.install(app)` switches on the channels
whose secrets are set.

    whatsapp.py           the Twilio webhook routes and the channel object
    whatsapp_inbound.py   form body, signature check, the message a webhook carries
    whatsapp_sender.py    the REST sender, the 24-hour window, replies held while it is closed
    whatsapp_twilio.py    the Twilio client (local stand-in for tests) and media downloads
    telegram.py           PTB Application as transport only, handlers, lifecycle, webhook route
    telegram_messages.py  Telegram message/command to Inbound; our buttons as inline keyboards
    telegram_sender.py    the Telegram sender and file fetcher
    staff_desk.py         one forum topic per case in the staff supergroup; officers answer there
    media.py              evidence downloads (Twilio media URLs, Telegram file ids) into data/evidence
    wiring.py             which channels run, the webhook routes, the lifespan that starts them

This module holds what the adapters share and imports none of them (no import circle).
"""

from __future__ import annotations

import re

from starlette.requests import Request

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into parts of at most `limit` characters, on paragraph, line, sentence or word boundaries.

    A part is cut mid-word only when a single word is longer than the limit. Parts are never
    empty; an empty text gives one empty part, so a message with only buttons still goes out.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip("\n")
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit + 1]
        cut = _best_cut(window, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def _best_cut(window: str, limit: int) -> int:
    """Where to cut `window` (limit + 1 characters long): the latest good boundary in its second half."""
    floor = limit // 2  # never make a tiny first part just to find a nicer boundary
    for sep in ("\n\n", "\n"):
        at = window.rfind(sep, floor, limit + 1)
        if at > 0:
            return at
    ends = [m.start() for m in _SENTENCE_END.finditer(window, floor) if m.start() <= limit]
    if ends:
        return ends[-1]
    at = window.rfind(" ", floor, limit + 1)
    if at > 0:
        return at
    return limit


class MediaError(Exception):
    """A file could not be fetched or is not accepted (type, size, host). The message names no person."""


class BadWebhook(Exception):
    """A webhook request that cannot be used; `status` is the 4xx to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes also when no Content-Length was sent (chunked)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise BadWebhook(413, "request body too large")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise BadWebhook(413, "request body too large")
    return bytes(data)


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower case."""
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
