"""WhatsApp has no buttons: an FAQ answer's "Selengkapnya" arrives as option 1 and "1" brings the details."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from bot.service import build_service
from flows import phrases
from knowledge.kb import KnowledgeBase
from tests.channels import WA_FROM, channel_settings, post_signed, running_app
from tests.channels.fake_twilio import FakeTwilio

QUESTION = "apa syarat jadi pmi?"
DETAILS = "Rincian syaratnya: usia minimal 18 tahun.\nDasar: UU 18/2017 Pasal 5."


@pytest.fixture
def fake() -> FakeTwilio:
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def client(settings, ctx, tmp_path, fake):
    # every entry gets details, so whichever entry the models pick for QUESTION offers them
    entries = tuple(dataclasses.replace(e, more=DETAILS) for e in ctx.kb.entries)
    service = build_service(settings, ctx=dataclasses.replace(ctx, kb=KnowledgeBase(ctx.kb.topics, entries)))
    with running_app(channel_settings(settings, tmp_path, twilio_url=fake.url), service) as c:
        yield c
    service.db.dispose()


def _inbound(body: str, sender: str) -> dict[str, str]:
    return {"From": f"whatsapp:{sender}", "To": WA_FROM, "Body": body, "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": "AC" + "0" * 32, "NumMedia": "0", "ProfileName": "Siti", "WaId": "62812"}


def test_the_details_are_the_first_numbered_option_and_1_sends_them(client, fake) -> None:
    sender = "+62812" + str(uuid.uuid4().int)[:8]
    post_signed(client, _inbound(QUESTION, sender))
    first = fake.wait_for(1, to=f"whatsapp:{sender}")[0]["Body"]
    assert f"\n1. {phrases.MORE_LABEL}\n" in first and "Rincian syaratnya" not in first
    post_signed(client, _inbound("1", sender))
    details = fake.wait_for(2, to=f"whatsapp:{sender}")[1]["Body"]
    assert "Rincian syaratnya" in details and "Dasar: UU 18/2017 Pasal 5." in details
    assert phrases.HELPFUL_Q in details and "\n1. Ya, membantu" in details  # the feedback question follows
