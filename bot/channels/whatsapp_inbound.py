"""WhatsApp webhooks in: Twilio's form body, its signature, and the message it carries.

Twilio signs HELPDESK_PUBLIC_URL + path + query (`signed_url`), so the signature validates
behind a TLS-terminating proxy. Nothing of the body is trusted before `signature_ok`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator

from fastapi import Request
from twilio.request_validator import RequestValidator, compare

from bot.channels import BadWebhook
from bot.channels.media import normalise_type
from flows.messages import Inbound, MediaRef

MAX_FORM_BYTES = 64 * 1024  # a real inbound webhook is a few kB
MAX_MEDIA = 10  # WhatsApp sends at most 10 media per message
FORM_TYPE = "application/x-www-form-urlencoded"

_FROM = re.compile(r"^whatsapp:\+?[0-9]{5,20}$")
MESSAGE_SID = re.compile(r"^[A-Za-z0-9]{10,64}$")


class FormParams:
    """A form body as Twilio posted it: every pair kept, for the signature (multi-values included)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self._pairs))

    def __len__(self) -> int:
        return len(self._pairs)

    def getall(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    def get(self, name: str, default: str = "") -> str:
        for k, v in self._pairs:
            if k == name:
                return v
        return default


def parse_form(body: bytes) -> FormParams:
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                                       errors="strict", max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise BadWebhook(400, "form body is not valid") from None
    return FormParams(pairs)


def signed_url(public_url: str, request: Request) -> str:
    """The URL Twilio signed: the public address, not what the proxy forwarded to us."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return public_url.rstrip("/") + request.url.path + ("?" + query if query else "")


def signature_ok(validator: RequestValidator, url: str, params: FormParams, signature: str | None) -> bool:
    if not signature:
        return False
    # the URL as configured is what Twilio signs; validate() also tries it with and without the
    # default port, two more HMACs on every request, so it only runs when the first check fails
    if compare(validator.compute_signature(url, params), signature):
        return True
    return bool(validator.validate(url, params, signature))


def _media_kind(content_type: str) -> str:
    major = normalise_type(content_type).split("/", 1)[0]
    return {"image": "photo", "audio": "voice"}.get(major, "document" if major == "application" else "other")


def inbound_from_form(form: FormParams) -> Inbound:
    """The Twilio fields we use (LIBRARIES §2.1); a tap on a quick-reply button comes back as its payload."""
    sender, sid = form.get("From"), form.get("MessageSid") or form.get("SmsSid")
    if not _FROM.match(sender):
        raise BadWebhook(400, "From is not a WhatsApp address")
    if not MESSAGE_SID.match(sid):
        raise BadWebhook(400, "MessageSid missing or malformed")
    count = form.get("NumMedia", "0") or "0"
    if not count.isdigit() or int(count) > MAX_MEDIA:
        raise BadWebhook(400, "NumMedia is not a number from 0 to 10")
    media = []
    for i in range(int(count)):
        url, ctype = form.get(f"MediaUrl{i}"), form.get(f"MediaContentType{i}")
        if url.startswith(("https://", "http://")):
            media.append(MediaRef(_media_kind(ctype), url[:500], normalise_type(ctype)[:100]))
    text = form.get("ButtonPayload") or form.get("ListId") or form.get("Body")
    return Inbound("whatsapp", sender.removeprefix("whatsapp:"), sid, text, tuple(media),
                   display_name=form.get("ProfileName")[:200])
