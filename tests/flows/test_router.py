"""Routing of first messages (`helpdesk classify`): table-driven, written in the styles people use."""

import pytest

from flows.router import classify


@pytest.mark.parametrize("text, intent, emergency", [
    # reports: one's own or a relative's situation
    ("gaji sy udah 4 bulan blm dibayar bos", "report", False),
    ("majikan saya menyimpan paspor saya dan tidak mau mengembalikan", "report", False),
    ("adik sy di hongkong sudah 2 minggu tidak bisa dihubungi", "report", False),
    ("saya tertipu calo, uang 7 juta hilang", "report", False),
    ("suami saya ditangkap polisi malaysia karena permit mati", "report", False),
    ("tolong saya dikurung di kamar sama majikan", "report", True),
    ("saya dipukuli tiap hari, tolong", "report", True),
    ("sudah 2 hari saya tidak diberi makan", "report", True),
    ("agen mengancam akan membunuh saya", "report", True),
    ("saya ingin mengakhiri hidup saja", "report", True),
    ("kami dipindahkan paksa ke kapal lain tengah malam", "report", True),
    ("speedboat kami bocor di tengah laut, tolong", "report", True),
    # general questions on the same subjects are FAQ, not reports
    ("bolehkah majikan menyimpan paspor pekerja?", "faq", False),
    ("apa hak pmi kalau gaji dipotong?", "faq", False),
    ("kalau pmi meninggal di luar negeri bagaimana pemulangannya?", "faq", False),
    # greetings and people
    ("assalamualaikum", "greeting", False),
    ("makasih banyak kak", "greeting", False),
    ("sambungkan saya dengan petugas", "human", False),
    ("mau ngobrol sama admin manusia", "human", False),
    # licence checks
    ("PT Contoh Maju Bersama itu resmi?", "licence_check", False),
    ("cek izin KEP.123/MEN/IV/2019", "licence_check", False),
    # a question tag at the end makes a question about vacancies, not a pasted advert
    ("loker restoran di johor yg resmi ada gk sekarang", "faq", False),
    ("DIBUTUHKAN operator pabrik Malaysia gaji RM1800 hubungi 0812 3456 7890", "licence_check", False),
    # out of scope
    ("cara membuat kue bolu pandan", "out_of_scope", False),
    ("skor pertandingan bola tadi malam", "out_of_scope", False),
    ("", "out_of_scope", False),
    ("🙏🙏🙏", "out_of_scope", False),
])
def test_first_message_routing(ctx, text: str, intent: str, emergency: bool) -> None:
    route = classify(text, ctx)
    assert (route.intent, route.emergency) == (intent, emergency)


@pytest.mark.parametrize("text, topic", [
    ("syarat umur minimal jadi tkw berapa?", "syarat-pmi"),
    ("gmn alur daftar kerja ke luar negeri yg resmi", "alur-resmi"),
    ("apa saja ciri lowongan kerja palsu di facebook", "calo-penipuan"),
    ("apa beda visa kerja dengan visa turis", "visa-izin-kerja"),
    ("program bpjs ketenagakerjaan untuk pmi apa saja", "jaminan-sosial"),
])
def test_faq_questions_find_their_topic(ctx, text: str, topic: str) -> None:
    route = classify(text, ctx)
    assert route.intent == "faq"
    assert route.topic == topic
    assert 0 < route.confidence <= 1


def test_emergency_is_only_ever_a_report(ctx) -> None:
    for text in ["apa yang harus dilakukan kalau dikurung majikan?", "bagaimana jika pmi dipukul majikan?"]:
        route = classify(text, ctx)
        assert not route.emergency


@pytest.mark.parametrize("text", [
    "majikan mencekik saya semalam",
    "saya takut dibunuh majikan",
    "sy dipukulin trs tiap hr",
    "help me please I am locked in the house",
    "sudah 3 hari tidak makan, majikan tidak kasih makanan",
    "saya dipaksa kerja tanpa digaji dan tidak boleh pulang, paspor ditahan",
])
def test_danger_told_with_other_affixes_words_or_languages_is_an_emergency(ctx, text) -> None:
    route = classify(text, ctx)
    assert (route.intent, route.emergency) == ("report", True)


@pytest.mark.parametrize("text", [
    "saya kerja dari pukul 5 pagi sampai pukul 9 malam, apakah itu wajar?",
    "gaji saya telat dan lembur tidak dibayar",  # a report, but no danger now
])
def test_no_false_emergency(ctx, text) -> None:
    assert not classify(text, ctx).emergency
