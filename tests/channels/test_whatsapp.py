"""WhatsApp through the real twilio library against the fake Twilio API, webhooks through the app."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from sqlmodel import col, select

from bot.web.app import create_app
from bot.channels import BadWebhook, split_text, whatsapp_inbound, whatsapp_sender
from storage.db import unit_of_work
from storage.models import Case, Contact, Evidence, InboxItem, MessageLog, Outbox, utcnow
from tests.channels import (
    PUBLIC_URL,
    TEMPLATE_SID,
    WA_FROM,
    channel_settings,
    post_signed,
    rows,
    running_app,
    sign,
    wait_until,
)
from tests.channels.fake_twilio import FakeTwilio


@pytest.fixture
def fake() -> FakeTwilio:
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def wa_settings(settings, tmp_path, fake):
    return channel_settings(settings, tmp_path, twilio_url=fake.url)


@pytest.fixture
def client(wa_settings, service):
    with running_app(wa_settings, service) as c:
        yield c


def phone() -> str:
    return "+62812" + str(uuid.uuid4().int)[:8]


def inbound(body: str, sender: str | None = None, sid: str | None = None, **extra: str) -> dict[str, str]:
    return {"From": f"whatsapp:{sender or phone()}", "To": WA_FROM, "Body": body,
            "MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32, "NumMedia": "0",
            "ProfileName": "Siti", "WaId": "62812", **extra}


def settle(fake: FakeTwilio, seconds: float = 0.4) -> None:
    """Give the dispatcher time to send anything it should not send."""
    time.sleep(seconds)


# --- the conversation ------------------------------------------------------------------------------------


def test_faq_question_is_answered_through_the_twilio_api(client, fake) -> None:
    sender = phone()
    r = post_signed(client, inbound("apa syarat jadi pmi?", sender))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml") and "<Response/>" in r.text
    sent = fake.wait_for(1, to=f"whatsapp:{sender}")
    assert sent[0]["From"] == WA_FROM
    assert "Syarat menjadi PMI" in sent[0]["Body"]
    assert "\n1. " in sent[0]["Body"]  # the buttons as a numbered list
    assert sent[0]["StatusCallback"] == PUBLIC_URL + "/webhooks/whatsapp/status"
    row = rows(client.app.state.service, Outbox, Outbox.address == sender)[0]
    wait_until(lambda: rows(client.app.state.service, Outbox, Outbox.id == row.id)[0].status == "sent")


def test_number_answers_the_numbered_list(client, fake) -> None:
    sender = phone()
    post_signed(client, inbound("halo", sender))
    menu = fake.wait_for(1, to=f"whatsapp:{sender}")[0]["Body"]
    assert "1. " in menu
    post_signed(client, inbound("1", sender))
    assert "tulis pertanyaan" in fake.wait_for(2, to=f"whatsapp:{sender}")[1]["Body"]


def test_a_retried_delivery_is_answered_once(client, fake) -> None:
    params = inbound("apa syarat jadi pmi?")
    first, again = post_signed(client, params), post_signed(client, params)
    assert first.status_code == again.status_code == 200 and "<Response/>" in again.text
    fake.wait_for(1)
    settle(fake)
    assert len(fake.messages) == 1
    assert len(rows(client.app.state.service, MessageLog, MessageLog.dedupe_key == f"whatsapp:{params['MessageSid']}")) == 1


def test_two_deliveries_at_the_same_moment_are_answered_once(wa_settings, service, fake) -> None:
    """Two threads post the same signed webhook to a real uvicorn at once; one reply goes out."""
    app = create_app(wa_settings, service)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="uvicorn start")
        port = server.servers[0].sockets[0].getsockname()[1]
        params = inbound("apa syarat jadi pmi?")
        signature = sign(PUBLIC_URL + "/webhooks/whatsapp", params)
        barrier = threading.Barrier(4)
        codes: list[int] = []

        def deliver() -> None:
            with httpx.Client() as http:
                barrier.wait()
                codes.append(http.post(f"http://127.0.0.1:{port}/webhooks/whatsapp", data=params,
                                       headers={"X-Twilio-Signature": signature}).status_code)

        workers = [threading.Thread(target=deliver) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert codes == [200, 200, 200, 200]
        fake.wait_for(1)
        settle(fake)
        assert len(fake.messages) == 1
    finally:
        server.should_exit = True
        thread.join(10)


# --- authentication --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tamper", ["body", "missing", "wrong_url", "other_token"])
def test_a_forged_webhook_gets_403_and_stores_nothing(client, fake, tamper) -> None:
    params = inbound("tolong saya dikurung majikan")
    headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/webhooks/whatsapp", params)}
    if tamper == "body":
        params = {**params, "Body": "halo"}
    elif tamper == "missing":
        headers = {}
    elif tamper == "wrong_url":  # what a validator using request.url behind the proxy would compute
        headers = {"X-Twilio-Signature": sign("http://testserver/webhooks/whatsapp", params)}
    else:
        from twilio.request_validator import RequestValidator

        headers = {"X-Twilio-Signature": RequestValidator("another-token").compute_signature(
            PUBLIC_URL + "/webhooks/whatsapp", params)}
    r = client.post("/webhooks/whatsapp", data=params, headers=headers)
    assert r.status_code == 403
    service = client.app.state.service
    assert rows(service, InboxItem) == [] and rows(service, MessageLog) == [] and rows(service, Case) == []
    assert rows(service, Contact) == []
    settle(fake, 0.2)
    assert fake.attempts == 0


def test_a_delivery_left_in_the_inbox_is_handled_when_the_service_starts(wa_settings, service, fake) -> None:
    """Acknowledged, then the process stopped before handling it: the next start answers it."""
    from bot.workers.inbox import accept
    from flows.messages import Inbound

    sender = phone()
    assert accept(service.db, Inbound("whatsapp", sender, "SM" + uuid.uuid4().hex, "apa syarat jadi pmi?"))
    with running_app(wa_settings, service):
        sent = fake.wait_for(1, to=f"whatsapp:{sender}")
        assert "Syarat menjadi PMI" in sent[0]["Body"]
        wait_until(lambda: rows(service, InboxItem) == [], what="the inbox to empty")


def test_a_signature_over_the_url_with_its_default_port_is_accepted(client, fake) -> None:
    sender = phone()
    params = inbound("halo", sender)
    r = post_signed(client, params, signed_for="https://helpdesk.example.org:443/webhooks/whatsapp")
    assert r.status_code == 200
    fake.wait_for(1, to=f"whatsapp:{sender}")


def test_the_query_string_is_part_of_the_signed_url(client, fake) -> None:
    params = inbound("halo")
    path = "/webhooks/whatsapp?tenant=kepri"
    assert post_signed(client, params, path).status_code == 200
    assert client.post(path, data=params, headers={
        "X-Twilio-Signature": sign(PUBLIC_URL + "/webhooks/whatsapp", params)}).status_code == 403


# --- bad input: 4xx, never 500, nothing half-stored ---------------------------------------------------------


def _signed_raw(body: bytes, content_type: str = whatsapp_inbound.FORM_TYPE) -> dict[str, str]:
    """Headers for a raw body, signed over whatever it parses to (so only the named flaw is tested)."""
    try:
        params = dict(whatsapp_inbound.parse_form(body)._pairs)
    except BadWebhook:
        params = {}
    return {"content-type": content_type, "X-Twilio-Signature": sign(PUBLIC_URL + "/webhooks/whatsapp", params)}


BAD_INPUT = [
    ("json body", b'{"From": "whatsapp:+62812", "Body": "halo"}', "application/json", 415),
    ("multipart", b"--x\r\nContent-Disposition: form-data; name=Body\r\n\r\nhalo\r\n--x--", "multipart/form-data; boundary=x", 415),
    ("no content type", b"Body=halo", "", 415),
    ("invalid utf-8", b"Body=\xff\xfe&From=whatsapp%3A%2B62812", whatsapp_inbound.FORM_TYPE, 400),
    ("not a form", b"this is not a form at all", whatsapp_inbound.FORM_TYPE, 400),
    ("empty body", b"", whatsapp_inbound.FORM_TYPE, 400),
    ("no From", b"Body=halo&MessageSid=SM0123456789abcdef", whatsapp_inbound.FORM_TYPE, 400),
    ("From not WhatsApp", b"From=%2B62812345678&Body=halo&MessageSid=SM0123456789abcdef", whatsapp_inbound.FORM_TYPE, 400),
    ("no MessageSid", b"From=whatsapp%3A%2B62812345678&Body=halo", whatsapp_inbound.FORM_TYPE, 400),
    ("MessageSid with symbols", b"From=whatsapp%3A%2B62812345678&MessageSid=SM%27%3B--drop", whatsapp_inbound.FORM_TYPE, 400),
    ("NumMedia not a number", b"From=whatsapp%3A%2B62812345678&MessageSid=SM0123456789abcdef&NumMedia=x", whatsapp_inbound.FORM_TYPE, 400),
    ("NumMedia too large", b"From=whatsapp%3A%2B62812345678&MessageSid=SM0123456789abcdef&NumMedia=99", whatsapp_inbound.FORM_TYPE, 400),
    ("too many fields", b"&".join(b"f%d=1" % i for i in range(300)), whatsapp_inbound.FORM_TYPE, 400),
]


@pytest.mark.parametrize("name,body,content_type,status", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_gets_4xx_and_stores_nothing(client, name, body, content_type, status) -> None:
    r = client.post("/webhooks/whatsapp", content=body, headers=_signed_raw(body, content_type))
    assert r.status_code == status, r.text
    service = client.app.state.service
    assert rows(service, InboxItem) == [] and rows(service, Contact) == [] and rows(service, MessageLog) == []


def test_huge_bodies_get_413_with_or_without_content_length(client) -> None:
    big = b"Body=" + b"a" * (300 * 1024)
    assert client.post("/webhooks/whatsapp", content=big, headers=_signed_raw(b"")).status_code == 413
    medium = b"Body=" + b"a" * (100 * 1024)  # under the app limit, over the webhook's own

    def chunks():  # no Content-Length: chunked transfer
        yield medium[:50_000]
        yield medium[50_000:]

    r = client.post("/webhooks/whatsapp", content=chunks(), headers=_signed_raw(b""))
    assert r.status_code == 413
    assert rows(client.app.state.service, InboxItem) == [] and rows(client.app.state.service, MessageLog) == []


def test_status_callback_bad_input(client) -> None:
    assert client.post("/webhooks/whatsapp/status", data={"MessageSid": "SMx", "MessageStatus": "delivered"},
                       headers={"X-Twilio-Signature": "forged"}).status_code == 403
    params = {"MessageSid": "../../etc", "MessageStatus": "delivered"}
    assert post_signed(client, params, "/webhooks/whatsapp/status").status_code == 400


# --- sending ----------------------------------------------------------------------------------------------


def test_failing_api_is_retried_until_exactly_one_reply_is_delivered(client, fake) -> None:
    fake.fail_next(2, status=500)
    sender = phone()
    post_signed(client, inbound("apa syarat jadi pmi?", sender))
    fake.wait_for(1, to=f"whatsapp:{sender}")
    service = client.app.state.service
    row = wait_until(lambda: [r for r in rows(service, Outbox, Outbox.address == sender) if r.status == "sent"])[0]
    settle(fake)
    assert fake.attempts == 3 and len(fake.messages) == 1
    assert row.tries == 3 and row.external_id == fake.messages[0]["Sid"]


def test_sends_hanging_in_the_api_do_not_hold_up_webhooks(wa_settings, service, fake) -> None:
    """Blocked twilio calls wait in threads of their own: a new delivery is still stored and acknowledged."""
    from flows.messages import Inbound

    for _ in range(20):  # replies waiting when the service starts: one dispatcher batch, twenty people
        service.engine.handle(Inbound("whatsapp", phone(), "SM" + uuid.uuid4().hex, "halo"))
    fake.hold()
    try:
        with running_app(wa_settings, service) as client:
            # more hanging sends than the shared thread pool (webhooks, engine) has threads on 2 CPUs
            wait_until(lambda: fake.waiting >= 6)
            late, answered = inbound("halo"), threading.Event()
            threading.Thread(target=lambda: post_signed(client, late) and answered.set(), daemon=True).start()
            assert answered.wait(10), "the webhook waited for the hanging sends"
            key = f"whatsapp:{late['MessageSid']}"
            assert rows(service, InboxItem, InboxItem.dedupe_key == key) or \
                rows(service, MessageLog, MessageLog.dedupe_key == key)
            fake.release()
            fake.wait_for(21, timeout=20)
    finally:
        fake.release()


def test_a_refused_number_is_not_retried(client, fake) -> None:
    fake.fail_next(1, status=400, code=21211)
    sender = phone()
    post_signed(client, inbound("halo", sender))
    service = client.app.state.service
    row = wait_until(lambda: [r for r in rows(service, Outbox, Outbox.address == sender) if r.status == "undelivered"])[0]
    assert "21211" in row.last_error and sender not in row.last_error
    settle(fake)
    assert fake.attempts == 1


def _contact_with_case(service, sender: str, hours_since_last_message: float) -> int:
    """A person who reported an emergency, then went quiet for some hours; returns the case id.

    Called before the app starts, so the dispatcher does not see the in-between state.
    """
    from flows.messages import Inbound

    handled = service.engine.handle(Inbound("whatsapp", sender, "SM" + uuid.uuid4().hex, "tolong saya dikurung majikan"))
    with unit_of_work(service.db) as s:
        s.execute(update(Contact).where(col(Contact.urn) == f"whatsapp:{sender}").values(
            last_inbound_at=utcnow() - dt.timedelta(hours=hours_since_last_message)))
        s.execute(update(Outbox).values(status="sent"))  # the emergency answer went out back then
        return s.exec(select(Case.id).where(Case.number == handled.case_number)).one()  # type: ignore[return-value]


def _officer_reply(service, case_id: int, text: str) -> int:
    from storage import cases, officers

    with unit_of_work(service.db) as s:
        officer = officers.by_username(s, "petugas") or officers.add_officer(
            s, username="petugas", password_hash="x", role="officer", display_name="Petugas Rina")
        return cases.reply_as_officer(s, case_id=case_id, officer=officer, text=text).id  # type: ignore[return-value]


@pytest.fixture
def template_settings(settings, tmp_path, fake):
    return channel_settings(settings, tmp_path, twilio_url=fake.url, template=True)


def test_outside_the_24_hour_window_the_template_goes_out_and_the_reply_follows(template_settings, service, fake):
    sender = phone()
    case_id = _contact_with_case(service, sender, hours_since_last_message=30)
    with running_app(template_settings, service) as client:
        _template_then_reply(client, service, fake, sender, case_id)


def _template_then_reply(template_client, service, fake, sender: str, case_id: int) -> None:
    first = _officer_reply(service, case_id, "Kami sudah menghubungi KJRI Johor Bahru.")
    sent = fake.wait_for(1, to=f"whatsapp:{sender}")
    assert sent[0]["ContentSid"] == TEMPLATE_SID and "Body" not in sent[0]
    assert sent[0]["ContentVariables"] == '{"1": "Migrant Center Kepri"}'
    row = wait_until(lambda: rows(service, Outbox, Outbox.id == first)[0].last_error and rows(service, Outbox, Outbox.id == first)[0])
    assert row.status == "held" and TEMPLATE_SID in row.last_error  # its text waits for the person

    second = _officer_reply(service, case_id, "Mohon kirim foto paspor jika ada.")
    held = wait_until(lambda: rows(service, Outbox, Outbox.id == second, Outbox.status == "held"))[0]
    assert held.last_error.startswith(whatsapp_sender.HELD)
    settle(fake)
    assert len(fake.sent_to(f"whatsapp:{sender}")) == 1  # one template per closed window

    # the person answers the template: the window is open and both texts follow, in order
    post_signed(template_client, inbound("baik", sender))
    texts = ("Kami sudah menghubungi KJRI Johor Bahru.", "Mohon kirim foto paspor jika ada.")
    bodies = wait_until(lambda: (b := [m.get("Body", "") for m in fake.sent_to(f"whatsapp:{sender}")])
                        and all(t in b for t in texts) and b, what="released texts")
    assert bodies.index("Kami sudah menghubungi KJRI Johor Bahru.") < bodies.index("Mohon kirim foto paspor jika ada.")
    released = rows(service, Outbox, Outbox.id == first)[0]
    assert released.status == "released" and released.last_error.startswith("Dikirim ulang sebagai outbox #")


def test_without_a_template_a_late_message_is_held_visibly(wa_settings, service, fake) -> None:
    sender = phone()
    case_id = _contact_with_case(service, sender, hours_since_last_message=25)
    with running_app(wa_settings, service) as client:
        _held_then_released(client, service, fake, sender, case_id)


def _held_then_released(client, service, fake, sender: str, case_id: int) -> None:
    reply = _officer_reply(service, case_id, "Apakah Anda aman sekarang?")
    row = wait_until(lambda: rows(service, Outbox, Outbox.id == reply, Outbox.status == "held"))[0]
    assert row.last_error == whatsapp_sender.NOTE_NO_TEMPLATE
    assert fake.attempts == 0
    post_signed(client, inbound("iya", sender))
    wait_until(lambda: any(m.get("Body") == "Apakah Anda aman sekarang?" for m in fake.sent_to(f"whatsapp:{sender}")),
               what="released text")


def test_inside_the_window_free_text_goes_out(template_settings, service, fake) -> None:
    sender = phone()
    case_id = _contact_with_case(service, sender, hours_since_last_message=23)
    with running_app(template_settings, service):
        _officer_reply(service, case_id, "Kami segera membantu.")
        assert fake.wait_for(1, to=f"whatsapp:{sender}")[0]["Body"] == "Kami segera membantu."


def test_a_long_text_is_split_under_1600_characters(wa_settings, service, fake) -> None:
    sender = phone()
    case_id = _contact_with_case(service, sender, hours_since_last_message=1)
    paragraphs = [(f"Paragraf {i}: " + "informasi penting untuk pekerja migran. " * 8).strip() for i in range(12)]
    text = "\n\n".join(paragraphs)
    assert 3200 < len(text) < 4000
    with running_app(wa_settings, service):
        _officer_reply(service, case_id, text)
        wait_until(lambda: rows(service, Outbox, Outbox.text == text, Outbox.status == "sent"))
    parts = [m["Body"] for m in fake.sent_to(f"whatsapp:{sender}")]
    assert len(parts) >= 3 and all(len(p) <= whatsapp_sender.MAX_BODY_CHARS for p in parts)
    assert all(p.startswith("Paragraf") for p in parts)  # cut on paragraph boundaries
    assert "\n\n".join(parts) == text


def test_when_a_later_part_fails_the_retry_sends_only_what_is_left(wa_settings, service, fake) -> None:
    sender = phone()
    case_id = _contact_with_case(service, sender, hours_since_last_message=1)
    text = "\n\n".join((f"Paragraf {i}: " + "informasi penting untuk pekerja migran. " * 8).strip() for i in range(12))
    fake.fail_next(1, after=1)  # the first part goes through, the second fails once
    with running_app(wa_settings, service):
        reply_id = _officer_reply(service, case_id, text)
        wait_until(lambda: rows(service, Outbox, Outbox.id == reply_id, Outbox.status == "sent"), what="the retry")
    parts = [m["Body"] for m in fake.sent_to(f"whatsapp:{sender}")]
    assert len(parts) == len(set(parts)) >= 3  # no part twice
    assert "\n\n".join(parts) == text
    assert text in [m.text for m in rows(service, MessageLog, MessageLog.direction == "out")]  # the transcript is whole


def test_split_text_prefers_paragraphs_then_lines_then_words() -> None:
    assert split_text("a" * 10, 10) == ["a" * 10]
    assert split_text("aaaa\n\nbbbb\ncc", 9) == ["aaaa", "bbbb\ncc"]
    assert split_text("aaaa bbbb cccc", 9) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


# --- delivery reports -------------------------------------------------------------------------------------


def test_status_callbacks_record_delivered_and_failed(client, fake) -> None:
    service, sender = client.app.state.service, phone()
    post_signed(client, inbound("apa syarat jadi pmi?", sender))
    sid = fake.wait_for(1, to=f"whatsapp:{sender}")[0]["Sid"]
    wait_until(lambda: rows(service, Outbox, Outbox.external_id == sid))
    callback = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert post_signed(client, callback, "/webhooks/whatsapp/status").status_code == 204
    assert rows(service, Outbox, Outbox.external_id == sid)[0].status == "delivered"
    # an older "sent" arriving late does not move it back
    post_signed(client, {**callback, "MessageStatus": "sent"}, "/webhooks/whatsapp/status")
    assert rows(service, Outbox, Outbox.external_id == sid)[0].status == "delivered"
    failed = {**callback, "MessageStatus": "undelivered", "ErrorCode": "63016"}
    assert post_signed(client, failed, "/webhooks/whatsapp/status").status_code == 204
    row = rows(service, Outbox, Outbox.external_id == sid)[0]
    assert row.status == "held" and row.last_error == whatsapp_sender.NOTE_63016  # sent again when the person writes


# --- media ------------------------------------------------------------------------------------------------


def test_a_photo_is_downloaded_into_the_case_evidence(client, fake, tmp_path) -> None:
    service, sender = client.app.state.service, phone()
    post_signed(client, inbound("tolong saya dikurung majikan", sender))
    photo = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 100
    url = fake.add_media("ME" + "1" * 32, "image/jpeg", photo)
    html = fake.add_media("ME" + "2" * 32, "text/html", b"<script>alert(1)</script>")
    elsewhere = "https://evil.example.com/2010-04-01/Accounts/x/Media/ME3"
    post_signed(client, inbound("ini fotonya", sender, NumMedia="3", MediaUrl0=url, MediaContentType0="image/jpeg",
                                MediaUrl1=html, MediaContentType1="image/jpeg", MediaUrl2=elsewhere,
                                MediaContentType2="image/png"))
    stored = wait_until(lambda: rows(service, Evidence, col(Evidence.stored_path).is_not(None)), what="evidence file")
    assert len(stored) == 1 and stored[0].ref == url and stored[0].kind == "photo"
    path = stored[0].stored_path
    assert path.startswith(str(tmp_path / "evidence")) and path.endswith(".jpg")
    with open(path, "rb") as fh:
        assert fh.read() == photo
    import os
    import stat

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    time.sleep(0.3)
    assert sorted(fake.downloads) == ["ME" + "1" * 32, "ME" + "2" * 32]  # the foreign host was never asked
    all_evidence = rows(service, Evidence)
    assert len(all_evidence) == 3 and sum(e.stored_path is None for e in all_evidence) == 2


# --- privacy of the logs ----------------------------------------------------------------------------------


def test_logs_carry_no_phone_number_token_or_message_text(client, fake, caplog) -> None:
    import logging

    from tests.channels.fake_twilio import AUTH_TOKEN

    caplog.set_level(logging.INFO)  # the production level
    sender, private = phone(), "majikan-saya-bernama-xyz"
    post_signed(client, inbound(f"tolong saya dikurung, {private}", sender))
    client.post("/webhooks/whatsapp", data=inbound(private, sender), headers={"X-Twilio-Signature": "forged"})
    fake.fail_next(1, status=400, code=21211)
    post_signed(client, inbound(f"apa syarat jadi pmi? {private}", sender))
    service = client.app.state.service
    wait_until(lambda: [r for r in rows(service, Outbox) if r.status == "undelivered"], what="refused send")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert caplog.records  # something was logged, and none of it is personal or secret
    for secret in (sender, sender.lstrip("+"), private, AUTH_TOKEN):
        assert secret not in text


@pytest.mark.parametrize("hours_ago, closed", [(None, True), (1, False), (23.5, False), (23.95, True), (30, True)])
def test_held_replies_are_looked_for_only_when_the_window_was_closed(hours_ago, closed) -> None:
    now = utcnow()
    last = None if hours_ago is None else now - dt.timedelta(hours=hours_ago)
    assert whatsapp_sender.window_was_closed(last, now) is closed
