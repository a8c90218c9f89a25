import pytest

from knowledge.normalise import normalise, stems


@pytest.mark.parametrize("raw, expected", [
    ("GMN cara daftar??", "bagaimana cara daftar"),
    ("tolonggg sy", "tolong saya"),
    ("brp biayanya yg resmi", "berapa biayanya yang resmi"),
    ("gk bisa, udh blm?", "tidak bisa sudah belum"),
    ("tdk dibayar", "tidak dibayar"),
    ("mau jd TKW", "mau jadi pmi"),
    ("lewat PJTKI apa sponsor", "lewat p3mi apa calo"),
    ("anak-anak", "anak"),
    ("Tenaga Kerja Indonesia", "pmi"),
    ("visa turis", "visa kunjungan"),
])
def test_chat_words_become_standard_indonesian(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_control_characters_and_accents_are_dropped() -> None:
    assert normalise("halo\x00\x07 t\u00e9st\u200b") == "halo test"


def test_licence_numbers_survive_as_one_token() -> None:
    assert "kep.584/men/iv/2011" in normalise("izin KEP.584/MEN/IV/2011 ini")


def test_stems_drop_function_words_and_reduce_affixes() -> None:
    assert stems("pembayaran gaji yang terlambat") == ["bayar", "gaji", "lambat"]


def test_very_long_text_is_bounded() -> None:
    assert len(normalise("a " * 50_000)) <= 2000
