"""Shared fixtures: a fresh database per test, the real knowledge base, conversation helpers."""

from __future__ import annotations

import dataclasses
import itertools
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# A build passes or fails on the code, not on the day's random draw: the same examples every run.
# HYPOTHESIS_PROFILE=explore draws new ones (run it locally when changing matching code).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

os.environ.setdefault("HELPDESK_FAST_HASH", "1")  # cheap Argon2 parameters in tests

from bot.service import Service, build_context, build_service  # noqa: E402
from bot.settings import Settings, load_settings  # noqa: E402
from flows.context import FlowContext  # noqa: E402
from flows.messages import Inbound, Outbound  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def database_url(tmp_path: Path):  # type: ignore[no-untyped-def]
    """SQLite in the test's folder, or a fresh database on the PostgreSQL server named by
    HELPDESK_TEST_DATABASE_URL (CI runs the suite on both)."""
    pg = os.environ.get("HELPDESK_TEST_DATABASE_URL")
    if not pg:
        yield f"sqlite:///{tmp_path}/helpdesk.db"
        return
    from tests.pg import drop_database, fresh_database

    url = fresh_database(pg)
    yield url
    drop_database(pg, url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(ROOT / "config.yaml", env={"HELPDESK_DATABASE_URL": database_url})


@pytest.fixture(scope="session")
def shared_ctx() -> FlowContext:
    return build_context(load_settings(ROOT / "config.yaml", env={}))


@pytest.fixture
def ctx(shared_ctx: FlowContext) -> FlowContext:
    """A copy per test, so a test may swap the registry or the clock without leaking."""
    return dataclasses.replace(shared_ctx)


@pytest.fixture
def service(settings: Settings, ctx: FlowContext) -> Service:
    svc = build_service(settings, ctx=ctx)
    yield svc
    svc.db.dispose()


class Chat:
    """Push a message, read the replies: tests that read like conversations."""

    _ids = itertools.count()

    def __init__(self, service: Service, channel: str = "telegram", user: str | None = None) -> None:
        self.service = service
        self.channel = channel
        self.user = user or f"u{uuid.uuid4().hex[:8]}"
        self.last: list[Outbound] = []

    def say(self, text: str, message_ref: str | None = None, **kw) -> list[Outbound]:  # type: ignore[no-untyped-def]
        ref = message_ref or f"m{next(self._ids)}-{uuid.uuid4().hex[:6]}"
        handled = self.service.engine.handle(Inbound(self.channel, self.user, ref, text, **kw))
        self.last = list(handled.replies)
        return self.last

    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    def labels(self) -> list[str]:
        return [b.label for r in self.last for b in r.buttons]

    def press(self, label: str) -> list[Outbound]:
        """Answer with the number of the button, as a WhatsApp user would."""
        labels = [b.label for b in self.last[-1].buttons]
        return self.say(str(labels.index(label) + 1))


@pytest.fixture
def chat(service: Service) -> Chat:
    return Chat(service)
