"""The staff desk's topics follow their case, and an officer's file is never dropped silently.

The real python-telegram-bot against the fake Bot API, the app under TestClient. The desk's
sweep runs every few milliseconds here (unless a test wants it to wait for events only); where a
test says "once", it runs one more sweep itself (through the app's event loop) after the first
one finished, so repeating is caught without waiting on a clock.
"""

from __future__ import annotations

import random

import pytest
from sqlmodel import select

from bot.channels import staff_desk_texts
from bot.channels import staff_desk_sweep
from storage import cases, officers, staff_threads
from storage.db import unit_of_work
from storage.models import Case, CaseEvent, MessageLog, Officer, Outbox
from tests.bot.console_util import add_staff, login
from tests.channels import TG_SECRET, channel_settings, rows, running_app, wait_until
from tests.channels.fake_telegram import FakeTelegram, message_update

STAFF = -1001234567890
OFFICER_TG = 7001

PHOTO = [{"file_id": "ph-small", "file_unique_id": "s", "width": 90, "height": 90},
         {"file_id": "ph-big", "file_unique_id": "b", "width": 1280, "height": 960}]
VOICE = {"file_id": "vo-1", "file_unique_id": "v", "duration": 4, "mime_type": "audio/ogg"}
DOCUMENT = {"file_id": "doc-1", "file_unique_id": "d", "file_name": "kontrak.pdf", "mime_type": "application/pdf"}


@pytest.fixture(autouse=True)
def quick_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    # a case finished in the console is seen by the sweep only: sweep often rather than every 30 s
    monkeypatch.setattr(staff_desk_sweep, "SWEEP_SECONDS", 0.05)


@pytest.fixture
def events_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before `client`: the timed sweep never comes in a test, so what happens was set off by an event."""
    monkeypatch.setattr(staff_desk_sweep, "SWEEP_SECONDS", 3600.0)


@pytest.fixture
def fake() -> FakeTelegram:
    server = FakeTelegram(members={OFFICER_TG: "administrator"}).start()
    yield server
    server.stop()


@pytest.fixture
def officer(service) -> None:
    with unit_of_work(service.db) as s:
        row = officers.add_officer(s, username="rina", password_hash="x", role="officer", display_name="Petugas Rina")
        row.telegram_user_id = OFFICER_TG


@pytest.fixture
def client(settings, tmp_path, service, officer, fake):
    s = channel_settings(settings, tmp_path, telegram_url=fake.url, token=fake.token, mode="webhook",
                         staff_chat_id=STAFF)
    with running_app(s, service) as c:
        yield c


def post(client, update: dict) -> None:
    # webhook mode handles the update before answering: when this returns, the desk's handler has run
    r = client.post("/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert r.status_code == 200


def staff_message(thread: int, text: str | None, **extra) -> dict:
    return message_update(STAFF, text, user_id=OFFICER_TG, chat_type="supergroup", message_thread_id=thread,
                          is_topic_message=True, **extra)


def staff_texts(fake: FakeTelegram) -> list[str]:
    return [c.params["text"] for c in fake.of("sendMessage", chat_id=STAFF)]


def sweep_once_more(client) -> int:
    """One more sweep, run in the app's event loop; how many topics it changed."""
    return client.portal.call(client.app.state.channels.desk.sweep.update_topics)


def reported_case(client, fake, service) -> tuple[int, Case, int]:
    """A reporter on Telegram opens an emergency case; the desk announces it in its thread (a topic if it can)."""
    chat = random.randint(10_000_000, 99_999_999)
    known = {c.id for c in rows(service, Case)}
    post(client, message_update(chat, "tolong saya dikurung majikan"))
    case = wait_until(lambda: [c for c in rows(service, Case) if c.telegram_thread_id and c.id not in known],
                      what="case thread")[0]
    wait_until(lambda: any(t.startswith(f"🆘 Kasus baru {case.number}") for t in staff_texts(fake)),
               what="announcement")
    return chat, case, case.telegram_thread_id  # type: ignore[return-value]


def marks(service, case_id: int) -> list[str]:
    # in the order they happened: PostgreSQL returns rows without ORDER BY in any order
    return [e.kind for e in sorted(rows(service, CaseEvent, CaseEvent.case_id == case_id), key=lambda e: e.id)
            if e.kind in (staff_threads.TOPIC_CLOSED, staff_threads.TOPIC_REOPENED)]


def topic_closed(service, case_id: int) -> bool:
    return staff_threads.TOPIC_CLOSED in marks(service, case_id)


# --- topics follow the case --------------------------------------------------------------------------------


def test_selesai_leaves_one_note_a_ticked_name_and_a_closed_topic(events_only, client, fake, service) -> None:
    _, case, thread = reported_case(client, fake, service)
    post(client, staff_message(thread, "/ambil"))
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: topic_closed(service, case.id), what="topic marked closed")
    assert fake.topics[thread] == {"name": f"✅ 🆘 {case.number} · {case.category}", "closed": True}
    note = f"✅ Kasus {case.number} ditandai selesai oleh Petugas Rina. Topik ini ditutup."
    in_topic = [c.params["text"] for c in fake.of("sendMessage", chat_id=STAFF, message_thread_id=thread)]
    assert in_topic.count(note) == 1
    # the note is the answer to /selesai: no second "resolved" message besides it
    assert [t for t in staff_texts(fake) if "ditandai selesai" in t] == [note]
    # the note went while the topic was still open to it
    order = [c.method for c in fake.calls if c.method in ("editForumTopic", "closeForumTopic")
             or c.params.get("text") == note]
    assert order == ["sendMessage", "editForumTopic", "closeForumTopic"]
    assert sweep_once_more(client) == 0
    assert staff_texts(fake).count(note) == 1 and len(fake.of("closeForumTopic")) == 1
    assert marks(service, case.id) == [staff_threads.TOPIC_CLOSED]


def test_a_case_closed_in_the_console_closes_its_topic(client, fake, service) -> None:
    _, case, thread = reported_case(client, fake, service)
    add_staff(service, "budi", role="supervisor")
    client.base_url = "https://testserver"  # the console's cookies are Secure under an https public URL
    token = login(client, "budi")
    r = client.post(f"/console/cases/{case.id}/close", data={"csrf_token": token, "note": "duplikat"},
                    follow_redirects=False)
    assert r.status_code == 303
    wait_until(lambda: fake.topics[thread]["closed"], what="topic closed by the sweep")
    assert f"✅ Kasus {case.number} ditutup oleh Budi. Topik ini ditutup." in staff_texts(fake)
    assert fake.topics[thread]["name"].startswith("✅ ")


def test_a_case_open_again_gets_its_topic_reopened_and_closed_again_when_done(client, fake, service) -> None:
    _, case, thread = reported_case(client, fake, service)
    post(client, staff_message(thread, "/ambil"))
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: topic_closed(service, case.id), what="topic marked closed")
    with unit_of_work(service.db) as s:  # reopened by whatever path: the desk follows the status
        row = s.get(Case, case.id)
        row.status = "claimed"
    wait_until(lambda: marks(service, case.id)[-1:] == [staff_threads.TOPIC_REOPENED], what="topic reopened")
    assert fake.topics[thread] == {"name": f"🆘 {case.number} · {case.category}", "closed": False}
    assert staff_texts(fake).count(f"🔄 Kasus {case.number} dibuka kembali.") == 1
    with unit_of_work(service.db) as s:
        rina = s.exec(select(Officer).where(Officer.username == "rina")).one()
        cases.close(s, case_id=case.id, officer=rina)
    wait_until(lambda: marks(service, case.id) == [staff_threads.TOPIC_CLOSED, staff_threads.TOPIC_REOPENED,
                                                   staff_threads.TOPIC_CLOSED], what="closed again")
    assert fake.topics[thread]["closed"] is True and fake.topics[thread]["name"].startswith("✅ ")
    assert sweep_once_more(client) == 0


def test_a_topic_the_bot_may_no_longer_manage_gets_the_note_and_the_desk_goes_on(client, fake, service) -> None:
    _, case, thread = reported_case(client, fake, service)
    fake.manage_topics = False  # an admin took the bot's right to manage topics away
    post(client, staff_message(thread, "/ambil"))
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: topic_closed(service, case.id), what="thread marked done")
    assert fake.of("closeForumTopic")  # tried, refused (400), carried on
    assert fake.topics[thread]["closed"] is False
    note = f"✅ Kasus {case.number} ditandai selesai oleh Petugas Rina. Topik ini ditutup."
    assert staff_texts(fake).count(note) == 1
    assert sweep_once_more(client) == 0 and staff_texts(fake).count(note) == 1
    # the desk still works: the next case is announced (as a reply thread, topics being refused)
    _, second, _ = reported_case(client, fake, service)
    assert second.id != case.id


def test_without_topics_the_note_answers_the_announcement(settings, tmp_path, service, officer) -> None:
    fake = FakeTelegram(forum=False, members={OFFICER_TG: "member"}).start()
    try:
        s = channel_settings(settings, tmp_path, telegram_url=fake.url, token=fake.token, mode="webhook",
                             staff_chat_id=STAFF)
        with running_app(s, service) as client:
            _, case, thread = reported_case(client, fake, service)
            with unit_of_work(service.db) as sess:
                rina = sess.exec(select(Officer).where(Officer.username == "rina")).one()
                cases.claim(sess, case_id=case.id, officer=rina)
                cases.close(sess, case_id=case.id, officer=rina)
            wait_until(lambda: topic_closed(service, case.id), what="thread marked done")
            tries = [c for c in fake.of("sendMessage", chat_id=STAFF) if c.params["text"].startswith("✅")]
            # into a topic first (refused: there are none), then as a reply to the announcement
            assert "message_thread_id" in tries[0].params and len(tries) == 2
            assert tries[1].json("reply_parameters")["message_id"] == thread
            # not a topic: nothing to rename or close (each call counts against the group's budget)
            assert not fake.of("editForumTopic") and not fake.of("closeForumTopic")
    finally:
        fake.stop()


def test_a_note_that_failed_is_posted_once_on_the_next_sweep(client, fake, service) -> None:
    _, case, thread = reported_case(client, fake, service)
    post(client, staff_message(thread, "/ambil"))
    fake.fail_next(1, status=500, chat_id=STAFF, message_thread_id=thread)  # the note's first try
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: topic_closed(service, case.id), what="topic marked closed")
    note = f"✅ Kasus {case.number} ditandai selesai oleh Petugas Rina. Topik ini ditutup."
    assert len([c for c in fake.of("sendMessage", chat_id=STAFF) if c.params["text"] == note]) == 2  # 500, then ok
    assert fake.topics[thread]["closed"] is True
    assert sweep_once_more(client) == 0


def test_a_close_that_failed_is_retried_without_a_second_note(client, fake, service) -> None:
    _, case, thread = reported_case(client, fake, service)
    post(client, staff_message(thread, "/ambil"))
    fake.fail_next(1, status=500, methods=("closeForumTopic",))
    post(client, staff_message(thread, "/selesai"))
    wait_until(lambda: topic_closed(service, case.id), what="topic marked closed")
    assert len(fake.of("closeForumTopic")) == 2 and fake.topics[thread]["closed"] is True
    assert sum(t.startswith("✅ Kasus") for t in staff_texts(fake)) == 1
    assert sweep_once_more(client) == 0


# --- an officer's file -----------------------------------------------------------------------------------


def test_a_photo_with_a_caption_sends_the_caption_and_says_the_photo_stayed(client, fake, service) -> None:
    chat, _, thread = reported_case(client, fake, service)
    post(client, staff_message(thread, None, photo=PHOTO, caption="Ini alamat KJRI Johor Bahru."))
    assert staff_texts(fake)[-1] == staff_desk_texts.FILE_CAPTION_ONLY
    wait_until(lambda: "Ini alamat KJRI Johor Bahru." in
               [c.params["text"] for c in fake.of("sendMessage", chat_id=chat)], what="caption at the reporter")
    assert [m.author for m in rows(service, MessageLog, MessageLog.text == "Ini alamat KJRI Johor Bahru.")] == \
        ["officer:rina"]
    assert not fake.of("copyMessage") and not fake.of("sendPhoto")


@pytest.mark.parametrize("attachment", [{"voice": VOICE}, {"document": DOCUMENT}, {"photo": PHOTO}],
                         ids=["voice", "document", "photo"])
def test_a_file_without_words_is_not_dropped_silently(client, fake, service, attachment) -> None:
    _, case, thread = reported_case(client, fake, service)
    before = [o.id for o in rows(service, Outbox)]
    post(client, staff_message(thread, None, **attachment))
    assert staff_texts(fake)[-1] == staff_desk_texts.FILE_NOT_SENT
    # the handler has finished: nothing was queued for the reporter, and nothing claimed the case
    assert [o.id for o in rows(service, Outbox)] == before
    assert rows(service, Case, Case.id == case.id)[0].assignee_id is None
    assert not [m for m in rows(service, MessageLog) if m.author.startswith("officer:")]
