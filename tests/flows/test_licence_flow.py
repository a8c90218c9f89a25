"""The licence check in the chat, against the shipped sample registry (fictional)."""

from tests.conftest import Chat


def test_menu_choice_asks_for_a_name_then_shows_the_licensed_card(chat: Chat) -> None:
    chat.say("halo")
    chat.press("Cek izin perusahaan (P3MI)")
    assert "nama perusahaan" in chat.text()
    chat.say("PT Sinar Jaya Tenaga Mandiri")
    text = chat.text()
    assert "TERDAFTAR" in text and "KEP.673/MEN/XI/2012" in text and "01-05-2031" in text
    assert "DATA CONTOH" in text  # the sample registry says it is fictional
    assert "Data per" in text


def test_free_text_with_a_country_the_agency_is_not_registered_for(chat: Chat) -> None:
    chat.say("PT Sinar Jaya Tenaga Mandiri resmi gak? mau ke Malaysia")
    text = chat.text()
    assert "TIDAK terdaftar untuk penempatan ke Malaysia" in text


def test_revoked_agency_warns_not_to_pay_and_offers_to_report(chat: Chat, service) -> None:
    chat.say("cek PT Contoh Bahari Sejahtera")
    assert "DICABUT" in chat.text()
    assert "Jangan bayar apa pun" in chat.text()
    chat.press("Laporkan perekrut ini")
    assert "Apa yang terjadi?" in chat.text()
    for _ in range(6):
        chat.say("lewati")
    from sqlmodel import select

    from storage.db import unit_of_work
    from storage.models import Case

    with unit_of_work(service.db) as s:
        case = s.exec(select(Case)).one()
    assert case.category == "illegal_recruiter"
    assert "Bahari" in case.intake["who"]


def test_a_lookalike_name_is_named_as_such_with_the_real_agency(chat: Chat) -> None:
    chat.say("PT Sinar Jaya Tenaga Mandiri Abadi itu resmi?")
    text = chat.text()
    assert "mirip dengan PT Sinar Jaya Tenaga Mandiri" in text and "TIDAK SAMA" in text
    assert "KEP.673/MEN/XI/2012" in text


def test_unknown_name_gets_the_warning_signs(chat: Chat) -> None:
    chat.say("PT Benar Benar Tidak Ada Sekali resmi?")
    assert "TIDAK ditemukan" in chat.text()
    assert "visa kunjungan" in chat.text()


def test_a_licence_number_one_character_off_is_not_found(chat: Chat) -> None:
    chat.say("KEP.673/MEN/XI/2013")
    assert "TIDAK ditemukan" in chat.text()
    chat.say("KEP 673 MEN XI 2012")
    assert "TERDAFTAR" in chat.text()


def test_a_pasted_job_offer_lists_red_flags_with_their_phrases(chat: Chat) -> None:
    chat.say("Dibutuhkan segera pekerja kilang di Malaysia, gaji 8 juta, proses cepat 2 minggu, "
             "biaya 5 juta, pakai visa kunjungan. Hubungi WA 0812xxxx")
    text = chat.text()
    assert "Malaysia" in text
    assert "visa kunjungan" in text and "biaya 5 juta" in text
    assert "Laporkan perekrut ini" in chat.labels()


def test_a_message_naming_two_agencies_answers_each_in_its_own_line(chat: Chat) -> None:
    chat.say("PT Sinar Jaya Tenaga Mandiri sama PT Contoh Bahari Sejahtera mana yg resmi?")
    lines = chat.text().splitlines()
    assert "• PT Sinar Jaya Tenaga Mandiri (izin KEP.673/MEN/XI/2012): ✅ terdaftar, izin aktif" in lines
    assert "• PT Contoh Bahari Sejahtera (izin 2/1976/HK.04.01/X/2021): ⛔ izin DICABUT" in lines
    assert "Laporkan perekrut ini" in chat.labels()  # one of them is revoked: never a plain all-clear


# The licence step itself (flows.licence.check is pure: text + context in, replies out), with the
# service's context, which holds the sample registry.


def test_each_agency_keeps_its_own_warning_and_the_worst_decides_the_buttons(service) -> None:  # type: ignore[no-untyped-def]
    from flows import licence

    step = licence.check("is Contoh Mitra Karya Insani or PT Contoh Tunas Harapan licensed? mau ke Taiwan", service.ctx)
    (reply,) = step.replies
    assert "• PT Contoh Mitra Karya Insani (izin 6/8353/HK.04.01/V/2024): ✅ terdaftar, izin aktif, " \
           "tetapi TIDAK terdaftar untuk Taiwan" in reply.text
    assert "⚠️ TIDAK terdaftar; mirip PT Contoh Tunas Harapan Prima (izin KEP.310/MEN/IX/2015)" in reply.text
    assert "Laporkan perekrut ini" in [b.label for b in reply.buttons]


def test_two_licensed_agencies_get_no_report_button(service) -> None:  # type: ignore[no-untyped-def]
    from flows import licence

    (reply,) = licence.check("cek PT Sinar Jaya Tenaga Mandiri dan PT Contoh Jaya Makmur Utama", service.ctx).replies
    assert reply.text.count("✅ terdaftar, izin aktif") == 2
    assert "Laporkan perekrut ini" not in [b.label for b in reply.buttons]


def test_pe_te_spelling_and_a_borrowed_number_in_the_chat(service) -> None:  # type: ignore[no-untyped-def]
    from flows import licence

    (reply,) = licence.check("pe te contoh bahari sejahtera udah dicabut blm?", service.ctx).replies
    assert "DICABUT" in reply.text and "PT Contoh Bahari Sejahtera" in reply.text
    text = "PT Contoh Jaya Makmur Utama izin KEP.673/MEN/XI/2012 resmi?"
    (reply,) = licence.check(text, service.ctx).replies
    assert "Nomor izin itu milik PT Sinar Jaya Tenaga Mandiri, BUKAN perusahaan yang Anda sebut" in reply.text
    assert "TERDAFTAR dan izinnya aktif" not in reply.text
