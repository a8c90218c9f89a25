"""Channel tests: the dispatcher sweeps and retries fast, so a test sees the end of a retry chain."""

import pytest

from bot.workers import outbox
from bot.channels import wiring


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wiring, "DISPATCH_INTERVAL", 0.05)
    monkeypatch.setattr(outbox, "BASE_DELAY", 0.01)
