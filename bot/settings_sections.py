"""The pydantic models of config.yaml's sections (bot/settings.py puts them together and loads them).

Strict: an unknown key, a missing key or a bad value is an error that names the key.
"""

from __future__ import annotations

import ipaddress
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    """A config section: unknown keys are refused, values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSettings(Strict):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Jakarta"


class DatabaseSettings(Strict):
    url: str = Field(min_length=1)


class WebSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    access_log: bool = False
    # Peers whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (its forwarded_allow_ips):
    # addresses or networks of the reverse proxies in front. Empty: forwarded headers are ignored.
    trusted_proxies: tuple[str, ...] = ()

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for item in value:
            item = item.strip()
            if item == "*":
                raise ValueError("'*' would let any client forge its address; list the proxies' addresses")
            try:
                out.append(str(ipaddress.ip_network(item, strict=False)) if "/" in item
                           else str(ipaddress.ip_address(item)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return tuple(out)


class WebChatSettings(Strict):
    # a web chat with no message either way for this long is over: its cookie no longer opens
    # the history (a shared phone does not show it to the next person) and a new chat starts
    session_idle_minutes: int = Field(default=10080, ge=5, le=90 * 24 * 60)


class LoginSettings(Strict):
    """Console sign-in limits (bot/web/auth_limits.py). Attempts count from the moment they start, over 15 minutes."""

    # failed attempts from one client address, whatever the usernames, before it must wait
    failures_per_client: int = Field(default=30, ge=1, le=10_000)
    # failed attempts at one account from one client address before that pair must wait
    failures_per_account_client: int = Field(default=5, ge=1, le=100)
    # failed attempts at one account from anywhere before each further try waits 1, 2, 4 ... s
    free_failures_per_account: int = Field(default=10, ge=1, le=1000)
    max_delay_seconds: int = Field(default=300, ge=1, le=3600)
    # threads that run Argon2 (its own pool, not the one serving chat and webhooks), and how many
    # checks may wait for them before new sign-ins are asked to come back shortly
    hash_workers: int = Field(default=2, ge=1, le=16)
    hash_queue: int = Field(default=16, ge=0, le=1000)


class ConsoleSettings(Strict):
    # a console session with no page opened or form sent for this long is over (the queue's
    # automatic refresh does not count); a session never lasts more than 12 hours
    idle_minutes: int = Field(default=60, ge=5, le=720)
    login: LoginSettings = LoginSettings()


class MatchingSettings(Strict):
    answer: float = Field(ge=0, le=1)
    suggest: float = Field(ge=0, le=1)
    margin: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> "MatchingSettings":
        if self.suggest > self.answer:
            raise ValueError("suggest must not be above answer")
        return self


class UnderstandingSettings(Strict):
    danger_high: float = Field(ge=0, le=1)
    danger_low: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> "UnderstandingSettings":
        if self.danger_low > self.danger_high:
            raise ValueError("danger_low must not be above danger_high")
        return self


class ConversationSettings(Strict):
    idle_reset_minutes: int = Field(default=240, ge=1)


class OfficeSettings(Strict):
    name: str
    city: str = ""
    address: Optional[str] = None
    phone: Optional[str] = None
    hours: Optional[str] = None


class SlaSettings(Strict):
    emergency: int = Field(ge=1)
    high: int = Field(ge=1)
    normal: int = Field(ge=1)


class SlaTargets(Strict):
    """Minutes, for one priority (storage/case_sla.py reads them)."""

    first_response: int = Field(ge=1)  # opened -> claimed by an officer
    next_response: int = Field(ge=1)  # the person wrote again in a claimed case -> an officer answers
    resolution: int = Field(ge=1)  # opened (or reopened) -> resolved

    @model_validator(mode="after")
    def _order(self) -> "SlaTargets":
        if self.resolution < max(self.first_response, self.next_response):
            raise ValueError("resolution must not be shorter than first_response or next_response")
        return self


class CaseSlaSettings(Strict):
    emergency: SlaTargets
    high: SlaTargets
    normal: SlaTargets
    # a case put to "menunggu balasan pelapor" by a reply, without a date, is due back after this
    waiting_follow_up_hours: int = Field(default=72, ge=1, le=90 * 24)

    @model_validator(mode="after")
    def _urgent_first(self) -> "CaseSlaSettings":
        for name in ("first_response", "next_response", "resolution"):
            if not getattr(self.emergency, name) <= getattr(self.high, name) <= getattr(self.normal, name):
                raise ValueError(f"{name}: expected emergency <= high <= normal")
        return self

    def targets(self, priority: str) -> SlaTargets:
        return {"emergency": self.emergency, "high": self.high}.get(priority, self.normal)


class OutboxSettings(Strict):
    # a reply is tried this many times (back-off doubling from base_delay_seconds) before it is
    # marked undelivered for the console
    max_tries: int = Field(default=6, ge=1, le=50)
    base_delay_seconds: float = Field(default=2.0, gt=0)
    # a reply left "sending" by a process that died is tried again after this many seconds; it must
    # outlast the channel clients' request timeouts (15-20 s), or a slow send would be sent twice
    sending_timeout_seconds: int = Field(default=120, ge=60)


class WebChatFloodLimits(Strict):
    """New web chat sessions, and the cases they open, per client address, per session and
    service-wide within a sliding window. Nobody is refused: over a limit the person still
    gets the whole reply (emergency guidance included) and the case is flagged "kemungkinan
    spam" for the supervisors. Counted in each web process's memory (like the login throttle)."""

    window_minutes: int = Field(default=60, ge=1, le=24 * 60)
    new_sessions_per_ip: int = Field(default=30, ge=1)
    new_sessions_total: int = Field(default=1000, ge=1)
    cases_per_ip: int = Field(default=10, ge=1)
    cases_per_session: int = Field(default=3, ge=1)
    cases_total: int = Field(default=300, ge=1)

    @model_validator(mode="after")
    def _order(self) -> "WebChatFloodLimits":
        if self.new_sessions_per_ip > self.new_sessions_total:
            raise ValueError("new_sessions_per_ip must not be above new_sessions_total")
        if not self.cases_per_session <= self.cases_per_ip <= self.cases_total:
            raise ValueError("expected cases_per_session <= cases_per_ip <= cases_total")
        return self


class LimitSettings(Strict):
    # a person writing faster than this is slowed with one polite notice; danger always goes through
    messages_per_minute: int = Field(default=20, ge=1)
    webchat: WebChatFloodLimits = WebChatFloodLimits()
    # cases per page of the console queue (the first page also keeps every unclaimed emergency)
    queue_page_size: int = Field(default=50, ge=5, le=500)


class PrivacySettings(Strict):
    # messages and closed cases older than this are deleted or anonymised by the purge job
    retention_days: int = Field(default=365, ge=1)


class RegistrySettings(Strict):
    sample_file: str


class WhatsAppSettings(Strict):
    """WhatsApp via Twilio. The template goes out instead of free text outside the 24-hour window."""

    template_content_sid: Optional[str] = Field(default=None, pattern=r"^HX[0-9a-fA-F]{32}$")
    template_variables: dict[str, str] = Field(default_factory=dict)


class TelegramSettings(Strict):
    """auto: webhook when HELPDESK_PUBLIC_URL and TELEGRAM_WEBHOOK_SECRET are set, else polling."""

    mode: Literal["auto", "polling", "webhook"] = "auto"
    staff_chat_id: Optional[int] = None


class MediaSettings(Strict):
    """Photos, documents and voice notes reporters send, stored as evidence of their case."""

    evidence_dir: str = Field(default="data/evidence", min_length=1)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
