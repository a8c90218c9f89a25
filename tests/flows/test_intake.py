"""Case first: a report is a case from the message that tells it; the intake only enriches it,
and nobody writing into an open case is met with silence."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlmodel import select

from storage.db import unit_of_work
from storage.models import Case, CaseEvent
from tests.conftest import Chat


def cases(service) -> list[Case]:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return list(s.exec(select(Case)).all())


def events(service, case_id: int) -> list[CaseEvent]:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return list(s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all())


def test_the_first_message_that_tells_a_problem_opens_the_case(chat: Chat, service) -> None:
    chat.say("paspor saya ditahan agen di Johor dan gaji dua bulan belum dibayar")
    [case] = cases(service)
    assert case.status == "new" and "paspor saya ditahan" in case.summary
    assert case.number in chat.text()  # the person has the number before any question is answered
    assert case.intake["where"] == "Malaysia"  # told already: not asked again
    assert "Di mana" not in chat.text() and "aman saat ini" in chat.text()


def test_a_person_who_stops_answering_leaves_a_case_with_the_description(chat: Chat, service) -> None:
    chat.say("halo")
    chat.say("3")  # "Laporkan masalah" from the menu
    chat.say("Majikan tidak membayar gaji saya sejak Agustus")
    [case] = cases(service)
    assert "sejak Agustus" in case.intake["what"]


def test_each_answer_is_stored_on_the_case_as_it_comes(chat: Chat, service) -> None:
    chat.say("anak saya di Taiwan sudah sebulan tidak bisa dihubungi")
    chat.say("ya")  # safe now
    [case] = cases(service)
    assert case.intake["safe_now"] is True
    assert any(e.kind == "intake" and "safe_now" in e.detail for e in events(service, case.id))


def test_idle_reset_keeps_the_case_and_later_messages_reach_it(chat: Chat, service) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        chat.say("agen saya di Batam belum memberangkatkan saya padahal sudah bayar 12 juta")
        clock.move_to(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC))
        chat.say("ada kabar?")
    [case] = cases(service)
    assert case.status == "new"
    assert "diteruskan ke petugas" in chat.text().lower()


def test_not_safe_to_reply_asks_for_a_safer_contact_and_says_how_we_will_reach_them(chat: Chat, service) -> None:
    chat.say("majikan menyimpan paspor saya di Singapura")
    chat.say("ya")  # safe now
    chat.say("tidak")  # safe to reply here: no
    assert "nomor lain atau waktu yang aman" in chat.text()
    chat.say("hubungi saya hari Minggu siang")
    [case] = cases(service)
    assert case.safe_to_reply is False and "Minggu siang" in case.intake["safe_contact"]
    chat.say("lewati")  # who
    chat.say("lewati")  # consent: the intake ends
    assert "tidak akan mengirim pesan lebih dulu" in chat.text()


def test_not_safe_now_makes_the_case_an_emergency(chat: Chat, service) -> None:
    chat.say("gaji saya tiga bulan belum dibayar majikan di Johor")
    chat.say("tidak")  # not safe now
    [case] = cases(service)
    assert case.priority == "emergency" and case.emergency
    assert "DARURAT" in chat.text()


def test_batal_during_the_intake_asks_and_a_withdrawn_report_is_kept_closed(chat: Chat, service) -> None:
    chat.say("calo mengambil uang saya 10 juta dan tidak memberangkatkan saya")
    chat.say("batal")
    assert "Batalkan laporan" in chat.text()
    chat.press("Ya, batalkan laporan")
    [case] = cases(service)
    assert case.status == "closed"
    assert any("dibatalkan pelapor" in e.detail for e in events(service, case.id))


def test_batal_then_continue_goes_back_to_the_question(chat: Chat, service) -> None:
    chat.say("calo mengambil uang saya 10 juta dan tidak memberangkatkan saya")
    question = chat.text().splitlines()[-1]
    chat.say("batal")
    chat.press("Tidak, lanjutkan")
    assert question in chat.text()
    assert cases(service)[0].status == "new"


def test_every_message_into_an_open_case_gets_a_reply_and_danger_escalates(chat: Chat, service) -> None:
    chat.say("petugas dong")  # a case for a person
    [case] = cases(service)
    replies = []
    for text in ("halo?", "please reply", "majikan memukul saya lagi malam ini"):
        chat.say(text)
        replies.append(chat.text())
    assert all(replies)
    assert "menu" in replies[0] and "menu" in replies[1]
    assert "999" in replies[2]  # emergency guidance again
    [case] = cases(service)
    assert case.priority == "emergency"


def test_tolong_gets_the_safety_question_in_every_state(chat: Chat) -> None:
    for before in ([], ["1"], ["2"], ["3"], ["gaji saya belum dibayar dua bulan"]):
        Chat.__init__(chat, chat.service)  # a new person each round
        for text in before:
            chat.say(text)
        chat.say("tolong")
        assert "Apakah Anda dalam bahaya sekarang?" in chat.text(), before
        assert "belum bisa menjawab" not in chat.text()


def test_emergency_numbers_fit_where_the_person_in_danger_is(service) -> None:
    taiwan = Chat(service, channel="whatsapp", user="+6281234567890")
    taiwan.say("suami saya dipukuli kapten kapal di Taiwan sampai berdarah")
    assert taiwan.text().index("1955") < taiwan.text().index("KDEI")
    assert "999 (polisi/ambulans/pemadam, Malaysia)" not in taiwan.text()
    assert "orang yang Anda laporkan" in taiwan.text()  # told to the reporter, not to the one in danger
    home = Chat(service, channel="whatsapp", user="+6281299990000")
    home.say("saya dideportasi dan sekarang terlantar di pelabuhan Tanjung Pinang, dipukul petugas penampungan")
    assert "0800-1000" in home.text()
    by_number = Chat(service, channel="whatsapp", user="+6591234567")
    by_number.say("tolong saya dikunci di kamar oleh majikan")
    assert "995 (ambulans/pemadam, Singapura)" in by_number.text()
    assert "Malaysia" not in by_number.text()


def test_the_transcript_shows_the_label_of_a_pressed_button(chat: Chat, service) -> None:
    from storage.models import MessageLog

    chat.say("halo")
    chat.say("2")  # typed number
    chat.say("menu")
    chat.say("menu:faq")  # a Telegram button press arrives as its payload
    with unit_of_work(service.db) as s:
        texts = [m.text for m in s.exec(select(MessageLog).where(MessageLog.direction == "in").order_by(MessageLog.id))]
    assert texts[1] == "2 (Cek izin perusahaan (P3MI))"
    assert texts[3] == "Tanya prosedur kerja ke luar negeri"


def test_none_of_these_records_the_question_for_the_curators(chat: Chat, service) -> None:
    from flows import faq, phrases

    step = faq.suggest("apa bedanya job order dan demand letter", [])
    assert step.state.slots["question"] == "apa bedanya job order dan demand letter"
    assert step.replies[0].buttons[-1] == phrases.NONE_OF_THESE


def test_a_later_danger_message_raises_the_case_category_and_summary(chat: Chat, service) -> None:
    chat.say("gaji saya dua bulan belum dibayar majikan di Johor")
    for _ in range(6):
        chat.say("lewati")
    chat.say("majikan memukul saya tadi malam sampai berdarah")
    [case] = cases(service)
    assert case.priority == "emergency" and case.category == "violence"
    assert "memukul saya" in case.summary and "gaji saya" in case.summary
    assert any(e.kind == "category" and "wages -> violence" in e.detail for e in events(service, case.id))


def test_a_person_with_an_open_case_can_report_another_problem(chat: Chat, service) -> None:
    chat.say("paspor saya ditahan agen di Johor")
    for _ in range(6):
        chat.say("lewati")
    chat.say("menu")
    chat.say("3")  # "Laporkan masalah" again
    assert "masalah yang sama" in chat.text()
    chat.press("Bukan, masalah lain")
    chat.say("gaji adik saya di Taiwan tiga bulan belum dibayar")
    first, second = sorted(cases(service), key=lambda c: c.id)
    assert first.contact_id == second.contact_id and first.number != second.number
    assert "gaji adik saya" in second.summary and "paspor" in first.summary


def test_the_same_matter_goes_to_the_open_case(chat: Chat, service) -> None:
    chat.say("paspor saya ditahan agen di Johor")
    chat.say("menu")
    chat.say("3")
    chat.press("Ya, masalah yang sama")
    chat.say("agennya namanya PT Contoh Bahari")
    assert len(cases(service)) == 1
    assert "diteruskan" in chat.text()


def test_only_asking_withdraws_the_case_and_answers_the_question(chat: Chat, service) -> None:
    chat.say("majikan saya tidak kasih libur sudah tiga bulan")
    [case] = cases(service)
    chat.say("aku gk mau lapor, cm nanya PMI berhak libur berapa hari?")
    [case] = cases(service)
    assert case.status == "closed"
    assert any("bukan laporan" in e.detail for e in events(service, case.id))
    assert "Apakah jawaban ini membantu?" in chat.text() or "salah satu pertanyaan" in chat.text()


def test_an_english_writer_is_answered_in_english_on_the_safety_and_report_paths(chat: Chat, service) -> None:
    chat.say("help")
    assert chat.text().startswith("Are you in danger right now?")
    assert chat.labels() == ["Yes, I am in danger now", "No, I want to ask"]
    chat.press("Yes, I am in danger now")
    assert "EMERGENCY" in chat.text() and cases(service)[0].emergency
    chat.say("when will the officer answer me?")
    assert "Passed to the officer" in chat.text() or "passed to the officer" in chat.text()
    other = Chat(service)
    other.say("my employer has not paid my salary for three months")
    assert "Your report is recorded as number" in other.text()
    other.say("Kuala Lumpur")  # a place name does not switch the language back
    assert "safe right now" in other.text()


def test_an_english_question_the_knowledge_base_cannot_answer_says_it_is_indonesian(chat: Chat) -> None:
    chat.say("what is the best hotel near the airport in Singapore?")
    assert "Our information is in Indonesian" in chat.text()


def test_new_danger_in_an_open_case_is_announced_to_the_officers(chat: Chat, service) -> None:
    announced: list[tuple[str, str]] = []
    service.engine.on_case_event = lambda kind, number: announced.append((kind, number))
    chat.say("gaji saya dua bulan belum dibayar majikan di Johor")
    chat.say("majikan memukul saya tadi malam sampai berdarah")
    [case] = cases(service)
    assert announced == [("created", case.number), ("escalated", case.number)]
