"""Conversations through the real engine and a fresh database: say something, read the reply."""

from sqlmodel import select

from storage.db import unit_of_work
from storage.models import Case, Feedback, MessageLog, Outbox, UnansweredQuestion
from tests.conftest import Chat


def test_greeting_shows_the_main_menu(chat: Chat) -> None:
    chat.say("Halo")
    assert chat.labels() == ["Tanya prosedur kerja ke luar negeri", "Cek izin perusahaan (P3MI)",
                             "Laporkan masalah / minta tolong", "Bicara dengan petugas"]


def test_faq_answer_is_short_has_legal_basis_behind_selengkapnya_related_buttons_and_feedback(chat: Chat,
                                                                                               service) -> None:
    chat.say("syarat jd TKW apa aja")
    assert len(chat.text()) <= 350 + len("\n\nApakah jawaban ini membantu?")
    assert "Apakah jawaban ini membantu?" in chat.text()
    labels = chat.labels()
    assert labels[:3] == ["Selengkapnya", "Ya, membantu", "Tidak membantu"]
    assert len(labels) > 4  # related questions follow
    chat.press("Selengkapnya")
    assert "Dasar" in chat.text() or "UU" in chat.text()
    assert chat.labels()[:2] == ["Ya, membantu", "Tidak membantu"]
    chat.press("Ya, membantu")
    with unit_of_work(service.db) as s:
        fb = s.exec(select(Feedback)).all()
    assert [(f.helpful, f.entry_id.startswith("syarat-pmi")) for f in fb] == [(True, True)]


def test_related_question_button_answers_that_entry(chat: Chat) -> None:
    chat.say("syarat jd TKW apa aja")
    first = chat.text()
    fixed = {"Selengkapnya", "Ya, membantu", "Tidak membantu", "Menu utama"}
    related = next(label for label in chat.labels() if label not in fixed)
    chat.press(related)
    assert chat.text() != first
    assert "Apakah jawaban ini membantu?" in chat.text()


def test_unanswerable_question_is_honest_offers_an_officer_and_is_recorded(chat: Chat, service) -> None:
    chat.say("berapa harga tiket konser minggu depan")
    assert "belum bisa menjawab" in chat.text()
    assert "Bicara dengan petugas" in chat.labels()
    with unit_of_work(service.db) as s:
        rows = s.exec(select(UnansweredQuestion)).all()
    assert [r.text for r in rows] == ["berapa harga tiket konser minggu depan"]


def test_menu_numbers_work_like_buttons_and_batal_returns_to_menu(chat: Chat) -> None:
    chat.say("halo")
    chat.say("3")  # Laporkan masalah
    assert "Apa yang terjadi?" in chat.text()
    chat.say("batal")
    assert "dibatalkan" in chat.text()
    assert "Cek izin perusahaan (P3MI)" in chat.labels()


def test_danger_is_recognised_in_the_middle_of_another_flow(chat: Chat, service) -> None:
    chat.say("halo")
    chat.say("2")  # licence check asks for a name
    chat.say("tolong saya dikunci di rumah majikan, paspor diambil")
    text = chat.text()
    assert "DARURAT" in text and "MC-" in text
    assert "999" in text  # hotlines from config.yaml
    with unit_of_work(service.db) as s:
        case = s.exec(select(Case)).one()
    assert (case.priority, case.emergency, case.category) == ("emergency", True, "trafficking")
    assert case.number in text


def test_report_intake_can_be_skipped_and_gives_a_case_number(chat: Chat, service) -> None:
    chat.say("gaji saya 3 bulan tidak dibayar majikan")
    assert "Di mana" in chat.text()  # the first message already told what happened
    for _ in range(5):
        chat.say("lewati")
    assert "MC-" in chat.text()
    with unit_of_work(service.db) as s:
        case = s.exec(select(Case)).one()
    assert (case.category, case.priority, case.emergency) == ("wages", "normal", False)
    chat.say("status laporan")
    assert case.number in chat.text()


def test_duplicate_inbound_gets_one_reply(service) -> None:
    chat = Chat(service, channel="whatsapp")
    first = chat.say("halo", message_ref="SM123")
    again = chat.say("halo", message_ref="SM123")
    assert first and again == []
    with unit_of_work(service.db) as s:
        assert len(s.exec(select(MessageLog).where(MessageLog.direction == "in")).all()) == 1
        assert len(s.exec(select(Outbox)).all()) == 1


def test_restart_in_the_middle_of_a_conversation_continues_it(settings, ctx) -> None:
    from bot.service import build_service

    first = build_service(settings, ctx=ctx)
    chat = Chat(first, user="restart-user")
    chat.say("halo")
    chat.say("3")
    chat.say("Majikan tidak membayar gaji saya")  # answer to "Apa yang terjadi?"
    assert "Di mana" in chat.text()
    first.db.dispose()

    second = build_service(settings, ctx=ctx)  # a new process: nothing in memory
    chat2 = Chat(second, user="restart-user")
    chat2.say("Kuala Lumpur, Malaysia")
    assert "aman saat ini" in chat2.text()  # the intake went on at the next question
    second.db.dispose()
