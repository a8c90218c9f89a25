"""The Twilio side of WhatsApp: the REST client and the download of media (evidence) from Twilio's hosts.

HELPDESK_TWILIO_API_URL points both at a local stand-in (tests, a fake Twilio): every
*.twilio.com URL is rewritten to it. Our credentials go to Twilio's hosts only.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

import httpx
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.channels import MediaError
from bot.channels.media import accepted, normalise_type

# --- the twilio client, pointed at a local fake when HELPDESK_TWILIO_API_URL is set ------------------------


def is_twilio_host(host: str | None) -> bool:
    host = (host or "").lower()
    return host == "twilio.com" or host.endswith(".twilio.com")


def rewrite_twilio_url(url: str, base: str | None) -> str:
    """Send a *.twilio.com URL to `base` instead (tests, a local stand-in); other URLs unchanged."""
    parts = urllib.parse.urlsplit(url)
    if not base or not is_twilio_host(parts.hostname):
        return url
    return base.rstrip("/") + parts.path + ("?" + parts.query if parts.query else "")


class LocalTwilioHttpClient(TwilioHttpClient):
    """The one documented subclass (LIBRARIES §2.9): rewrites the host, nothing else."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_quiet_logger())
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # twilio ships no types
        return super().request(method, rewrite_twilio_url(url, self.base), *args, **kwargs)


def _quiet_logger() -> logging.Logger:
    # twilio logs every request URL and query at INFO; keep that out of the service log
    logger = logging.getLogger("bot.channels.twilio_http")
    logger.setLevel(logging.WARNING)
    return logger


def make_client(account_sid: str, auth_token: str, api_url: str | None, timeout: float = 15.0) -> Client:
    http = LocalTwilioHttpClient(api_url, timeout) if api_url else TwilioHttpClient(timeout=timeout,
                                                                                   logger=_quiet_logger())
    return Client(account_sid, auth_token, http_client=http)


def whatsapp_address(number: str) -> str:
    number = number.strip()
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


# --- media (evidence) ---------------------------------------------------------------------------------------


class TwilioMedia:
    """media.Fetcher for Twilio media URLs: Basic auth with the account SID and token, only to Twilio's hosts."""

    def __init__(self, account_sid: str, auth_token: str, api_url: str | None, timeout: float = 30.0) -> None:
        self.auth = (account_sid, auth_token)
        self.api_url = api_url
        # httpx drops the Authorization header when Twilio redirects to its storage host
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=True, max_redirects=3)

    async def fetch(self, ref: str, content_type: str, max_bytes: int) -> tuple[bytes, str]:
        if not is_twilio_host(urllib.parse.urlsplit(ref).hostname):
            raise MediaError("media URL is not on a Twilio host")  # never send our credentials elsewhere
        url = rewrite_twilio_url(ref, self.api_url)
        try:
            async with self.client.stream("GET", url, auth=self.auth) as response:
                if response.status_code != 200:
                    raise MediaError(f"media download answered HTTP {response.status_code}")
                ctype = normalise_type(response.headers.get("content-type")) or content_type
                if not accepted(ctype):
                    raise MediaError(f"content type {ctype or 'missing'} is not accepted")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise MediaError("file larger than the limit")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise MediaError("file larger than the limit")
        except httpx.HTTPError as exc:
            raise MediaError(f"media download failed: {type(exc).__name__}") from None
        return bytes(data), ctype

    async def close(self) -> None:
        await self.client.aclose()
