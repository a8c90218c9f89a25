"""Random and malformed webhook input (hypothesis): a 4xx or a proper reply, never a 500, never half-stored."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from storage import conversations, repo
from storage.db import unit_of_work
from sqlmodel import select

from storage.models import InboxItem, MessageLog
from tests.channels import TG_SECRET, channel_settings, post_signed, running_app
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_twilio import FakeTwilio

TEXT = st.text(max_size=300)
FORM_KEYS = st.sampled_from(["From", "To", "Body", "MessageSid", "NumMedia", "MediaUrl0", "MediaContentType0",
                             "ProfileName", "ButtonPayload", "WaId", "AccountSid", "Extra"])


def _counts(service) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return repo.count(s, MessageLog) + repo.count(s, InboxItem)


def _stored(service, dedupe_key: str) -> bool:  # type: ignore[no-untyped-def]
    """Waiting in the inbox or already handled (a delivery moves from one to the other in the background)."""
    with unit_of_work(service.db) as s:
        return (s.exec(select(InboxItem.id).where(InboxItem.dedupe_key == dedupe_key)).first() is not None
                or conversations.inbound_seen(s, dedupe_key=dedupe_key))


@pytest.fixture
def fakes():
    tw, tg = FakeTwilio().start(), FakeTelegram().start()
    yield tw, tg
    tw.stop()
    tg.stop()


@pytest.fixture
def client(settings, service, tmp_path, fakes):
    tw, tg = fakes
    s = channel_settings(settings, tmp_path, twilio_url=tw.url, telegram_url=tg.url, token=tg.token, mode="webhook")
    with running_app(s, service) as c:
        yield c


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(FORM_KEYS, TEXT, max_size=8),
       sender=st.sampled_from(["whatsapp:+6281234567890", "whatsapp:", "+62", "", "telegram:1"]),
       sid=st.one_of(st.text(max_size=40), st.just("SM" + "a" * 32)))
def test_signed_random_twilio_forms(client, service, form, sender, sid) -> None:
    form = {**form, "From": form.get("From", sender), "MessageSid": form.get("MessageSid", sid)}
    key = f"whatsapp:{form['MessageSid']}"
    known = _stored(service, key)  # hypothesis may reuse a MessageSid that an earlier example had accepted
    r = post_signed(client, form)
    assert r.status_code < 500, r.text[:200]
    if r.status_code >= 400 and not known:
        assert not _stored(service, key)  # refused: nothing stored


UPDATE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.text(max_size=50)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children,
                                                                                max_size=5)),
    max_leaves=20,
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    UPDATE,
    st.fixed_dictionaries({"update_id": st.integers(0, 2**31), "message": st.fixed_dictionaries({
        "message_id": st.integers(), "date": st.integers(0, 2**31),
        "chat": st.fixed_dictionaries({"id": st.integers(), "type": st.sampled_from(["private", "group", "x"])}),
        "text": TEXT})}),
))
def test_random_telegram_updates(client, body) -> None:
    r = client.post("/webhooks/telegram", content=json.dumps(body),
                    headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "content-type": "application/json"})
    assert r.status_code < 500, r.text[:200]


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=500), ctype=st.sampled_from(["application/json", "text/plain",
                                                          "application/x-www-form-urlencoded", "multipart/form-data"]))
def test_raw_bytes_with_any_content_type(client, service, raw, ctype) -> None:
    before = _counts(service)
    for path, headers in (("/webhooks/whatsapp", {"X-Twilio-Signature": "bad"}),
                          ("/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}),
                          ("/try/api/messages", {})):
        r = client.post(path, content=raw, headers={"content-type": ctype, **headers})
        assert r.status_code < 500, (path, r.status_code)
    assert _counts(service) == before
