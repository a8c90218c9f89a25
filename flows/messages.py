"""The one message pair every channel converts to and from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MediaRef:
    """A photo, document or voice note as the channel names it (fetched later by bot/)."""

    kind: str  # photo | document | voice | other
    ref: str  # channel file id or URL
    content_type: str = ""


@dataclass(frozen=True)
class Button:
    label: str  # what the person sees
    payload: str  # what comes back when pressed (or typed as its number)


@dataclass(frozen=True)
class Inbound:
    channel: str  # web | whatsapp | telegram | cli
    user_ref: str  # channel address: phone number, chat id, web session id
    message_ref: str  # channel message id; unique per channel, used to drop retries
    text: str = ""
    media: tuple[MediaRef, ...] = ()
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    display_name: str = ""

    @property
    def urn(self) -> str:
        return f"{self.channel}:{self.user_ref}"

    @property
    def dedupe_key(self) -> str:
        """Unique per delivery: a channel's retry of it carries the same key."""
        return f"{self.channel}:{self.message_ref}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe copy, to keep a delivery in the inbox until it is handled."""
        return {"channel": self.channel, "user_ref": self.user_ref, "message_ref": self.message_ref,
                "text": self.text, "display_name": self.display_name, "received_at": self.received_at.isoformat(),
                "media": [[m.kind, m.ref, m.content_type] for m in self.media]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Inbound:
        return cls(data["channel"], data["user_ref"], data["message_ref"], data.get("text", ""),
                   tuple(MediaRef(*m) for m in data.get("media", ())),
                   dt.datetime.fromisoformat(data["received_at"]), data.get("display_name", ""))


@dataclass(frozen=True)
class Outbound:
    text: str
    buttons: tuple[Button, ...] = ()

    def as_plain(self) -> str:
        """The message for channels without buttons: a numbered list the user answers by number."""
        if not self.buttons:
            return self.text
        lines = [self.text, ""] + [f"{i}. {b.label}" for i, b in enumerate(self.buttons, 1)]
        return "\n".join(lines)

