"""Between Telegram's objects and ours: a message or command as an `Inbound`, and our buttons as an inline keyboard.

Telegram carries at most 64 bytes of callback data per button; a longer payload goes out as its
hash (`callback_data`) and is found again among the buttons we sent that chat (`resolve_callback`,
from the outbox), so no mapping lives in process memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from flows.messages import Inbound, MediaRef
from storage import contacts
from storage import outbox as outbox_rows
from storage.db import read_session

MAX_CALLBACK_BYTES = 64
HASHED = "#h:"  # callback data standing for a longer payload (see callback_data)
# command -> the text the flows understand (a payload such as "menu:report" is only read as
# a button when it was offered in the previous turn, so plain words are used)
COMMANDS = {"start": "menu", "menu": "menu", "lapor": "lapor", "cek": "cek", "status": "status laporan"}


# --- buttons ------------------------------------------------------------------------------------------------


def callback_data(payload: str) -> str:
    """Telegram allows 64 bytes of callback data; a longer payload is sent as its hash and looked up on return."""
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(HASHED):
        return payload
    return HASHED + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]


def resolve_callback(db: Engine, chat_id: int, data: str, recent: int = 50) -> str | None:
    """The payload a button press stands for. Hashed ones are found among the buttons we sent this chat
    (the outbox), so no mapping lives in process memory."""
    if not data.startswith(HASHED):
        return data
    with read_session(db) as s:
        contact_id = contacts.id_by_urn(s, urn=f"telegram:{chat_id}")
        if contact_id is None:
            return None
        sent = outbox_rows.recent_buttons(s, contact_id=contact_id, limit=recent)
    for buttons in sent:
        for b in buttons:
            if callback_data(b.get("payload", "")) == data:
                return b["payload"]
    return None


def keyboard(buttons: Sequence[dict[str, str]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    # one button per row: labels are sentences in Indonesian and must stay readable on a phone
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["label"][:64] or "…", callback_data=callback_data(b["payload"]))]
                                 for b in buttons])


# --- inbound ------------------------------------------------------------------------------------------------


def inbound_from_message(msg: Message, text: str | None = None) -> Inbound:
    chat = msg.chat
    media: list[MediaRef] = []
    if msg.photo:
        media.append(MediaRef("photo", msg.photo[-1].file_id, "image/jpeg"))  # the largest size
    if msg.document:
        media.append(MediaRef("document", msg.document.file_id, msg.document.mime_type or ""))
    if msg.voice:
        media.append(MediaRef("voice", msg.voice.file_id, msg.voice.mime_type or "audio/ogg"))
    if msg.audio:
        media.append(MediaRef("other", msg.audio.file_id, msg.audio.mime_type or "audio/mpeg"))
    if msg.video:
        media.append(MediaRef("other", msg.video.file_id, msg.video.mime_type or "video/mp4"))
    body = text if text is not None else (msg.text or msg.caption or "")
    name = msg.from_user.full_name if msg.from_user else ""
    return Inbound("telegram", str(chat.id), f"{chat.id}:{msg.message_id}", body, tuple(media),
                   received_at=dt.datetime.now(dt.UTC), display_name=name[:200])


def command_text(msg: Message, args: Sequence[str]) -> str:
    command = (msg.text or "/").split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
    rest = " ".join(args).strip()
    if rest and command == "lapor":
        return rest  # "/lapor saya dikurung majikan" is read (and safety-checked) as the report itself
    if rest and command == "cek":
        return f"cek {rest}"
    return COMMANDS.get(command, "menu")
