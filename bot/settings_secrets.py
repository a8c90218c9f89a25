"""The settings that come from the environment only: secrets, tokens and the public URL."""

from __future__ import annotations

import os
from typing import Optional

from pydantic import BaseModel, field_validator


class Secrets(BaseModel):
    """From the environment only; absent secrets switch their channel off."""

    database_url: Optional[str] = None
    public_url: Optional[str] = None
    twilio_account_sid: Optional[str] = None
    twilio_auth_token: Optional[str] = None
    twilio_whatsapp_from: Optional[str] = None
    telegram_bot_token: Optional[str] = None
    telegram_webhook_secret: Optional[str] = None
    telegram_api_url: Optional[str] = None
    twilio_api_url: Optional[str] = None
    # the bearer token Prometheus sends to /metrics; without it /metrics answers loopback only
    metrics_token: Optional[str] = None

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and len(value) < 24:
            raise ValueError("HELPDESK_METRICS_TOKEN must have at least 24 characters (e.g. openssl rand -hex 24)")
        return value

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Secrets":
        env = dict(os.environ if env is None else env)

        def get(name: str) -> Optional[str]:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            database_url=get("HELPDESK_DATABASE_URL"),
            public_url=get("HELPDESK_PUBLIC_URL"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_whatsapp_from=get("TWILIO_WHATSAPP_FROM"),
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_url=get("HELPDESK_TELEGRAM_API_URL"),
            twilio_api_url=get("HELPDESK_TWILIO_API_URL"),
            metrics_token=get("HELPDESK_METRICS_TOKEN"),
        )
