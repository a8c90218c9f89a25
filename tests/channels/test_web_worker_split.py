"""`helpdesk serve --no-workers` only acknowledges and stores; a worker app (the lifespan of
`helpdesk worker`) handles the delivery and sends the reply; the scheduler runs only in the worker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from storage.models import InboxItem
from tests.channels import WA_FROM, channel_settings, post_signed, rows, wait_until
from tests.channels.fake_twilio import FakeTwilio


@pytest.fixture
def fake() -> FakeTwilio:
    server = FakeTwilio().start()
    yield server
    server.stop()


def test_web_only_stores_and_the_worker_answers(settings, tmp_path, fake, service) -> None:
    wa_settings = channel_settings(settings, tmp_path, twilio_url=fake.url)
    sender = "+62812" + str(uuid.uuid4().int)[:8]
    form = {"From": f"whatsapp:{sender}", "To": WA_FROM, "Body": "apa syarat jadi pmi?",
            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
    web = create_app(wa_settings, service, workers=False)
    with TestClient(web) as client:
        assert getattr(client.app.state, "scheduler", None) is None  # the jobs run where the workers run
        assert post_signed(client, form).status_code == 200
        assert len(rows(service, InboxItem)) == 1  # acknowledged and kept, not handled here
        assert fake.messages == []

    worker = create_app(wa_settings, service, workers=True, web=False)

    async def run_worker() -> None:
        async with worker.router.lifespan_context(worker):
            assert worker.state.scheduler is not None
            for _ in range(500):
                if fake.sent_to(f"whatsapp:{sender}"):
                    return
                await asyncio.sleep(0.02)

    asyncio.run(run_worker())
    assert len(fake.sent_to(f"whatsapp:{sender}")) == 1
    wait_until(lambda: not rows(service, InboxItem), what="the inbox emptied")
