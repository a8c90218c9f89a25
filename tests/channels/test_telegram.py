"""Telegram through the real python-telegram-bot against the fake Bot API: webhook and polling, staff desk."""

from __future__ import annotations

import random

import pytest
from sqlmodel import col, select

from bot.channels import split_text, telegram, wiring
from bot.channels.telegram_messages import callback_data
from storage import officers, repo
from storage.db import unit_of_work
from storage.models import (
    Case,
    CaseEvent,
    Contact,
    Evidence,
    MessageLog,
    Outbox,
)
from tests.channels import TG_SECRET, channel_settings, rows, running_app, wait_until
from tests.channels.fake_telegram import FakeTelegram, callback_update, message_update

STAFF = -1001234567890
OFFICER_TG = 7001
COLLEAGUE_TG = 7002  # in the staff chat, no officer account linked
STRANGER_TG = 7003  # not in the staff chat


@pytest.fixture
def fake() -> FakeTelegram:
    server = FakeTelegram(members={OFFICER_TG: "administrator", COLLEAGUE_TG: "member"}).start()
    yield server
    server.stop()


@pytest.fixture
def officer(service) -> str:
    with unit_of_work(service.db) as s:
        row = officers.add_officer(s, username="rina", password_hash="x", role="officer", display_name="Petugas Rina")
        row.telegram_user_id = OFFICER_TG
    return "rina"


@pytest.fixture
def tg_settings(settings, tmp_path, fake):
    return channel_settings(settings, tmp_path, telegram_url=fake.url, token=fake.token, mode="webhook",
                            staff_chat_id=STAFF)


@pytest.fixture
def client(tg_settings, service, officer):
    with running_app(tg_settings, service) as c:
        yield c


def post(client, update: dict, secret: str | None = TG_SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhooks/telegram", json=update, headers=headers)


def new_chat() -> int:
    return random.randint(10_000_000, 99_999_999)


def texts_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [c.params["text"] for c in fake.of("sendMessage", chat_id=chat_id)]


# --- the person's side -----------------------------------------------------------------------------------


def test_start_shows_the_menu_as_an_inline_keyboard(client, fake) -> None:
    chat = new_chat()
    assert post(client, message_update(chat, "/start")).status_code == 200
    call = fake.wait_for("sendMessage", chat_id=chat)[0]
    assert "selamat datang" in call.params["text"]
    keyboard = call.json("reply_markup")["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["menu:faq", "menu:licence", "menu:report", "menu:human"]


def test_a_button_press_is_answered_and_handled_as_its_payload(client, fake) -> None:
    chat = new_chat()
    post(client, message_update(chat, "/start"))
    fake.wait_for("sendMessage", chat_id=chat)
    assert post(client, callback_update(chat, "menu:faq")).status_code == 200
    assert fake.wait_for("answerCallbackQuery")
    wait_until(lambda: any("tulis pertanyaan" in t for t in texts_to(fake, chat)), what="faq prompt")


@pytest.mark.parametrize("command,expected", [
    ("/menu", "selamat datang"),
    ("/lapor", "Kami siap membantu"),
    ("/cek", "nama perusahaan"),
    ("/status", "belum punya laporan"),
    ("/bantuan", "selamat datang"),  # an unknown command shows the menu
])
def test_commands_map_to_words_the_flows_understand(client, fake, command, expected) -> None:
    chat = new_chat()
    post(client, message_update(chat, command))
    wait_until(lambda: any(expected in t for t in texts_to(fake, chat)), what=f"answer to {command}")


def test_a_faq_question_gets_its_answer(client, fake) -> None:
    chat = new_chat()
    post(client, message_update(chat, "apa syarat jadi pmi?"))
    wait_until(lambda: any("Syarat menjadi PMI" in t for t in texts_to(fake, chat)), what="faq answer")


def test_a_redelivered_update_is_answered_once(client, fake, service) -> None:
    chat = new_chat()
    update = message_update(chat, "halo")
    assert post(client, update).status_code == post(client, update).status_code == 200
    fake.wait_for("sendMessage", chat_id=chat)
    import time

    time.sleep(0.3)
    assert len(fake.of("sendMessage", chat_id=chat)) == 1
    assert len(rows(service, MessageLog, MessageLog.direction == "in")) == 1


def test_a_long_payload_travels_as_a_hash_and_comes_back_whole(client, fake, service) -> None:
    chat = new_chat()
    post(client, message_update(chat, "halo"))
    fake.wait_for("sendMessage", chat_id=chat)
    payload = "faq:" + "jalur-resmi-penempatan-pekerja-migran-ke-malaysia-dan-singapura-" * 2
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == f"telegram:{chat}")).one()
        repo.enqueue(s, contact=contact, text="Pilih topik:", buttons=[{"label": "Jalur resmi", "payload": payload}])
    call = fake.wait_for("sendMessage", 2, chat_id=chat)[1]
    data = call.json("reply_markup")["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64 and data != payload
    post(client, callback_update(chat, data))
    wait_until(lambda: rows(service, MessageLog, MessageLog.direction == "in", MessageLog.text == payload),
               what="the press handled as its whole payload")


def test_a_long_text_is_split_under_4096_characters(client, fake, service) -> None:
    chat = new_chat()
    post(client, message_update(chat, "halo"))
    fake.wait_for("sendMessage", chat_id=chat)
    text = "\n".join((f"Baris {i}: " + "keterangan " * 30).strip() for i in range(30))
    assert 8192 < len(text) < 3 * 4096
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == f"telegram:{chat}")).one()
        repo.enqueue(s, contact=contact, text=text, buttons=[{"label": "Menu utama", "payload": "menu"}])
    wait_until(lambda: rows(service, Outbox, Outbox.text == text, Outbox.status == "sent"), what="long text sent")
    calls = fake.of("sendMessage", chat_id=chat)[1:]
    assert len(calls) == 3 and all(len(c.params["text"]) <= 4096 for c in calls)
    assert "reply_markup" not in calls[0].params and "reply_markup" in calls[-1].params  # buttons under the last part
    assert "\n".join(c.params["text"] for c in calls) == text.strip()


def test_when_a_later_part_fails_the_retry_sends_only_what_is_left(client, fake, service) -> None:
    chat = new_chat()
    post(client, message_update(chat, "halo"))
    fake.wait_for("sendMessage", chat_id=chat)
    text = "\n".join((f"Baris {i}: " + "keterangan " * 30).strip() for i in range(30))
    parts = split_text(text, 4096)
    fake.fail_next(1, text=parts[1])  # the second part fails once
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == f"telegram:{chat}")).one()
        row = repo.enqueue(s, contact=contact, text=text, buttons=[{"label": "Menu utama", "payload": "menu"}])
    wait_until(lambda: rows(service, Outbox, Outbox.id == row.id, Outbox.status == "sent"), what="the retry")
    attempts = [c.params["text"] for c in fake.of("sendMessage", chat_id=chat)[1:]]
    assert len(parts) == 3 and attempts == [parts[0], parts[1], parts[1], parts[2]]  # the first part not again
    assert "reply_markup" in fake.of("sendMessage", chat_id=chat)[-1].params  # the buttons still under the last


def test_a_photo_in_an_open_case_is_stored_as_evidence(client, fake, service, tmp_path) -> None:
    chat = new_chat()
    post(client, message_update(chat, "tolong saya dikurung majikan"))
    fake.files["photo-big"] = ("photos/file_7.jpg", b"\xff\xd8\xff" + b"x" * 500)
    photo = [{"file_id": "photo-small", "file_unique_id": "s", "width": 90, "height": 90},
             {"file_id": "photo-big", "file_unique_id": "b", "width": 1280, "height": 960}]
    post(client, message_update(chat, None, photo=photo, caption="ini kamarnya"))
    stored = wait_until(lambda: rows(service, Evidence, col(Evidence.stored_path).is_not(None)), what="evidence")
    assert stored[0].ref == "photo-big" and stored[0].stored_path.endswith(".jpg")
    assert stored[0].stored_path.startswith(str(tmp_path / "evidence"))
    assert fake.of("getFile", file_id="photo-big") and fake.of("download", path="photos/file_7.jpg")


# --- the staff desk --------------------------------------------------------------------------------------


def _emergency_case(client, fake, service, chat: int) -> tuple[Case, int]:
    post(client, message_update(chat, "tolong saya dikurung majikan"))
    wait_until(lambda: any("Keselamatan Anda" in t for t in texts_to(fake, chat)), what="emergency guidance")
    topic = fake.wait_for("createForumTopic", chat_id=STAFF)[0]
    assert topic.params["name"].startswith("🆘 MC-")
    case = wait_until(lambda: [c for c in rows(service, Case) if c.telegram_thread_id], what="thread id")[0]
    announcement = fake.wait_for("sendMessage", chat_id=STAFF, message_thread_id=case.telegram_thread_id)[0]
    assert case.number in announcement.params["text"] and "DARURAT" in announcement.params["text"]
    assert str(chat) not in announcement.params["text"]  # the reporter's address stays out of the group
    return case, case.telegram_thread_id  # type: ignore[return-value]


def staff_message(thread: int, text: str, user_id: int = OFFICER_TG, **extra) -> dict:
    return message_update(STAFF, text, user_id=user_id, chat_type="supergroup", message_thread_id=thread,
                          is_topic_message=True, **extra)


def test_an_emergency_opens_a_case_with_a_topic_and_the_officer_answers_from_it(client, fake, service) -> None:
    chat = new_chat()
    case, thread = _emergency_case(client, fake, service, chat)
    reply = "Kami sudah menghubungi KJRI Johor Bahru. Tetap di tempat aman."
    assert post(client, staff_message(thread, reply)).status_code == 200
    wait_until(lambda: reply in texts_to(fake, chat), what="officer reply at the reporter")
    events = [e.kind for e in rows(service, CaseEvent, CaseEvent.case_id == case.id)]
    assert "claimed" in events and "replied" in events  # the same audit trail as a console reply
    assert rows(service, Case, Case.id == case.id)[0].status == "waiting"
    log_row = rows(service, MessageLog, MessageLog.text == reply)[0]
    assert log_row.author == "officer:rina"


def test_what_the_reporter_writes_later_is_mirrored_into_the_topic(client, fake, service) -> None:
    chat = new_chat()
    _, thread = _emergency_case(client, fake, service, chat)
    post(client, message_update(chat, "saya takut, pintu dikunci dari luar"))
    fake.files["p1"] = ("photos/p1.jpg", b"\xff\xd8\xff" + b"x" * 50)
    post(client, message_update(chat, None, photo=[{"file_id": "p1", "file_unique_id": "u", "width": 9, "height": 9}]))
    posts = fake.wait_for("sendMessage", 3, chat_id=STAFF, message_thread_id=thread)
    assert posts[1].params["text"] == "💬 Pelapor: saya takut, pintu dikunci dari luar"
    assert "1 lampiran" in posts[2].params["text"]


def test_people_who_may_not_act_are_refused_politely(client, fake, service) -> None:
    chat = new_chat()
    case, thread = _emergency_case(client, fake, service, chat)
    before = len(texts_to(fake, chat))
    post(client, staff_message(thread, "halo dari orang luar", user_id=STRANGER_TG))
    post(client, staff_message(thread, "saya bantu ya", user_id=COLLEAGUE_TG))
    refusals = [c.params["text"] for c in fake.wait_for("sendMessage", 3, chat_id=STAFF)[1:]]
    assert any("hanya anggota grup petugas" in t for t in refusals)
    assert any("belum terhubung" in t and str(COLLEAGUE_TG) in t for t in refusals)
    import time

    time.sleep(0.3)
    assert len(texts_to(fake, chat)) == before  # nothing reached the reporter
    assert rows(service, Case, Case.id == case.id)[0].assignee_id is None


def test_ambil_claims_and_selesai_resolves_in_the_topic(client, fake, service) -> None:
    chat = new_chat()
    case, thread = _emergency_case(client, fake, service, chat)
    post(client, staff_message(thread, "/ambil"))
    wait_until(lambda: any("diambil oleh Petugas Rina" in c.params["text"] for c in fake.of("sendMessage", chat_id=STAFF)))
    assert rows(service, Case, Case.id == case.id)[0].status == "claimed"
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: any("ditandai selesai" in c.params["text"] for c in fake.of("sendMessage", chat_id=STAFF)))
    assert rows(service, Case, Case.id == case.id)[0].status == "resolved"
    rating = wait_until(lambda: [c for c in fake.of("sendMessage", chat_id=chat) if "Seberapa puas" in c.params["text"]])
    assert [b[0]["callback_data"] for b in rating[0].json("reply_markup")["inline_keyboard"]][:2] == ["rate:1", "rate:2"]
    post(client, staff_message(thread, "/selesai"))  # again: the case is no longer open
    wait_until(lambda: any(c.params["text"].startswith("Tidak bisa:") for c in fake.of("sendMessage", chat_id=STAFF)))


def test_commands_outside_a_case_thread_are_explained_and_chatter_is_ignored(client, fake, service) -> None:
    post(client, message_update(STAFF, "/ambil", user_id=OFFICER_TG, chat_type="supergroup"))
    wait_until(lambda: any("topik" in c.params["text"] for c in fake.of("sendMessage", chat_id=STAFF)))
    post(client, message_update(STAFF, "selamat pagi semua", user_id=OFFICER_TG, chat_type="supergroup"))
    import time

    time.sleep(0.2)
    assert len(fake.of("sendMessage", chat_id=STAFF)) == 1
    assert rows(service, Contact) == []  # staff messages never become conversations


@pytest.fixture
def no_topics_fake() -> FakeTelegram:
    server = FakeTelegram(forum=False, members={OFFICER_TG: "member"}).start()
    yield server
    server.stop()


def test_without_topics_the_announcement_is_the_thread(settings, tmp_path, service, officer, no_topics_fake) -> None:
    fake = no_topics_fake
    s = channel_settings(settings, tmp_path, telegram_url=fake.url, token=fake.token, mode="webhook",
                         staff_chat_id=STAFF)
    with running_app(s, service) as client:
        chat = new_chat()
        post(client, message_update(chat, "tolong saya dikurung majikan"))
        case = wait_until(lambda: [c for c in rows(service, Case) if c.telegram_thread_id], what="thread id")[0]
        announcement = fake.wait_for("sendMessage", chat_id=STAFF)[0]
        assert "message_thread_id" not in announcement.params and "Balas (reply)" in announcement.params["text"]
        reply_to = {"message_id": case.telegram_thread_id, "date": 0, "chat": {"id": STAFF, "type": "supergroup"},
                    "text": announcement.params["text"]}
        post(client, message_update(STAFF, "Kami segera membantu.", user_id=OFFICER_TG, chat_type="supergroup",
                                    reply_to_message=reply_to))
        wait_until(lambda: "Kami segera membantu." in texts_to(fake, chat), what="relayed reply")
        # the reporter's next message is posted as a reply to the announcement, keeping the thread
        post(client, message_update(chat, "terima kasih"))
        mirrored = wait_until(lambda: [c for c in fake.of("sendMessage", chat_id=STAFF)
                                       if c.params["text"] == "💬 Pelapor: terima kasih" and "reply_parameters" in c.params],
                              what="mirror")
        assert mirrored[0].json("reply_parameters")["message_id"] == case.telegram_thread_id


# --- polling, rate limits, failures ------------------------------------------------------------------------


def test_polling_mode_without_a_public_url(settings, tmp_path, service, fake) -> None:
    s = channel_settings(settings, tmp_path, telegram_url=fake.url, token=fake.token, public_url=None)
    assert wiring.plan(s).telegram == "polling"
    with running_app(s, service) as client:
        assert client.post("/webhooks/telegram", json={}).status_code == 404  # no webhook route in polling mode
        chat = new_chat()
        fake.queue_update(message_update(chat, "apa syarat jadi pmi?"))
        wait_until(lambda: any("Syarat menjadi PMI" in t for t in texts_to(fake, chat)), what="polled answer")
        assert fake.of("deleteWebhook") and fake.of("getUpdates")
    assert not fake.of("setWebhook")


# PTB's own RetryAfter constructor reads its deprecated int property; nothing of ours to change
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_429_is_waited_out_and_the_reply_sent_once(client, fake, service) -> None:
    fake.rate_limit_next(1, retry_after=1)
    chat = new_chat()
    post(client, message_update(chat, "halo"))
    wait_until(lambda: texts_to(fake, chat) and [r for r in rows(service, Outbox) if r.status == "sent"],
               what="sent after 429")
    assert len(fake.of("sendMessage", chat_id=chat)) == 2  # the 429, then the retry by the rate limiter
    assert rows(service, Outbox)[0].tries == 1


def test_failing_api_is_retried_until_exactly_one_reply_is_delivered(client, fake, service) -> None:
    fake.fail_next(2, status=500)
    chat = new_chat()
    post(client, message_update(chat, "halo"))
    row = wait_until(lambda: [r for r in rows(service, Outbox) if r.status == "sent"], what="delivered")[0]
    import time

    time.sleep(0.3)
    assert row.tries == 3 and len(fake.of("sendMessage", chat_id=chat)) == 3  # two failures, one success


def test_a_blocked_bot_is_not_retried(client, fake, service) -> None:
    fake.fail_next(1, status=403)
    chat = new_chat()
    post(client, message_update(chat, "halo"))
    row = wait_until(lambda: [r for r in rows(service, Outbox) if r.status == "undelivered"], what="undelivered")[0]
    assert row.tries == 1 and "diblokir" in row.last_error


# --- bad input ------------------------------------------------------------------------------------------


BAD_INPUT = [
    ("not json", b"{update_id: 1", "application/json", 400),
    ("json array", b"[1, 2]", "application/json", 400),
    ("json string", b'"hello"', "application/json", 400),
    ("no update_id", b'{"message": {}}', "application/json", 400),
    ("update_id text", b'{"update_id": "1"}', "application/json", 400),
    ("update_id bool", b'{"update_id": true}', "application/json", 400),
    ("message is a string", b'{"update_id": 1, "message": "hi"}', "application/json", 400),
    ("message without date", b'{"update_id": 1, "message": {"message_id": 1}}', "application/json", 400),
    ("callback without chat_instance", b'{"update_id": 1, "callback_query": {"id": "a"}}', "application/json", 400),
    ("deep nesting", b"[" * 50_000 + b"]" * 50_000, "application/json", 400),
    ("invalid utf-8", b'{"update_id": 1, "x": "\xff"}', "application/json", 400),
    ("form body", b"update_id=1", "application/x-www-form-urlencoded", 415),
    ("text body", b'{"update_id": 1}', "text/plain", 415),
    ("huge body", b'{"update_id": 1, "x": "' + b"a" * 200_000 + b'"}', "application/json", 413),
]


@pytest.mark.parametrize("name,body,content_type,status", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_gets_4xx_and_stores_nothing(client, service, name, body, content_type, status) -> None:
    r = client.post("/webhooks/telegram", content=body,
                    headers={"content-type": content_type, "X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert r.status_code == status, r.text
    assert rows(service, Contact) == [] and rows(service, MessageLog) == []


@pytest.mark.parametrize("secret", [None, "", "wrong", TG_SECRET + "x", "ünïcode".encode("latin-1")])
def test_the_secret_token_is_required(client, service, secret) -> None:
    r = post(client, message_update(new_chat(), "tolong saya dikurung majikan"), secret=secret)
    assert r.status_code == 403
    assert rows(service, Contact) == [] and rows(service, MessageLog) == [] and rows(service, Case) == []


UNHANDLED = [
    ("edited message", {"edited_message": {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"},
                                           "text": "ralat", "edit_date": 1}}),
    ("unknown kind", {"business_something_new": {"x": 1}}),
    ("group chat message", {"message": {"message_id": 6, "date": 0, "chat": {"id": -55, "type": "group"},
                                        "text": "halo bot", "from": {"id": 9, "is_bot": False, "first_name": "A"}}}),
    ("channel post", {"channel_post": {"message_id": 7, "date": 0, "chat": {"id": -1009, "type": "channel"},
                                       "text": "pengumuman"}}),
]


@pytest.mark.parametrize("name,body", UNHANDLED, ids=[u[0] for u in UNHANDLED])
def test_update_kinds_we_do_not_handle_are_acknowledged_and_ignored(client, service, fake, name, body) -> None:
    # 200, not 4xx: Telegram would resend a refused update and hold back the ones behind it
    r = post(client, {"update_id": random.randint(1, 10**9), **body})
    assert r.status_code == 200
    assert rows(service, Contact) == [] and rows(service, MessageLog) == []
    assert not fake.of("sendMessage")


def test_callback_data_mapping_is_stable_and_short() -> None:
    assert callback_data("menu:faq") == "menu:faq"
    long = "x" * 65
    assert callback_data(long) == callback_data(long)
    assert len(callback_data(long).encode()) <= 64
    assert callback_data("é" * 40) != "é" * 40  # 80 bytes in UTF-8


def test_the_bot_token_and_messages_stay_out_of_the_logs(client, fake, caplog) -> None:
    import logging

    caplog.set_level(logging.INFO)
    chat, private = new_chat(), "alamat-majikan-jalan-xyz"
    post(client, message_update(chat, f"tolong saya dikurung di {private}"))
    fake.fail_next(1, status=500)
    wait_until(lambda: any("Keselamatan Anda" in t for t in texts_to(fake, chat)), what="emergency guidance")
    post(client, message_update(chat, "x"), secret="wrong")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert caplog.records
    for secret in (fake.token, fake.token.split(":")[1], private, TG_SECRET, str(chat)):
        assert secret not in text


def test_an_unreachable_telegram_leaves_the_rest_running(settings, tmp_path, service, monkeypatch) -> None:
    import socket

    monkeypatch.setattr(telegram, "START_TIMEOUT", 2.0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, not listening
        s = channel_settings(settings, tmp_path, telegram_url=dead, token="1:abc", mode="webhook")
        with running_app(s, service) as client:
            assert client.get("/healthz").status_code == 200
            assert client.post("/try/api/messages", json={"session": "sess-abcdef12", "text": "halo"}).status_code == 200
            r = post(client, message_update(new_chat(), "halo"))
            assert r.status_code == 503  # Telegram will deliver it again once we are connected
            assert client.app.state.channels.telegram.ready is False
