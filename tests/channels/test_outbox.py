"""The outbox senders of WhatsApp and Telegram: what is retried, what is final, and the dispatcher around them."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.workers import outbox
from bot.channels import split_text, telegram, whatsapp_sender, whatsapp_twilio
from bot.workers.outbox import Dispatcher, OutMessage, SendError, Sent, mark_status
from flows.messages import Inbound
from storage.models import Contact, Outbox, utcnow
from tests.channels import PUBLIC_URL, TG_SECRET, WA_FROM, rows
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def twilio_fake() -> FakeTwilio:
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def telegram_fake() -> FakeTelegram:
    server = FakeTelegram().start()
    yield server
    server.stop()


def contact(service: Any, channel: str, address: str) -> int:
    """A person who just wrote (the WhatsApp window is open)."""
    service.engine.handle(Inbound(channel, address, uuid.uuid4().hex, "halo"))
    with Session(service.db) as s:
        return s.exec(select(Contact.id).where(Contact.urn == f"{channel}:{address}")).one()  # type: ignore[return-value]


def wa_sender(service: Any, fake: FakeTwilio, token: str = AUTH_TOKEN, api_url: str | None = None,
              template: str | None = None) -> whatsapp_sender.WhatsAppSender:
    client = whatsapp_twilio.make_client(ACCOUNT_SID, token, api_url or fake.url)
    return whatsapp_sender.WhatsAppSender(service.db, client, WA_FROM, status_callback=None, template_sid=template,
                                   template_variables={})


def message(contact_id: int, address: str, channel: str = "whatsapp", text: str = "Halo dari petugas",
            buttons: tuple[dict[str, str], ...] = ()) -> OutMessage:
    return OutMessage(0, channel, address, text, buttons, contact_id)


# --- WhatsApp ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status,code,permanent", [
    (500, 20500, False),
    (503, 20503, False),
    (429, 20429, False),
    (400, 21211, True),  # invalid 'To' number
    (400, 21610, True),  # the person replied STOP
    (400, 63016, True),  # outside the 24-hour window
])
def test_twilio_errors_are_retried_or_final(service, twilio_fake, status, code, permanent) -> None:
    address = "+6281234567801"
    cid = contact(service, "whatsapp", address)
    twilio_fake.fail_next(1, status=status, code=code)
    with pytest.raises(SendError) as err:
        asyncio.run(wa_sender(service, twilio_fake).send(message(cid, address)))
    assert err.value.permanent is permanent
    assert address not in str(err.value)  # the number never ends up in last_error or a log line
    if code == 63016:
        assert err.value.settle_as == "held"  # released when the person writes again


def test_wrong_credentials_and_a_dead_network_are_retried(service, twilio_fake) -> None:
    address = "+6281234567802"
    cid = contact(service, "whatsapp", address)
    with pytest.raises(SendError) as err:
        asyncio.run(wa_sender(service, twilio_fake, token="wrong").send(message(cid, address)))
    assert not err.value.permanent and "401" in str(err.value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, not listening: connection refused
        with pytest.raises(SendError) as err:
            asyncio.run(wa_sender(service, twilio_fake, api_url=dead).send(message(cid, address)))
    assert not err.value.permanent and "jaringan" in str(err.value)


def test_whatsapp_buttons_become_a_numbered_list(service, twilio_fake) -> None:
    address = "+6281234567803"
    cid = contact(service, "whatsapp", address)
    buttons = ({"label": "Tanya prosedur", "payload": "menu:faq"}, {"label": "Lapor masalah", "payload": "menu:report"})
    sid = asyncio.run(wa_sender(service, twilio_fake).send(message(cid, address, text="Pilih:", buttons=buttons)))
    assert sid.startswith("SM")
    assert twilio_fake.messages[0]["Body"] == "Pilih:\n\n1. Tanya prosedur\n2. Lapor masalah"
    assert twilio_fake.messages[0]["To"] == f"whatsapp:{address}"


# --- Telegram ------------------------------------------------------------------------------------------


def _with_telegram(service: Any, fake: FakeTelegram, run: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(telegram, "RATE_LIMIT_RETRIES", 0)  # the 429 reaches the sender instead of being waited out

    async def main() -> Any:
        async def deliver(*_: Any) -> None:
            return None

        channel = telegram.TelegramChannel(service, token=fake.token, api_url=fake.url, mode="webhook",
                                           public_url=PUBLIC_URL, secret=TG_SECRET, deliver=deliver)
        await channel.start()
        try:
            return await run(channel)
        finally:
            await channel.stop()

    return asyncio.run(main())


@pytest.mark.parametrize("status,permanent", [(500, False), (502, False), (403, True), (400, True)])
def test_telegram_errors_are_retried_or_final(service, telegram_fake, monkeypatch, status, permanent) -> None:
    telegram_fake.fail_next(1, status=status)

    async def run(channel: telegram.TelegramChannel) -> SendError:
        with pytest.raises(SendError) as err:
            await channel.sender.send(message(1, "4242", "telegram"))
        return err.value

    error = _with_telegram(service, telegram_fake, run, monkeypatch)
    assert error.permanent is permanent


def test_telegram_429_carries_retry_after(service, telegram_fake, monkeypatch) -> None:
    telegram_fake.rate_limit_next(1, retry_after=7)

    async def run(channel: telegram.TelegramChannel) -> SendError:
        with pytest.raises(SendError) as err:
            await channel.sender.send(message(1, "4242", "telegram"))
        return err.value

    error = _with_telegram(service, telegram_fake, run, monkeypatch)
    assert error.retry_after == 7 and not error.permanent
    assert outbox.backoff(1, error.retry_after) == 7


def test_telegram_network_failure_is_retried(service, telegram_fake, monkeypatch) -> None:
    async def run(channel: telegram.TelegramChannel) -> SendError:
        telegram_fake.stop()  # the API goes away after the start
        with pytest.raises(SendError) as err:
            await channel.sender.send(message(1, "4242", "telegram"))
        return err.value

    error = _with_telegram(service, telegram_fake, run, monkeypatch)
    assert not error.permanent


# --- the dispatcher with both senders ---------------------------------------------------------------------


def test_both_channels_failing_twice_still_deliver_each_reply_exactly_once(service, twilio_fake, telegram_fake,
                                                                            monkeypatch) -> None:
    monkeypatch.setattr(outbox, "BASE_DELAY", 0.01)
    wa_contact = contact(service, "whatsapp", "+6281234567804")
    tg_contact = contact(service, "telegram", "4243")
    twilio_fake.fail_next(2)
    telegram_fake.fail_next(2)

    async def run(channel: telegram.TelegramChannel) -> None:
        dispatcher = Dispatcher(service.db, [wa_sender(service, twilio_fake), channel.sender])
        for _ in range(200):
            await dispatcher.drain()
            if all(r.status == "sent" for r in rows(service, Outbox)):
                return
            await asyncio.sleep(0.02)

    _with_telegram(service, telegram_fake, run, monkeypatch)
    sent = rows(service, Outbox)
    assert {r.contact_id for r in sent} == {wa_contact, tg_contact}
    assert all(r.status == "sent" and r.tries == 3 for r in sent)
    assert len(twilio_fake.messages) == 1 and twilio_fake.attempts == 3
    assert len(telegram_fake.of("sendMessage", chat_id=4243)) == 3  # two failures, one delivery


@pytest.mark.parametrize("reached_twilio", [0, 1, 2])
def test_a_send_cut_off_by_a_dead_process_is_completed_not_repeated(service, twilio_fake, reached_twilio) -> None:
    """The process died after Twilio accepted 0, 1 or 2 of the reply's 2 parts, before it wrote the
    result: the next claim asks Twilio and sends only the missing parts."""
    address = "+6281234567809"
    contact(service, "whatsapp", address)
    long_text = " ".join(f"kata{i}" for i in range(400))  # over 1 600 characters: two parts
    parts = split_text(long_text, whatsapp_sender.MAX_BODY_CHARS)
    assert len(parts) == 2
    with Session(service.db) as s:
        row = s.exec(select(Outbox)).one()
        row.text, row.buttons = long_text, []
        s.add(row)
        s.commit()
    sender = wa_sender(service, twilio_fake)
    dispatcher = Dispatcher(service.db, [sender], sending_timeout=dt.timedelta(0))
    first = dispatcher.claim()
    assert first[0].uncertain_since is None
    for part in parts[:reached_twilio]:  # what the dead process got out, written by hand to Twilio
        asyncio.run(sender._create(first[0], body=part))
    before = twilio_fake.attempts

    retaken = dispatcher.claim()
    assert retaken[0].uncertain_since == first[0].claimed_at
    asyncio.run(dispatcher.send_one(retaken[0]))

    bodies = [m["Body"] for m in twilio_fake.sent_to(f"whatsapp:{address}")]
    assert bodies == parts  # every part once, in order
    assert twilio_fake.attempts - before == 2 - reached_twilio
    row = rows(service, Outbox)[0]
    assert row.status == "sent" and row.external_id == twilio_fake.messages[-1]["Sid"]
    assert (row.last_error == whatsapp_sender.NOTE_FOUND) is (reached_twilio == 2)


def test_a_retry_after_delays_the_next_attempt(service, telegram_fake, monkeypatch) -> None:
    contact(service, "telegram", "4244")
    telegram_fake.rate_limit_next(1, retry_after=30)

    async def run(channel: telegram.TelegramChannel) -> None:
        await Dispatcher(service.db, [channel.sender]).drain()

    _with_telegram(service, telegram_fake, run, monkeypatch)
    row = rows(service, Outbox)[0]
    assert row.status == "pending" and row.tries == 1
    assert row.next_attempt_at >= utcnow() + dt.timedelta(seconds=25)


def test_a_held_message_is_recorded_with_its_note(service) -> None:
    contact(service, "whatsapp", "+6281234567805")

    class Holding:
        channel = "whatsapp"

        async def send(self, message: OutMessage) -> Sent:
            return Sent(None, "ditahan", status="held")

    asyncio.run(Dispatcher(service.db, [Holding()]).drain())
    row = rows(service, Outbox)[0]
    assert (row.status, row.last_error, row.tries) == ("held", "ditahan", 1)


def test_mark_status_moves_forward_and_keeps_the_error(service) -> None:
    contact(service, "whatsapp", "+6281234567806")
    with Session(service.db) as s:
        row = s.exec(select(Outbox)).one()
        row.status, row.external_id = "sent", "SM1"
        s.add(row)
        s.commit()
    assert mark_status(service.db, external_id="SM1", status="read")
    assert not mark_status(service.db, external_id="SM-unknown", status="delivered")
    mark_status(service.db, external_id="SM1", status="delivered")
    assert rows(service, Outbox)[0].status == "read"
    mark_status(service.db, external_id="SM1", status="failed", error="Twilio kode 30008")
    assert (rows(service, Outbox)[0].status, rows(service, Outbox)[0].last_error) == ("undelivered", "Twilio kode 30008")


# --- splitting --------------------------------------------------------------------------------------------


@hsettings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .\n"), max_size=400), st.integers(min_value=5, max_value=60))
def test_split_text_keeps_every_word_in_order_and_respects_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert parts and all(len(p) <= limit for p in parts)
    assert all(p for p in parts) or parts == [text.strip("\n")]
    assert "".join("".join(parts).split()) == "".join(text.split())


# --- which channels run -----------------------------------------------------------------------------------


def test_channels_without_secrets_stay_off_with_one_log_line_each(settings, caplog) -> None:
    import logging

    from bot.channels import wiring

    caplog.set_level(logging.INFO, logger="bot.channels.wiring")
    chosen = wiring.plan(settings)
    assert (chosen.whatsapp, chosen.telegram, chosen.staff_chat_id) == (False, None, None)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [("WhatsApp channel off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM, "
                     "HELPDESK_PUBLIC_URL"), "Telegram channel off: set TELEGRAM_BOT_TOKEN"]


def test_the_app_runs_without_any_channel(settings, service) -> None:
    from tests.channels import running_app

    with running_app(settings, service) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/webhooks/whatsapp", data={"Body": "halo"}).status_code == 404
        assert client.post("/webhooks/telegram", json={"update_id": 1}).status_code == 404
        assert client.app.state.channels.dispatcher is None


@pytest.mark.parametrize("env,expected", [
    ({"TELEGRAM_BOT_TOKEN": "1:a"}, "polling"),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "HELPDESK_PUBLIC_URL": "https://x.org", "TELEGRAM_WEBHOOK_SECRET": "abc"}, "webhook"),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "HELPDESK_PUBLIC_URL": "https://x.org", "TELEGRAM_WEBHOOK_SECRET": "no spaces!"},
     "polling"),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "HELPDESK_PUBLIC_URL": "https://x.org"}, "polling"),
])
def test_telegram_auto_mode(settings, env, expected) -> None:
    from bot.channels import wiring
    from bot.settings_secrets import Secrets

    s = settings.model_copy(update={"secrets": Secrets.from_env(env)})
    assert wiring.plan(s).telegram == expected


def test_webhook_mode_without_its_secrets_is_off(settings) -> None:
    from bot.channels import wiring
    from bot.settings_secrets import Secrets
    from bot.settings_sections import TelegramSettings

    s = settings.model_copy(update={"secrets": Secrets.from_env({"TELEGRAM_BOT_TOKEN": "1:a"}),
                                    "telegram": TelegramSettings(mode="webhook", staff_chat_id=-100)})
    chosen = wiring.plan(s)
    assert chosen.telegram is None and chosen.staff_chat_id is None
