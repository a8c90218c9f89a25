"""One typed settings object: config.yaml for service settings, the environment for secrets.

Built once at start (`load_settings`) and passed down. Any unknown key, missing key or bad
value stops the start with a message that names the key. The sections' models are in
bot/settings_sections.py, the environment's secrets in bot/settings_secrets.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from bot.settings_secrets import Secrets
from bot.settings_sections import (
    CaseSlaSettings,
    ConsoleSettings,
    ConversationSettings,
    DatabaseSettings,
    LimitSettings,
    MatchingSettings,
    MediaSettings,
    OfficeSettings,
    OutboxSettings,
    PrivacySettings,
    RegistrySettings,
    ServiceSettings,
    SlaSettings,
    Strict,
    TelegramSettings,
    UnderstandingSettings,
    WebChatSettings,
    WebSettings,
    WhatsAppSettings,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"


class Settings(Strict):
    service: ServiceSettings
    database: DatabaseSettings
    web: WebSettings = WebSettings()
    webchat: WebChatSettings = WebChatSettings()
    console: ConsoleSettings = ConsoleSettings()
    matching: MatchingSettings
    understanding: UnderstandingSettings
    conversation: ConversationSettings = ConversationSettings()
    office: OfficeSettings
    contacts: dict[str, str]
    emergency_contacts: list[str] = Field(min_length=1)
    emergency_contacts_by_place: dict[str, list[str]] = {}
    sla_minutes: SlaSettings  # first response per priority; filled from `sla` when not given
    sla: CaseSlaSettings
    registry: RegistrySettings
    limits: LimitSettings = LimitSettings()
    outbox: OutboxSettings = OutboxSettings()
    privacy: PrivacySettings = PrivacySettings()
    secrets: Secrets = Secrets()
    config_path: str = ""
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    telegram: TelegramSettings = TelegramSettings()
    media: MediaSettings = MediaSettings()

    @model_validator(mode="before")
    @classmethod
    def _first_response_minutes(cls, raw: object) -> object:
        # the engine times unclaimed cases by `sla_minutes`; one source of truth: `sla.*.first_response`
        if isinstance(raw, dict) and isinstance(raw.get("sla"), dict) and "sla_minutes" not in raw:
            sla = raw["sla"]
            raw = {**raw, "sla_minutes": {p: (sla.get(p) or {}).get("first_response") if isinstance(sla.get(p), dict)
                                          else None for p in ("emergency", "high", "normal")}}
        return raw

    @model_validator(mode="after")
    def _sla_agrees(self) -> "Settings":
        for priority in ("emergency", "high", "normal"):
            if getattr(self.sla_minutes, priority) != self.sla.targets(priority).first_response:
                raise ValueError(f"sla_minutes.{priority} differs from sla.{priority}.first_response; keep only sla")
        return self

    @model_validator(mode="after")
    def _emergency_contacts_exist(self) -> "Settings":
        unknown = [k for k in self.emergency_contacts if k not in self.contacts]
        if unknown:
            raise ValueError(f"emergency_contacts: {', '.join(unknown)} not defined under contacts")
        for place, keys in self.emergency_contacts_by_place.items():
            unknown = [k for k in keys if k not in self.contacts]
            if unknown:
                raise ValueError(f"emergency_contacts_by_place.{place}: {', '.join(unknown)} not defined under contacts")
        return self

    @property
    def database_url(self) -> str:
        return self.secrets.database_url or self.database.url

    def with_database(self, url: str) -> "Settings":
        """The same settings on another database (a scratch one for rehearsals)."""
        return self.model_copy(update={"secrets": self.secrets.model_copy(update={"database_url": url})})

    def placeholder_values(self) -> dict[str, dict[str, object]]:
        """The values knowledge-base answers may refer to as {section.key}."""
        return {"contacts": dict(self.contacts), "office": self.office.model_dump()}


class ConfigError(Exception):
    """config.yaml cannot be used; the message names the file and every bad key."""


def config_path(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("HELPDESK_CONFIG") or DEFAULT_CONFIG)


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    p = config_path(str(path) if path else None)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found (set --config or HELPDESK_CONFIG)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping of settings at the top level")
    try:
        raw = {**raw, "secrets": Secrets.from_env(env), "config_path": str(p)}
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"]) or "(top level)"
            lines.append(f"  {key}: {err['msg']}")
        raise ConfigError(f"{p}: invalid configuration\n" + "\n".join(lines)) from None


Channel = Literal["web", "whatsapp", "telegram", "cli"]
