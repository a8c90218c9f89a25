"""Channel tests: the real twilio and python-telegram-bot libraries against local fakes on 127.0.0.1.

Shared helpers live here (this package has no conftest of its own): settings with channel
secrets, the app under TestClient (which runs the lifespan, so the dispatcher and PTB run),
signed Twilio posts, and polling helpers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

# the clients (requests, httpx) honour proxy variables; the fakes are on loopback
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bot.settings import Settings
from bot.settings_secrets import Secrets
from bot.settings_sections import MediaSettings, OutboxSettings, TelegramSettings, WhatsAppSettings
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

PUBLIC_URL = "https://helpdesk.example.org"
WA_FROM = "whatsapp:+14155238886"
TG_SECRET = "s3cret-Token_for-tests"
TEMPLATE_SID = "HX" + "ab" * 16

T = TypeVar("T")


def channel_settings(base: Settings, tmp_path: Path, *, twilio_url: str | None = None, telegram_url: str | None = None,
                     token: str | None = None, mode: str = "auto", staff_chat_id: int | None = None,
                     public_url: str | None = PUBLIC_URL, template: bool = False) -> Settings:
    """The test settings with the secrets of the channels that should run, pointed at the fakes."""
    secrets = Secrets(
        database_url=base.secrets.database_url, public_url=public_url,
        twilio_account_sid=ACCOUNT_SID if twilio_url else None, twilio_auth_token=AUTH_TOKEN if twilio_url else None,
        twilio_whatsapp_from=WA_FROM if twilio_url else None, twilio_api_url=twilio_url,
        telegram_bot_token=token if telegram_url else None, telegram_api_url=telegram_url,
        telegram_webhook_secret=TG_SECRET if telegram_url else None)
    whatsapp = WhatsAppSettings(template_content_sid=TEMPLATE_SID if template else None,
                                template_variables={"1": "Migrant Center Kepri"})
    return base.model_copy(update={
        "secrets": secrets, "whatsapp": whatsapp,
        "telegram": TelegramSettings(mode=mode, staff_chat_id=staff_chat_id),  # type: ignore[arg-type]
        "media": MediaSettings(evidence_dir=str(tmp_path / "evidence"), max_bytes=1024 * 1024),
        "outbox": OutboxSettings(max_tries=base.outbox.max_tries, base_delay_seconds=0.01)})


@contextmanager
def running_app(settings: Settings, service: Any) -> Iterator[TestClient]:
    from bot.web.app import create_app

    with TestClient(create_app(settings, service)) as client:
        yield client


def wait_until(check: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def sign(url: str, params: dict[str, str]) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


def post_signed(client: TestClient, params: dict[str, str], path: str = "/webhooks/whatsapp", *,
                signed_for: str | None = None, headers: dict[str, str] | None = None) -> Any:
    """POST a form as Twilio does: signed over the public URL (the proxy forwards to http://testserver)."""
    signature = sign(signed_for or PUBLIC_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})})


def rows(service: Any, model: type, *where: Any) -> list[Any]:
    with Session(service.db) as s:
        return list(s.exec(select(model).where(*where)))
