"""Job offers as they circulate on Facebook and WhatsApp: fraudulent ones raise the right flags
quoting the exact phrase, legitimate ones raise none."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.agencies import AgencyIndex
from knowledge.job_offer import analyse_offer, looks_like_job_offer
from knowledge.registry_file import read_registry

TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def index() -> AgencyIndex:
    read = read_registry(Path(__file__).resolve().parents[2] / "knowledge" / "data" / "sample_registry.csv")
    assert read.errors == []
    return AgencyIndex(read.agencies)


FRAUD = [
    pytest.param(
        "🔥🔥 LOWONGAN KERJA MALAYSIA 🔥🔥\nDibutuhkan 20 org pekerja kilang (pabrik sarung tangan) di Johor.\n"
        "✅ Gaji RM 1.800 + lembur\n✅ Proses cepat 2 minggu langsung terbang\n✅ Biaya proses Rp 3.500.000 (bisa DP dulu)\n"
        "Berangkat pakai visa kunjungan dulu, permit diurus di sana.\nMinat hub 0812-7766-5544 (Pak Rudi)",
        {"no_training_contract": "Proses cepat 2 minggu", "upfront_fee": "Biaya proses Rp 3.500.000",
         "visit_visa": "visa kunjungan", "individual_recruiter": "0812-7766-5544"},
        id="malaysia-kilang",
    ),
    pytest.param(
        "Info loker Taiwan buat yg mau kerja cepet. Gaji 40jt/bln kerja di pabrik. Ga perlu BLK, ga perlu medical. "
        "Uang administrasi 2 jt transfer dulu ke rekening saya. WA saya aja ya",
        {"pay_too_high": "Gaji 40jt/bln", "no_training_contract": "Ga perlu BLK",
         "upfront_fee": "Uang administrasi 2 jt", "individual_recruiter": "WA saya"},
        id="taiwan-pabrik",
    ),
    pytest.param(
        "DICARI TKW KE HONGKONG!! Usia 17 tahun bisa, KTP nanti diurus. Potong gaji 7 bulan, tanpa biaya di depan. Japri ya sis",
        {"age_forgery": "Usia 17 tahun bisa", "upfront_fee": "Potong gaji", "individual_recruiter": "Japri"},
        id="hongkong-tkw",
    ),
    pytest.param(
        "Ada kerjaan di Kamboja jadi admin/CS online, gaji $1.500/bulan, tiket & hotel ditanggung. Berangkat pakai "
        "visa turis via Singapura - Bangkok. Kalau ditanya imigrasi bilang mau liburan aja. Info lanjut inbox.",
        {"pay_too_high": "gaji $1.500/bulan", "visit_visa": "visa turis",
         "lie_to_officials": "Kalau ditanya imigrasi bilang mau liburan", "individual_recruiter": "inbox"},
        id="kamboja-online-scam",
    ),
    pytest.param(
        "Kerja kebun sawit di Sabah, tanpa paspor kerja, nyebrang lewat jalur tikus dari Nunukan. Ongkos 4 juta sampai lokasi. Hub bos Acong",
        {"lie_to_officials": "jalur tikus", "upfront_fee": "Ongkos 4 juta", "individual_recruiter": "bos"},
        id="sabah-jalur-tikus",
    ),
    pytest.param(
        "Lowongan ART ke Arab Saudi, gaji 7 juta, berangkat pakai visa ziarah. Uang pendaftaran Rp 1.000.000, sisanya "
        "potong gaji. Syarat: wanita 20-40 th. Hubungi saya di 085211223344",
        {"visit_visa": "visa ziarah", "upfront_fee": "Uang pendaftaran Rp 1.000.000", "individual_recruiter": "Hubungi saya"},
        id="saudi-ziarah",
    ),
    pytest.param(
        "Yg mau kerja ke Jepang gaji 35 juta/bulan, tanpa pelatihan bahasa, 3 minggu berangkat. DP 5jt untuk booking seat. "
        "Hubungi sponsor Bu Yanti 0857-1234-5678",
        # 35 juta is a normal wage in Japan: not flagged as too high
        {"no_training_contract": "tanpa pelatihan", "upfront_fee": "DP 5jt", "individual_recruiter": "sponsor"},
        id="jepang-sponsor",
    ),
    pytest.param(
        "PELUANG KERJA DI DUBAI 🇦🇪 sebagai cleaning service. Gaji fantastis! Masuk sebagai turis, nanti visa diganti di "
        "sana. Biaya keberangkatan 10 juta. Kuota terbatas, chat saya sekarang!",
        {"pay_too_high": "Gaji fantastis", "visit_visa": "Masuk sebagai turis",
         "upfront_fee": "Biaya keberangkatan 10 juta", "individual_recruiter": "chat saya"},
        id="dubai-turis",
    ),
    pytest.param(
        "Dibutuhkan cepat operator pabrik di Korea, umur dituakan bisa, ijazah bisa dibuatkan. Biaya 45 jt all in, "
        "berangkat 1 bulan. Hub: 0813-9999-0000",
        {"age_forgery": "umur dituakan", "upfront_fee": "Biaya 45 jt", "individual_recruiter": "0813-9999-0000"},
        id="korea-umur",
    ),
    pytest.param(
        "Butuh pelayan restoran di Malaysia, kontrak di sana aja, gaji 6 juta. Berangkat dari Batam naik feri, bilang ke "
        "petugas pelabuhan mau jalan-jalan. Ongkos 2,5 juta. Minat WA 0821-4455-6677",
        {"no_training_contract": "kontrak di sana", "lie_to_officials": "bilang ke petugas pelabuhan mau jalan-jalan",
         "upfront_fee": "Ongkos 2,5 juta", "individual_recruiter": "0821-4455-6677"},
        id="batam-feri",
    ),
    pytest.param(
        "LOKER POLANDIA 🇵🇱 gaji 80 juta/bulan, kerja di gudang. Proses kilat 10 hari! Uang muka 15 juta, sisa bayar "
        "setelah visa keluar. Calo resmi berpengalaman, hubungi 0812-1212-3434",
        {"pay_too_high": "gaji 80 juta/bulan", "no_training_contract": "Proses kilat 10 hari",
         "upfront_fee": "Uang muka 15 juta", "individual_recruiter": "Calo"},
        id="polandia-kilat",
    ),
    pytest.param(
        "Dicari ABK kapal ikan Taiwan, tanpa sertifikat BST, langsung berangkat. Jaminan Rp 2 juta dikembalikan setelah "
        "kontrak selesai. Hub bos Herman",
        {"no_training_contract": "tanpa sertifikat", "upfront_fee": "Jaminan Rp 2 juta", "individual_recruiter": "bos"},
        id="abk-jaminan",
    ),
    pytest.param(
        "Buat adik2 yg mau kerja ke Brunei jadi ART, umur 16 juga bisa asal badan besar, nanti KTP dibuatin. Gratis "
        "tiket! Hubungi saya 0852-3030-4040",
        {"age_forgery": "umur 16 juga bisa", "individual_recruiter": "Hubungi saya"},
        id="brunei-anak",
    ),
    pytest.param(
        "LOWONGAN KE SINGAPURA, jaga lansia, gaji SGD 3.800. Tanpa kontrak, pakai paspor pelancong. Setor Rp 5.000.000 "
        "untuk pengurusan. Hub WA 0811-222-333",
        {"pay_too_high": "gaji SGD 3.800", "no_training_contract": "Tanpa kontrak", "visit_visa": "paspor pelancong",
         "upfront_fee": "Setor Rp 5.000.000", "individual_recruiter": "0811-222-333"},
        id="singapura-lansia",
    ),
    pytest.param(
        "Info kerja Malaysia via jalur belakang Tanjung Balai Karimun, aman ga ada razia. Gaji 9 juta. Ongkos 6 jt bayar "
        "di muka. WA 0819-8080-7070",
        {"lie_to_officials": "jalur belakang", "upfront_fee": "Ongkos 6 jt", "individual_recruiter": "0819-8080-7070"},
        id="karimun-jalur-belakang",
    ),
    pytest.param(
        "Peluang kerja Turki, pabrik tekstil, berangkat pakai visa umroh transit. Gaji 20 juta. Proses 1 minggu. "
        "PT Cahaya Sejati Makmur Global. Hub 0812-5555-6666",
        {"visit_visa": "visa umroh", "no_training_contract": "Proses 1 minggu"},
        id="turki-umroh",
    ),
    pytest.param(
        "Berangkat ke Malaysia lewat Batam. Jangan bilang mau kerja ke petugas, bilang aja mau jalan-jalan ke Johor. "
        "Gaji 7 juta, tanpa biaya di depan, potong gaji 3 bulan. Hub Kak Rina 0812-0000-1111",
        {"lie_to_officials": "Jangan bilang mau kerja", "upfront_fee": "potong gaji",
         "individual_recruiter": "0812-0000-1111"},
        id="jangan-bilang-kerja",
    ),
    pytest.param(
        "Lowongan pabrik di Malaysia minimal usia 16 thn, data bisa dipalsukan, gaji 800rb/hari. Proses 5 hari. "
        "WA Bang Jeki 0813-7070-8080",
        {"age_forgery": "minimal usia 16", "pay_too_high": "gaji 800rb/hari", "no_training_contract": "Proses 5 hari",
         "individual_recruiter": "0813-7070-8080"},
        id="usia-16-harian",
    ),
]


@pytest.mark.parametrize(("text", "expected"), FRAUD)
def test_fraudulent_offers_raise_the_expected_flags_with_the_exact_phrase(index: AgencyIndex, text: str, expected: dict[str, str]) -> None:
    analysis = analyse_offer(text, index, TODAY)
    assert {f.code: f.trigger for f in analysis.flags} == expected
    for flag in analysis.flags:
        assert flag.trigger in text  # quoted exactly as written, case included
        assert flag.label and flag.detail
    assert analysis.verdict == "berisiko_tinggi"
    assert looks_like_job_offer(text)


LEGIT = [
    pytest.param(
        "INFO LOWONGAN RESMI 📢 Taiwan - operator pabrik elektronik. PT Sinar Jaya Tenaga Mandiri, KEP.673/MEN/XI/2012. "
        "Gaji NT$ 27.470/bulan + lembur. Wajib ikut pelatihan di BLK-LN dan medical check-up. Waspada penipuan: jangan "
        "percaya sponsor/calo, jangan transfer uang ke rekening pribadi, dan jangan mau berangkat pakai visa turis. "
        "Daftar di Disnaker setempat. CP kantor: Ibu Sari 0812-3344-5566.",
        id="taiwan-operator",
    ),
    pytest.param(
        "PT Contoh Jaya Makmur Utama (P3MI berizin, SIP3MI KEP.511/MEN/IX/2014) membuka program Specified Skilled Worker "
        "(SSW) kaigo ke Jepang. Syarat: usia 19–30 tahun, lulus JFT-Basic/JLPT N4 dan tes keterampilan kaigo. Pelatihan "
        "bahasa 6 bulan di LPK mitra. Gaji ¥180.000/bulan (sesuai standar Jepang). Visa kerja SSW, kontrak kerja "
        "ditandatangani di Indonesia sebelum berangkat dan disahkan Disnaker. Pendaftaran di kantor kami atau lewat "
        "SISKOP2MI; tidak ada biaya pendaftaran.",
        id="jepang-ssw",
    ),
    pytest.param(
        "Penempatan resmi ke Malaysia sektor perkebunan sawit. P3MI: PT Contoh Karya Bakti Persada, izin "
        "4/3472/HK.04.01/II/2021. Gaji RM 1.700/bulan + lembur sesuai Akta Kerja Malaysia. Proses ±3 bulan: seleksi, "
        "pemeriksaan kesehatan, pelatihan di BLK, orientasi pra pemberangkatan, visa kerja (calling visa). Biaya "
        "penempatan ditanggung majikan. Info: Disnaker Kab. Lombok Timur atau LTSA P2MI Mataram.",
        id="malaysia-sawit",
    ),
    pytest.param(
        "Lowongan PRT ke Hong Kong melalui PT Contoh Sentosa Agung Makmur (KEP.224/MEN/VII/2017). Gaji HK$ 4.990/bulan "
        "sesuai Minimum Allowable Wage. Wajib pelatihan 600 jam di BLK-LN, uji kompetensi, cek kesehatan. Perjanjian "
        "kerja dan perjanjian penempatan ditandatangani sebelum berangkat. Tanpa potongan gaji! Hati-hati calo yang "
        "minta DP atau uang muka. Hubungi kantor cabang kami, telp (0778) 123456.",
        id="hongkong-prt",
    ),
    pytest.param(
        "Penempatan PMI ke Arab Saudi melalui Sistem Penempatan Satu Kanal (SPSK). P3MI resmi: PT Contoh Hikmah Amanah "
        "Barokah (4/1458/HK.04.01/V/2021). Posisi: penata laksana rumah tangga. Gaji SAR 1.500/bulan. Berangkat dengan "
        "visa kerja resmi, bukan visa umroh atau ziarah. Pelatihan dan sertifikasi kompetensi, medical check-up, dan "
        "perjanjian kerja sebelum berangkat. Pendaftaran melalui Disnaker dan SISKOP2MI.",
        id="saudi-spsk",
    ),
    pytest.param(
        "PT Contoh Anugerah Citra Mulia membuka lowongan welder ke Polandia. Syarat: pria 23–40 tahun, sertifikat las "
        "3G/4G, pengalaman 2 tahun. Gaji PLN 5.500/bulan (bruto). Kontrak kerja 2 tahun ditandatangani sebelum berangkat, "
        "visa kerja tipe D. Seleksi, tes praktik, dan pemeriksaan kesehatan di Jakarta. Biaya sesuai ketentuan KP2MI; "
        "kami tidak memungut uang pendaftaran.",
        id="polandia-welder",
    ),
    pytest.param(
        "Program G to G Korea Selatan (EPS) dibuka! Pendaftaran lewat BP2MI dan Disnaker, ujian bahasa Korea (EPS-TOPIK), "
        "gaji sekitar Rp 25 juta/bulan sesuai standar upah minimum Korea. Tidak dipungut biaya apapun, hati-hati "
        "penipuan. Info resmi: bp2mi.go.id",
        id="korea-g-to-g",
    ),
    pytest.param(
        "Dibutuhkan caregiver ke Taiwan melalui PT Sinar Jaya Tenaga Mandiri. Pelatihan 3 bulan di LPK resmi, medical "
        "check-up di sarana kesehatan yang ditunjuk, visa kerja, perjanjian kerja ditandatangani sebelum berangkat. Gaji "
        "NT$ 20.000/bulan. Tanpa biaya penempatan sesuai Perban BP2MI No. 9 Tahun 2020. Kami tidak pernah meminta uang "
        "muka atau transfer ke rekening pribadi. Jika ada yang meminta DP 2 juta atas nama kami, laporkan.",
        id="taiwan-caregiver-warning",
    ),
]


@pytest.mark.parametrize("text", LEGIT)
def test_legitimate_offers_raise_no_flag(index: AgencyIndex, text: str) -> None:
    analysis = analyse_offer(text, index, TODAY)
    assert analysis.flags == []
    assert analysis.verdict == "tidak_ada_tanda"
    assert looks_like_job_offer(text)


@pytest.mark.parametrize(
    "sentence",
    ["Tanpa biaya apa pun.", "Biaya penempatan Rp 0.", "Bukan visa turis, tetapi visa kerja.", "Hindari jalur tikus!",
     "Jangan mau disuruh bilang liburan ke petugas.", "Jika ada yang meminta uang muka, laporkan ke BP3MI.",
     "Gaji RM 1.800 per bulan.", "Uang saku 1 juta selama pelatihan.", "Jaminan sosial BPJS Ketenagakerjaan.",
     "Setelah pelatihan dan kontrak ditandatangani, berangkat sesuai jadwal.", "Usia minimal 18 tahun.",
     "Setelah lulus pelatihan di BLK peserta langsung berangkat.", "Proses cepat dan transparan.",
     "Perusahaan kami menyimpan jaminan Rp 1,5 miliar di bank pemerintah.",
     "LPK Contoh Nusantara membuka kursus bahasa Jepang, hubungi 0812-3333-4444."],
)
def test_negated_or_harmless_phrases_raise_nothing(sentence: str) -> None:
    assert analyse_offer(sentence, None, TODAY).flags == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [("Kerja pabrik di Malaysia gaji 25 juta/bulan", True), ("Kerja pabrik di Korea gaji 25 juta/bulan", False),
     ("Kerja pabrik di Malaysia gaji RM 1.800", False), ("Kerja kebun di Malaysia gaji 800rb/hari", True),
     ("Kerja di Taiwan gaji NT$ 27.000", False), ("Kerja di Hongkong gaji HK$ 15.000", True),
     ("Kerja di Malaysia gaji 8,5 juta", False), ("gaji besar, kerja ringan", True)],
)
def test_pay_is_only_flagged_when_far_above_the_destination_norm(text: str, flagged: bool) -> None:
    codes = {f.code for f in analyse_offer(text, None, TODAY).flags}
    assert ("pay_too_high" in codes) is flagged


def test_a_pay_flag_explains_the_amount_and_the_norm() -> None:
    (flag,) = analyse_offer("Loker Kamboja, admin online, gaji $1.500/bulan", None, TODAY).flags
    assert flag.code == "pay_too_high" and flag.trigger == "gaji $1.500/bulan"
    assert "24 juta" in flag.detail and "Kamboja" in flag.detail


def test_one_minor_sign_means_caution_not_high_risk(index: AgencyIndex) -> None:
    text = "Dibutuhkan operator pabrik ke Taiwan lewat PT Sinar Jaya Tenaga Mandiri, proses 2 minggu. Info di kantor PT."
    analysis = analyse_offer(text, index, TODAY)
    assert [f.code for f in analysis.flags] == ["no_training_contract"]
    assert analysis.verdict == "perlu_waspada"
    assert analysis.verdict_text.startswith("Perlu waspada")


def test_a_revoked_or_imitated_agency_makes_a_clean_offer_high_risk(index: AgencyIndex) -> None:
    revoked = analyse_offer("Lowongan ke Taiwan melalui PT Contoh Bahari Sejahtera, pelatihan di BLK.", index, TODAY)
    assert [r.verdict for r in revoked.agencies] == ["revoked"]
    assert revoked.flags == [] and revoked.verdict == "berisiko_tinggi"
    lookalike = analyse_offer("Lowongan ke Taiwan melalui PT Sinar Jaya Mandiri, pelatihan di BLK.", index, TODAY)
    assert lookalike.agencies[0].lookalike_of.agency.name == "PT Sinar Jaya Tenaga Mandiri"
    assert lookalike.verdict == "berisiko_tinggi"


def test_a_licence_number_borrowed_from_another_agency_is_high_risk(index: AgencyIndex) -> None:
    text = "Lowongan ke Taiwan, PT Sinar Jaya Tenaga Mandiri, izin KEP.511/MEN/IX/2014. Pelatihan di BLK."
    analysis = analyse_offer(text, index, TODAY)
    assert analysis.verdict == "berisiko_tinggi"
    assert any("PT Contoh Jaya Makmur Utama" in n for n in analysis.notes)


def test_an_unregistered_company_needs_caution(index: AgencyIndex) -> None:
    analysis = analyse_offer("Lowongan ke Brunei melalui PT Samudra Kencana Lestari. Pelatihan di BLK.", index, TODAY)
    assert analysis.agencies[0].verdict == "not_found"
    assert analysis.verdict == "perlu_waspada"


def test_destination_countries_are_named_in_indonesian_in_order_of_mention() -> None:
    text = "Lowongan ke Hongkong, Korsel, Dubai dan Kuala Lumpur, juga Singapore. Hongkong lagi."
    assert analyse_offer(text, None, TODAY).countries == ["Hong Kong", "Korea Selatan", "Uni Emirat Arab", "Malaysia", "Singapura"]


def test_a_country_on_the_route_is_not_a_destination() -> None:
    text = "Kerja di Kamboja, berangkat via Singapura - Bangkok, transit Malaysia."
    assert analyse_offer(text, None, TODAY).countries == ["Kamboja"]


@pytest.mark.parametrize(
    "text",
    ["gimana cara kerja ke malaysia yg resmi?", "apakah PT Sinar Jaya Tenaga Mandiri resmi?",
     "paspor saya ditahan majikan di malaysia, gaji belum dibayar 3 bulan",
     "anak saya kerja di taiwan sudah 2 bulan tidak ada kabar, tolong bantu",
     "berapa biaya resmi untuk kerja ke hongkong? katanya ada potongan gaji", "halo kak", "KEP.584/MEN/IV/2011",
     "Suami saya di Arab Saudi dipukul majikan, gaji tidak dibayar. Tolong hubungi saya di 081234567890",
     "syarat jadi PMI ke Korea apa saja? umur berapa? biaya berapa?", "",
     "Dicari dompet hilang warna coklat di sekitar pasar Jodoh", "saya berminat kerja ke Jepang, gimana caranya?",
     "min ada lowongan ke taiwan ga?", "apakah lowongan PT Sinar Jaya ke Malaysia itu resmi?",
     "Saya kerja di pabrik Malaysia, gaji RM 1.500 belum dibayar 3 bulan, visa habis. Tolong hubungi saya 0812-5555-1212"],
)
def test_questions_and_reports_are_not_job_offers(text: str) -> None:
    assert looks_like_job_offer(text) is False


def test_an_offer_forwarded_with_a_question_is_still_an_offer() -> None:
    text = "Ada yg nawarin gini: Lowongan ke Taiwan gaji 25 juta, DP 2 juta, hub 0812-4444-5555. Aman gak?"
    assert looks_like_job_offer(text)


def test_odd_input_never_raises(index: AgencyIndex) -> None:
    for text in ["", "🙂" * 10, "PT " * 5000, "gaji " * 10000 + "Rp 9.999.999.999.999", "\x00\n\t"]:
        analysis = analyse_offer(text, index, TODAY)
        assert analysis.verdict in {"berisiko_tinggi", "perlu_waspada", "tidak_ada_tanda"}
    assert analyse_offer("", None, TODAY).to_json()["flags"] == []


def test_trigger_maps_back_through_unicode_normalisation() -> None:
    # Fancy "bold" letters from social-media posts normalise to plain text; the trigger is the original.
    text = "𝐋𝐎𝐖𝐎𝐍𝐆𝐀𝐍 ke Malaysia, pakai 𝐕𝐢𝐬𝐚 𝐓𝐮𝐫𝐢𝐬, hub 0812-1111-2222"
    flags = {f.code: f.trigger for f in analyse_offer(text, None, TODAY).flags}
    assert flags["visit_visa"] == "𝐕𝐢𝐬𝐚 𝐓𝐮𝐫𝐢𝐬"
    assert looks_like_job_offer(text)
