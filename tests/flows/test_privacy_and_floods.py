"""Personal data on request and after the retention period; a flood of messages; no personal data in logs."""

import datetime as dt
import logging

from sqlmodel import select

from storage import privacy, repo
from storage.db import unit_of_work
from storage.models import Case, Contact, MessageLog
from tests.conftest import Chat


def _texts(service, user_urn):  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        contact = s.exec(select(Contact).where(Contact.urn == user_urn)).one()
        return contact, [m.text for m in s.exec(select(MessageLog).where(MessageLog.direction == "in"))]


def test_hapus_data_saya_deletes_messages_and_profile_after_confirmation(service) -> None:
    chat = Chat(service, channel="whatsapp")
    chat.say("apa syarat jadi pmi?", display_name="Siti Aminah")
    chat.say("hapus data saya")
    assert "Lanjutkan?" in chat.text()
    chat.press("Ya, hapus data saya")
    assert "dihapus" in chat.text()
    contact, texts = _texts(service, f"whatsapp:{chat.user}")
    assert contact.display_name == "" and texts == []


def test_erasure_keeps_what_an_open_case_needs_until_it_closes(service) -> None:
    chat = Chat(service)
    chat.say("paspor saya ditahan majikan", display_name="Budi")
    for _ in range(5):
        chat.say("lewati")
    chat.say("hapus data saya")
    chat.press("Ya, hapus data saya")
    contact, texts = _texts(service, f"telegram:{chat.user}")
    assert "paspor saya ditahan majikan" in texts  # the officer still needs the transcript
    assert contact.display_name == "" and contact.erase_requested_at is not None
    with unit_of_work(service.db) as s:
        case = s.exec(select(Case)).one()
        case.status = "closed"
        s.add(case)
    with unit_of_work(service.db) as s:
        result = privacy.purge(s, retention_days=365)
    assert result["erasures_finished"] == 1
    contact, texts = _texts(service, f"telegram:{chat.user}")
    assert texts == []
    with unit_of_work(service.db) as s:
        case = s.exec(select(Case)).one()
        assert "paspor" not in case.summary and case.intake == {}


def test_purge_deletes_old_messages_and_anonymises_old_closed_cases(service) -> None:
    chat = Chat(service)
    chat.say("gaji saya dua bulan belum dibayar majikan")
    for _ in range(5):
        chat.say("lewati")
    with unit_of_work(service.db) as s:
        case = s.exec(select(Case)).one()
        case.status = "closed"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with unit_of_work(service.db) as s:
        result = privacy.purge(s, retention_days=365, now=later)
    assert result["messages_deleted"] > 0 and result["cases_anonymised"] == 1
    with unit_of_work(service.db) as s:
        assert repo.count(s, MessageLog) == 0


def test_export_lists_everything_about_one_person(service) -> None:
    chat = Chat(service)
    chat.say("halo", display_name="Rina")
    chat.say("apa itu tppo?")
    with unit_of_work(service.db) as s:
        data = privacy.export_contact(s, urn=f"telegram:{chat.user}")
    assert data["contact"]["display_name"] == "Rina"
    assert [m["text"] for m in data["messages"] if m["direction"] == "in"] == ["halo", "apa itu tppo?"]


def test_a_flood_is_slowed_with_one_notice_but_danger_goes_through(service) -> None:
    chat = Chat(service)
    replies = [chat.say("halo") for _ in range(40)]
    notices = [r for batch in replies for r in batch if "banyak sekali" in r.text]
    assert len(notices) == 1
    assert replies[-1] == []  # further messages in the same minute are stored, not answered
    chat.say("tolong saya dipukuli majikan")
    assert "DARURAT" in chat.text()
    with unit_of_work(service.db) as s:
        assert len(s.exec(select(MessageLog).where(MessageLog.direction == "in")).all()) == 41
        assert s.exec(select(Case)).one().emergency


def test_logs_of_a_full_conversation_hold_no_personal_data(service, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    chat = Chat(service, channel="whatsapp", user="+6281234567890")
    for text in ["halo", "paspor saya ditahan majikan Bapak Wong", "Kuala Lumpur", "PT Rahasia", "ya", "ya", "ya",
                 "status laporan", "tolong saya dikunci"]:
        chat.say(text, display_name="Dewi Lestari")
    logged = "\n".join(r.getMessage() + " " + str(r.args) for r in caplog.records)
    for secret in ["6281234567890", "Dewi", "Wong", "Kuala Lumpur", "Rahasia", "dikunci", "paspor saya"]:
        assert secret not in logged
