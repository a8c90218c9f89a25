"""The agency lookup: a registered name written differently resolves, a name one word away
(a lookalike) never does, and nothing that is not a registered, active, in-date agency is
ever answered `licensed`."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from knowledge.agencies import Agency, AgencyIndex, normalise_licence, verdict_for
from knowledge.agency_words import COMPANY_WORDS
from knowledge.registry_file import read_registry

TODAY = date(2026, 11, 27)
FUTURE = date(2030, 5, 1)


def agency(name: str, licence: str, status: str = "aktif", until: date = FUTURE) -> Agency:
    return Agency(name=name, licence_no=licence, status=status, valid_until=until,
                  address="Jl. Contoh No. 1, Batam", province="Kepulauan Riau", countries=("Malaysia",))


REGISTRY = [
    agency("PT Sinar Jaya Tenaga Mandiri", "KEP.584/MEN/IV/2011"),
    agency("PT Cahaya Mega", "2/4992/HK.04.01/X/2023"),
    agency("PT Rezeki Cahaya Amanah", "KEP.281/MEN/III/2012"),
    agency("PT Tenaga Wijaya Karya", "KEP.391/MEN/XI/2012"),
    agency("PT Lestari Timur", "KEP.998/MEN/IX/2011"),
    agency("PT Berlian Wijaya", "KEP.81/MEN/XII/2010"),
    agency("PT Margatama Sentosa", "KEP.791/MEN/X/2013"),
    agency("PT Bangun Samudra", "KEP.422/MEN/V/2012"),
    agency("PT Mulia Samudra Harapan", "KEP.661/MEN/IV/2015", status="dicabut"),
    agency("PT Mandiri Arta", "6/8463/HK.04.01/V/2021", status="skorsing"),
    agency("PT Kharisma Andalan", "2/8846/HK.04.01/XII/2022", until=date(2024, 7, 4)),
    agency("PT Berkah Sentosa Abadi", "KEP.100/MEN/I/2015", status="dicabut"),
    agency("PT Berkah Sentosa Abadi", "3/1000/HK.04.01/I/2024"),
    agency("PT Gemilang Bintang", "4/2000/HK.04.01/II/2022"),
    agency("PT Gemilang Bintang Timur", "4/2001/HK.04.01/II/2022"),
    agency("PT Putra Kencana Abadi", "KEP.77/MEN/VII/2017"),
]


@pytest.fixture(scope="module")
def index() -> AgencyIndex:
    return AgencyIndex(REGISTRY)


def check(index: AgencyIndex, query: str, today: date = TODAY):
    return index.check(query, today)


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("written", ["KEP.584 / MEN / IV / 2011", "kep584meniv2011", "KEP 584-MEN-IV-2011", "(KEP.584/MEN/IV/2011)."])
def test_licence_numbers_compare_without_case_spaces_or_punctuation(written: str) -> None:
    assert normalise_licence(written) == "kep584meniv2011"


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("query", "verdict", "licence"),
    [
        ("PT Sinar Jaya Tenaga Mandiri", "licensed", "KEP.584/MEN/IV/2011"),
        ("PT Mandiri Arta", "suspended", "6/8463/HK.04.01/V/2021"),
        ("PT Mulia Samudra Harapan", "revoked", "KEP.661/MEN/IV/2015"),
        ("PT Kharisma Andalan", "expired", "2/8846/HK.04.01/XII/2022"),
    ],
)
def test_each_status_gives_its_verdict(index: AgencyIndex, query: str, verdict: str, licence: str) -> None:
    result = check(index, query)
    assert result.verdict == verdict
    assert [m.agency.licence_no for m in result.matches] == [licence]
    assert result.fuzzy is False and result.lookalike_of is None


def test_expiry_is_judged_against_the_given_day() -> None:
    until = date(2027, 3, 31)
    index = AgencyIndex([agency("PT Contoh Tepat Waktu", "KEP.1/MEN/I/2020", until=until)])
    assert check(index, "PT Contoh Tepat Waktu", today=until).verdict == "licensed"
    assert check(index, "PT Contoh Tepat Waktu", today=until + timedelta(days=1)).verdict == "expired"
    assert check(index, "KEP.1/MEN/I/2020", today=until + timedelta(days=1)).verdict == "expired"


def test_initials_match_with_or_without_dots() -> None:
    index = AgencyIndex([agency("PT. A.B.C. Karya", "KEP.9/MEN/I/2020")])
    for query in ("PT ABC Karya", "P.T. A.B.C. Karya", "abc karya"):
        assert index.check(query, TODAY).verdict == "licensed"
    assert index.check("PT AB Karya", TODAY).verdict == "not_found"


def test_an_unknown_status_is_refused_when_the_index_is_built() -> None:
    with pytest.raises(ValueError):
        AgencyIndex([agency("PT Contoh Aneh", "KEP.2/MEN/I/2020", status="dibekukan sebagian")])


# --------------------------------------------------------------------------- the same name, written differently


@pytest.mark.parametrize(
    "query",
    [
        "PT Sinar Jaya Tenaga Mandiri",
        "PT. Sinar Jaya Tenaga Mandiri",
        "PT.Sinar Jaya Tenaga Mandiri",
        "P.T. Sinar Jaya Tenaga Mandiri",
        "pt sinar jaya tenaga mandiri",
        "SINAR JAYA TENAGA MANDIRI",
        "Sinar Jaya Tenaga Mandiri, Tbk",
        "  PT   Sinar  Jaya\tTenaga Mandiri  ",
        "cek PT Sinar Jaya Tenaga Mandiri",
        "tolong cek izin Sinar Jaya Tenaga Mandiri",
        "apakah PT Sinar Jaya Tenaga Mandiri resmi?",
        "agen sy PT Sinar Jaya Tenaga Mandiri aman ga",
        "perusahaan Sinar Jaya Tenaga Mandiri legal?",
        "Sinar Jaya Tenaga Mandiri masih punya izin?",
        "Sinar Jaya Tenaga Mandiri terdaftar di BP2MI?",
        "PT Sinar Jaya Tenaga Mandiri di Batam",
        "PT Sinar Jaya Tenaga Mandiri Tanjung Pinang",
        "PT Sinar Jaya Tenaga Mandiri Jawa Timur",
        "kata tetangga PT Sinar Jaya Tenaga Mandiri, katanya resmi?",
        "min, PT Sinar Jaya Tenaga Mandiri kantornya di mana ya kak",
    ],
)
def test_registered_name_with_filler_case_punctuation_or_city_resolves_exactly(index: AgencyIndex, query: str) -> None:
    result = check(index, query)
    assert result.verdict == "licensed"
    assert result.matches[0].agency.licence_no == "KEP.584/MEN/IV/2011"
    assert result.fuzzy is False
    assert result.matches[0].score == 100.0


@pytest.mark.parametrize(
    ("query", "licence"),
    [
        ("PT Sinar Jaya Tenaga Mandri", "KEP.584/MEN/IV/2011"),  # a letter dropped
        ("PT Sinar Jaya Tenaga Mandirii", "KEP.584/MEN/IV/2011"),  # a letter doubled
        ("PT Sinra Jaya Tenaga Mandiri", "KEP.584/MEN/IV/2011"),  # two letters swapped
        ("PT Sinar Jaya Tenapa Mandiri", "KEP.584/MEN/IV/2011"),  # a letter replaced
        ("apakah PT Sinar Jaya Tenaga Mnadiri resmi?", "KEP.584/MEN/IV/2011"),
        ("berilan wijaya", "KEP.81/MEN/XII/2010"),
        ("margaaam sentosa", "KEP.791/MEN/X/2013"),  # two edits in one long word
        ("bangun samadra", "KEP.422/MEN/V/2012"),
        ("PT Sinar Jaya Tenaga Mandri di Batam", "KEP.584/MEN/IV/2011"),
    ],
)
def test_one_or_two_typos_still_find_the_agency_and_say_fuzzy(index: AgencyIndex, query: str, licence: str) -> None:
    result = check(index, query)
    assert result.verdict == "licensed"
    assert result.matches[0].agency.licence_no == licence
    assert result.fuzzy is True
    assert 0 < result.matches[0].score < 100


@pytest.mark.parametrize(
    "query",
    [
        "PT Sinxr Jaya Tenxga Mandxri",  # three edits in one name, each allowed on its own
        "PT Sxnxr Jaya Tenaga Mandiri",  # two edits in a five-letter word
        "PT Sinar Jayx Tenaga Mandiri",  # any edit in a four-letter word (Jaya/Raya/Kaya/Jaga)
        "PT SinarJaya Tenaga Mandiri",  # a different number of words
    ],
)
def test_typos_beyond_the_limits_are_not_reassured(index: AgencyIndex, query: str) -> None:
    result = check(index, query)
    assert result.verdict == "not_found"
    assert result.matches == []


# --------------------------------------------------------------------------- lookalikes


@pytest.mark.parametrize(
    ("query", "imitated"),
    [
        ("PT Sinar Jaya Tenaga Mandiri Abadi", "KEP.584/MEN/IV/2011"),  # a word added at the end
        ("PT Sinar Jaya Global Tenaga Mandiri", "KEP.584/MEN/IV/2011"),  # … in the middle
        ("PT Lestari Fajar Timur", "KEP.998/MEN/IX/2011"),  # "Timur" belongs to the name, not a place
        ("PT Cahaya Mega Sumber", "2/4992/HK.04.01/X/2023"),
        ("PT Sinar Jaya Mandiri", "KEP.584/MEN/IV/2011"),  # a word dropped
        ("PT Rezeki Amanah", "KEP.281/MEN/III/2012"),
        ("PT Sinar Jaya Tenaga Sejahtera", "KEP.584/MEN/IV/2011"),  # a word swapped
        ("PT Tenaga Wijaya Amanah", "KEP.391/MEN/XI/2012"),
        ("PT Sinar Raya Tenaga Mandiri", "KEP.584/MEN/IV/2011"),  # swapped for a real word one letter away
        ("PT Putri Kencana Abadi", "KEP.77/MEN/VII/2017"),  # … even in a long word, where a typo would pass
        ("PT Mandiri Tenaga Jaya Sinar", "KEP.584/MEN/IV/2011"),  # the same words reordered
        ("CV Sinar Jaya Tenaga Mandiri", "KEP.584/MEN/IV/2011"),  # another kind of organisation
        ("LPK Sinar Jaya Tenaga Mandiri", "KEP.584/MEN/IV/2011"),
        ("apakah PT Sinar Jaya Mandiri resmi?", "KEP.584/MEN/IV/2011"),
        ("PT Mas Sinar Jaya Tenaga Mandiri", "KEP.584/MEN/IV/2011"),  # after "PT" even a chat word is part of the name
    ],
)
def test_a_name_one_word_away_is_a_different_company(index: AgencyIndex, query: str, imitated: str) -> None:
    result = check(index, query)
    assert result.verdict == "not_found"
    assert result.matches == []
    assert result.lookalike_of is not None
    assert result.lookalike_of.agency.licence_no == imitated


def test_a_registered_shorter_name_inside_a_longer_one_is_still_exact(index: AgencyIndex) -> None:
    # "PT Gemilang Bintang Timur" is registered itself: it is not a lookalike of "PT Gemilang Bintang".
    assert check(index, "PT Gemilang Bintang Timur").matches[0].agency.licence_no == "4/2001/HK.04.01/II/2022"
    assert check(index, "PT Gemilang Bintang").matches[0].agency.licence_no == "4/2000/HK.04.01/II/2022"


def test_the_imitated_agency_is_the_closest_one_preferring_a_licensed_one() -> None:
    index = AgencyIndex([
        agency("PT Harapan Utama", "KEP.1/MEN/I/2020", status="dicabut"),
        agency("PT Harapan Jaya", "KEP.2/MEN/I/2020"),
        agency("PT Bintang Gemilang", "KEP.3/MEN/I/2020", status="dicabut"),
        agency("PT Gemilang Bintang Timur", "KEP.4/MEN/I/2020"),
    ])
    # one word swapped: both fit equally, so the licensed one (whose name is worth borrowing)
    assert index.check("PT Harapan Mulia", TODAY).lookalike_of.agency.licence_no == "KEP.2/MEN/I/2020"
    # reordered words (nothing added) is closer than a dropped word
    assert index.check("PT Gemilang Bintang", TODAY).lookalike_of.agency.licence_no == "KEP.3/MEN/I/2020"


@pytest.mark.parametrize("query", ["PT Zamrud Rezeki Pesona", "PT Barokah Duta", "Mulia"])
def test_an_unknown_name_is_not_found(index: AgencyIndex, query: str) -> None:
    result = check(index, query)
    assert result.verdict == "not_found"
    assert result.lookalike_of is None


# --------------------------------------------------------------------------- licence numbers


@pytest.mark.parametrize(
    "query",
    ["KEP.584/MEN/IV/2011", "kep.584/men/iv/2011", "KEP.584 / MEN / IV / 2011", "KEP 584 MEN IV 2011",
     "KEP.584 MEN IV 2011", "no izin KEP.584/MEN/IV/2011", "nomor izin: KEP.584/MEN/IV/2011", "SIP3MI KEP.584/MEN/IV/2011"],
)
def test_a_licence_number_matches_whatever_its_punctuation(index: AgencyIndex, query: str) -> None:
    result = check(index, query)
    assert result.verdict == "licensed"
    assert result.by_licence is True and result.fuzzy is False
    assert result.matches[0].agency.name == "PT Sinar Jaya Tenaga Mandiri"


@pytest.mark.parametrize(
    ("query", "verdict"),
    [("6 / 8463 / HK.04.01 / V / 2021", "suspended"), ("6-8463-HK.04.01-V-2021", "suspended"),
     ("6/8463/HK 04 01/V/2021", "suspended"), ("6 8463 HK 04 01 V 2021", "suspended")],
)
def test_the_newer_number_format_matches_too(index: AgencyIndex, query: str, verdict: str) -> None:
    result = check(index, query)
    assert result.verdict == verdict
    assert result.matches[0].agency.licence_no == "6/8463/HK.04.01/V/2021"


@pytest.mark.parametrize(
    "query",
    ["KEP.584/MEN/IV/2012", "KEP.585/MEN/IV/2011", "KEP.584/MEN/V/2011", "KEP.5841/MEN/IV/2011",
     "6/8463/HK.04.01/V/2022", "6/8462/HK.04.01/V/2021", "KEP.584/MEN/IV/201"],
)
def test_a_number_one_character_off_is_not_found(index: AgencyIndex, query: str) -> None:
    result = check(index, query)
    assert result.verdict == "not_found"
    assert result.matches == []
    assert result.by_licence is True


def test_a_real_number_under_another_name_is_not_reassured(index: AgencyIndex) -> None:
    # A fake agency quoting a licensed agency's number: the number is real, the name is not its holder.
    result = check(index, "PT Cahaya Abadi Sentosa KEP.584/MEN/IV/2011")
    assert result.verdict == "not_found"
    assert result.lookalike_of is not None and result.lookalike_of.agency.licence_no == "KEP.584/MEN/IV/2011"
    assert check(index, "PT Sinar Jaya Tenaga Mandiri KEP.584/MEN/IV/2011").verdict == "licensed"


# --------------------------------------------------------------------------- ambiguity and odd input


def test_several_agencies_fitting_equally_is_ambiguous_never_licensed(index: AgencyIndex) -> None:
    result = check(index, "PT Berkah Sentosa Abadi")
    assert result.verdict == "ambiguous"
    assert {m.agency.licence_no for m in result.matches} == {"KEP.100/MEN/I/2015", "3/1000/HK.04.01/I/2024"}


def test_ambiguous_lists_at_most_three() -> None:
    index = AgencyIndex([agency("PT Contoh Kembar", f"KEP.{i}/MEN/I/2020") for i in range(1, 6)])
    result = index.check("PT Contoh Kembar", TODAY)
    assert result.verdict == "ambiguous"
    assert len(result.matches) == 3


def test_a_typo_equally_close_to_two_registered_names_is_ambiguous() -> None:
    index = AgencyIndex([agency("PT Putra Sejahtera", "KEP.1/MEN/I/2020"), agency("PT Putri Sejahtera", "KEP.2/MEN/I/2020")])
    result = index.check("PT Putrx Sejahtera", TODAY)
    assert result.verdict == "ambiguous"
    assert len(result.matches) == 2


@pytest.mark.parametrize("query", ["", "   ", "???", "...///---", "🙂🙂", "PT", "pt.", "cek izin dong", "\x00\x01"])
def test_empty_or_punctuation_only_queries_are_not_found(index: AgencyIndex, query: str) -> None:
    result = check(index, query)
    assert result.verdict == "not_found"
    assert result.matches == [] and result.lookalike_of is None


def test_a_huge_query_is_cut_safely_and_quickly(index: AgencyIndex) -> None:
    t0 = time.perf_counter()
    results = [check(index, q) for q in ("PT Sinar Jaya Tenaga Mandiri " * 20_000, "apakah " * 50_000, "1/2/" * 50_000)]
    assert time.perf_counter() - t0 < 1.0
    assert all(r.verdict != "licensed" or r.matches[0].agency.name == "PT Sinar Jaya Tenaga Mandiri" for r in results)


def test_json_has_exactly_the_spec_fields(index: AgencyIndex) -> None:
    out = check(index, "PT Sinar Jaya Tenaga Mandri").to_json()
    assert set(out) == {"verdict", "fuzzy", "matches", "lookalike_of", "mentions"}
    assert [m["query"] for m in out["mentions"]] == ["Sinar Jaya Tenaga Mandri"]
    assert out["verdict"] == "licensed" and out["fuzzy"] is True and out["lookalike_of"] is None
    (m,) = out["matches"]
    assert set(m) == {"name", "licence_no", "status", "valid_until", "score", "address", "province", "countries"}
    assert m["valid_until"] == "2030-05-01" and m["countries"] == ["Malaysia"]
    assert isinstance(m["score"], float)
    look = check(index, "PT Sinar Jaya Mandiri").to_json()
    assert look["matches"] == []
    assert look["lookalike_of"] == {"name": "PT Sinar Jaya Tenaga Mandiri", "licence_no": "KEP.584/MEN/IV/2011"}


# --------------------------------------------------------------------------- mentions in a longer text


def test_find_in_text_checks_numbers_and_names_in_a_job_offer(index: AgencyIndex) -> None:
    text = ("LOWONGAN KE MALAYSIA!! PT. Sinar Jaya Tenaga Mandiri membuka lowongan, izin 6/8463/HK.04.01/V/2021. "
            "Bersama mitra kami PT Sinar Jaya Mandiri cabang Batam. Hub WA 0812 3456 7890")
    results = index.find_in_text(text, TODAY)
    by_query = {r.query: r for r in results}
    assert by_query["PT. Sinar Jaya Tenaga Mandiri"].verdict == "licensed"
    assert by_query["6/8463/HK.04.01/V/2021"].verdict == "suspended"
    assert by_query["6/8463/HK.04.01/V/2021"].by_licence
    lookalike = by_query["PT Sinar Jaya Mandiri"]
    assert lookalike.verdict == "not_found" and lookalike.lookalike_of.agency.licence_no == "KEP.584/MEN/IV/2011"
    assert len(results) == 3


def test_find_in_text_finds_a_capitalised_name_without_pt_and_ignores_plain_words(index: AgencyIndex) -> None:
    assert [r.query for r in index.find_in_text("Saya diajak Berlian Wijaya ke Taiwan", TODAY)] == ["Berlian Wijaya"]
    assert index.find_in_text("cincin berlian wijaya kusuma", TODAY) == []
    assert index.find_in_text("", TODAY) == []


# --------------------------------------------------------------------------- messages as people write them
# A registry file as staff import it (read with read_registry): other licence-number shapes,
# registered "twins" one word apart, a branch-named agency, names made of everyday words.

CHAT_REGISTRY = """nama,nomor_izin,status,berlaku_sampai,alamat,provinsi,negara_tujuan
PT Sinar Jaya Mandiri,KEP.123/MEN/2019,aktif,2030-05-01,"Jl. Contoh 1, Batam",Kepulauan Riau,Malaysia
PT Putra Harapan Abadi,B.456/PPTKIS/VI/2021,dicabut,2030-05-01,"Jl. Contoh 2, Medan",Sumatera Utara,Taiwan
PT Bintang Timur,2/1234/HK.04.01/V/2022,aktif,2030-05-01,"Jl. Contoh 3, Bekasi",Jawa Barat,Hong Kong
PT Bintang Timur Abadi,3/1235/HK.04.01/V/2022,dicabut,2030-05-01,"Jl. Contoh 4, Bekasi",Jawa Barat,Hong Kong
PT Cahaya Mega,No. 1234 Tahun 2020,skorsing,2030-05-01,"Jl. Contoh 5, Malang",Jawa Timur,Singapura
PT Mulia Abadi,7/889/HK.04.01/IV/2023,aktif,2024-01-31,"Jl. Contoh 6, Kupang",Nusa Tenggara Timur,Brunei
PT Karya Baru Sejahtera,KEP.12A/MEN/IX/2019,aktif,2030-05-01,"Jl. Contoh 7, Batam",Kepulauan Riau,Malaysia
PT Sukses Bersama,KEP.77/MEN/VII/2017,aktif,2030-05-01,"Jl. Contoh 8, Batam",Kepulauan Riau,Malaysia
PT Amanah Insan Mandiri,5/6479/HK.04.01/VIII/2021,aktif,2030-05-01,"Jl. Contoh 9, Medan",Sumatera Utara,Malaysia
PT Amanah Insan Mandiri Batam,5/6480/HK.04.01/VIII/2021,skorsing,2030-05-01,"Jl. Contoh 10, Batam",Kepulauan Riau,Malaysia
PT Rahmat Sentosa Abadi,KEP.90/MEN/I/2020,aktif,2030-05-01,"Jl. Contoh 11, Semarang",Jawa Tengah,Jepang
PT Rahmat Sentosa Utama,KEP.91/MEN/I/2020,dicabut,2030-05-01,"Jl. Contoh 12, Semarang",Jawa Tengah,Jepang
"""
SJM, PHA, BT, BTA, CM, MA, KBS = ("KEP.123/MEN/2019", "B.456/PPTKIS/VI/2021", "2/1234/HK.04.01/V/2022",
                                  "3/1235/HK.04.01/V/2022", "No. 1234 Tahun 2020", "7/889/HK.04.01/IV/2023",
                                  "KEP.12A/MEN/IX/2019")


@pytest.fixture(scope="module")
def chat_index(tmp_path_factory: pytest.TempPathFactory) -> AgencyIndex:
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    path.write_text(CHAT_REGISTRY, encoding="utf-8")
    read = read_registry(path)
    assert read.errors == []
    return AgencyIndex(read.agencies)


def licence_of(result) -> str | None:  # type: ignore[no-untyped-def]
    return result.matches[0].agency.licence_no if result.matches else None


@pytest.mark.parametrize(
    ("query", "verdict", "licence"),
    [
        ("kak izin PT Sinar Jaya Mandiri udah dicabut blm?", "licensed", SJM),
        ("biaya daftar di Putra Harapan Abadi brp ya, resmi kan?", "revoked", PHA),
        ("status agensi Bintang Timur gimana", "licensed", BT),
        ("sodara sy berangkat lewat pt cahaya mega, aman kan kak?", "suspended", CM),
        ("barusan ditawarin kerja sama Mulia Abadi, ada yg tau legal gak", "expired", MA),
        ("min mau nanya, karya baru sejahtera itu masih boleh rekrut gak ya?", "licensed", KBS),
        ("adakah syarikat Putra Harapan Abadi ni berdaftar?", "revoked", PHA),
        ("ejen sinar jaya mandiri tu sah ke tak?", "licensed", SJM),
        ("my sister paid a fee to Putra Harapan Abadi, are they legit?", "revoked", PHA),
        ("what is the status of cahaya mega?", "suspended", CM),
    ],
)
def test_a_name_inside_an_everyday_question_is_found(chat_index: AgencyIndex, query: str, verdict: str,
                                                      licence: str) -> None:
    result = chat_index.check(query, TODAY)
    assert (result.verdict, licence_of(result)) == (verdict, licence)


@pytest.mark.parametrize("form", ["pe te {}", "p.t {}", "P T {}", "pt.{}", "P.T {}", "Pe.Te {}", "p t {}"])
@pytest.mark.parametrize(
    ("name", "verdict", "licence", "imitated"),
    [
        ("Sinar Jaya Mandiri", "licensed", SJM, None),
        ("putra harapan abadi", "revoked", PHA, None),
        ("Sinar Jaya Mandiri Abadi", "not_found", None, SJM),  # a word added: a lookalike stays one
        ("putra harapan jaya", "not_found", None, PHA),  # a word swapped
    ],
)
def test_pt_spelled_pe_te_or_with_dots_and_spaces_is_still_pt(chat_index: AgencyIndex, form: str, name: str,
                                                              verdict: str, licence: str | None,
                                                              imitated: str | None) -> None:
    result = chat_index.check(form.format(name) + " resmi gk?", TODAY)
    assert (result.verdict, licence_of(result)) == (verdict, licence)
    assert (result.lookalike_of.agency.licence_no if result.lookalike_of else None) == imitated


@pytest.mark.parametrize(
    ("query", "verdict", "in_message_order"),
    [
        ("PT Sinar Jaya Mandiri sama PT Putra Harapan Abadi mana yg resmi?", "revoked", ["licensed", "revoked"]),
        ("is Bintang Timur or Cahaya Mega licensed?", "suspended", ["licensed", "suspended"]),
        ("mending Mulia Abadi atau Sinar Jaya Mandiri ya?", "expired", ["expired", "licensed"]),
        ("ejen sinar jaya mandiri dengan putra harapan abadi, yg mana berdaftar?", "revoked", ["licensed", "revoked"]),
        ("PT Sinar Jaya Mandiri & PT Zamrud Pesona Rezeki resmi?", "not_found", ["licensed", "not_found"]),
        ("cek PT Bintang Timur dan PT Sinar Jaya Abadi", "not_found", ["licensed", "not_found"]),
        ("PT Sinar Jaya Mandiri, PT Bintang Timur, PT Cahaya Mega", "suspended", ["licensed", "licensed", "suspended"]),
        ("PT Sinar Jaya Mandiri dan PT Bintang Timur dua2nya resmi?", "licensed", ["licensed", "licensed"]),
    ],
)
def test_every_agency_in_a_message_gets_its_own_status_and_the_worst_one_leads(
    chat_index: AgencyIndex, query: str, verdict: str, in_message_order: list[str]
) -> None:
    result = chat_index.check(query, TODAY)
    assert [m.verdict for m in result.mentions] == in_message_order
    assert result.verdict == verdict
    worst = next(m for m in result.mentions if m.verdict == verdict)
    if worst.matches:
        assert licence_of(result) == licence_of(worst)  # matches[0] is the agency behind the verdict
    named = [m.matches[0].agency.licence_no for m in result.mentions if m.matches]
    assert sorted(x.agency.licence_no for x in result.matches) == sorted(named)
    assert [set(m) for m in result.to_json()["mentions"]] == [
        {"query", "verdict", "fuzzy", "by_licence", "matches", "lookalike_of"}
    ] * len(in_message_order)


def test_a_lookalike_next_to_a_licensed_agency_keeps_its_warning(chat_index: AgencyIndex) -> None:
    result = chat_index.check("mending pe te Sinar Jaya Mandiri atau pe te Bintang Timur Jaya?", TODAY)
    assert result.verdict == "not_found"
    assert result.lookalike_of is not None and result.lookalike_of.agency.licence_no == BT
    assert [m.verdict for m in result.mentions] == ["licensed", "not_found"]


@pytest.mark.parametrize(
    ("query", "licence"),
    [
        ("KEP.123/MEN/2019", SJM), ("kep 123 men 2019", SJM), ("Kep-123/Men/2019 masih aktif?", SJM),
        ("B.456/PPTKIS/VI/2021", PHA), ("b 456 pptkis vi 2021", PHA), ("B-456-PPTKIS-VI-2021", PHA),
        ("no. 1234 thn 2020", CM), ("nomor izin 1234 tahun 2020 msh aktif?", CM), ("No 1234 Th 2020", CM),
        ("SIP3MI 2/1234/HK.04.01/V/2022", BT), ("sip3mi: 2 1234 hk 04 01 v 2022", BT),
        ("KEP.12A/MEN/IX/2019", KBS), ("kep 12a men ix 2019", KBS),
    ],
)
def test_licence_numbers_in_other_shapes_match_exactly(chat_index: AgencyIndex, query: str, licence: str) -> None:
    result = chat_index.check(query, TODAY)
    assert licence_of(result) == licence
    assert result.by_licence is True and result.fuzzy is False


@pytest.mark.parametrize(
    "query",
    ["KEP.123/MEN/2018", "KEP.132/MEN/2019", "B.456/PPTKIS/VII/2021", "no. 1234 thn 2021", "no. 1243 thn 2020",
     "KEP.12B/MEN/IX/2019", "KEP.12A/MEN/X/2019", "SIP3MI 2/1234/HK.04.01/VI/2022"],
)
def test_a_number_in_another_shape_one_character_off_is_not_found(chat_index: AgencyIndex, query: str) -> None:
    result = chat_index.check(query, TODAY)
    assert result.verdict == "not_found" and result.matches == [] and result.by_licence is True


@pytest.mark.parametrize(
    "query",
    ["PT Sinar Jaya Mandiri hub 0812-3456-7890 resmi?", "biaya Rp 15.000.000 di PT Sinar Jaya Mandiri wajar?",
     "PT Sinar Jaya Mandiri berangkat tgl 12/05/2025 resmi?", "umur 25 thn bisa daftar PT Sinar Jaya Mandiri?"],
)
def test_phone_numbers_money_and_dates_are_not_licence_numbers(chat_index: AgencyIndex, query: str) -> None:
    result = chat_index.check(query, TODAY)
    assert (result.verdict, licence_of(result)) == ("licensed", SJM)


@pytest.mark.parametrize(
    ("query", "holder"),
    [
        ("PT Mulia Abadi no izin KEP.123/MEN/2019", SJM),
        ("Putra Harapan Abadi pakai izin KEP.12A/MEN/IX/2019 resmi?", KBS),
        ("PT Zamrud Pesona Rezeki izin SIP3MI 2/1234/HK.04.01/V/2022", BT),
        ("agency Bintang Timur licence number B.456/PPTKIS/VI/2021 legit?", PHA),
    ],
)
def test_a_name_with_another_agencys_number_confirms_neither(chat_index: AgencyIndex, query: str, holder: str) -> None:
    result = chat_index.check(query, TODAY)
    assert result.verdict == "not_found"
    assert result.lookalike_of is not None and result.lookalike_of.agency.licence_no == holder


def test_a_name_with_its_own_number_is_confirmed(chat_index: AgencyIndex) -> None:
    result = chat_index.check("PT Karya Baru Sejahtera izin kep 12a men ix 2019 resmi?", TODAY)
    assert (result.verdict, licence_of(result), len(result.mentions)) == ("licensed", KBS, 1)


@pytest.mark.parametrize(
    ("query", "verdict", "licence", "fuzzy"),
    [
        ("SINAR JAYA MANDIRI CABANG BATAM", "licensed", SJM, False),
        ("sinar jaya mandiri cabang tanjung pinang resmi ga", "licensed", SJM, False),
        ("Amanah Insan Mandiri kantor cabang Medan terdaftar?", "licensed", "5/6479/HK.04.01/VIII/2021", False),
        ("Amanah Insan Mandiri Batam resmi?", "suspended", "5/6480/HK.04.01/VIII/2021", False),  # registered so
        ("PUTRA HARAPAN ABADI RESMI GA MIN??", "revoked", PHA, False),
        ("cek izin putra harapn abadi", "revoked", PHA, True),
        ("Is Sinar Jaya Mandri legit", "licensed", SJM, True),
    ],
)
def test_names_without_pt_in_capitals_with_a_branch_or_typos_are_found(
    chat_index: AgencyIndex, query: str, verdict: str, licence: str, fuzzy: bool
) -> None:
    result = chat_index.check(query, TODAY)
    assert (result.verdict, licence_of(result), result.fuzzy) == (verdict, licence, fuzzy)


@pytest.mark.parametrize(
    "query",
    ["semoga sukses bersama keluarga ya min", "sukses bersama resmi ga?", "cahaya mega di langit sore",
     "harapan kita semua bisa kerja ke luar negeri", "bintang timur terang sekali malam ini",
     "mau kerja di malaysia yg resmi gimana caranya", "mulia abadi selamanya"],
)
def test_an_everyday_sentence_matches_no_agency_by_chance(chat_index: AgencyIndex, query: str) -> None:
    result = chat_index.check(query, TODAY)
    assert result.verdict == "not_found" and result.matches == []


@pytest.mark.parametrize(
    ("query", "verdict", "licence"),
    [
        ("PT Bintang Timur resmi gak?", "licensed", BT),
        ("PT Bintang Timur Abadi resmi gak?", "revoked", BTA),
        ("is bintang timur abadi licensed?", "revoked", BTA),
        ("status bintang timur cabang batam", "licensed", BT),
        ("cek PT Rahmat Sentosa Utama", "revoked", "KEP.91/MEN/I/2020"),
        ("Rahmat Sentosa Abadi ni berdaftar ke?", "licensed", "KEP.90/MEN/I/2020"),
    ],
)
def test_a_message_naming_one_of_two_registered_twins_gets_that_one(chat_index: AgencyIndex, query: str,
                                                                     verdict: str, licence: str) -> None:
    result = chat_index.check(query, TODAY)
    assert (result.verdict, licence_of(result)) == (verdict, licence)


@pytest.mark.parametrize(
    ("query", "imitated"),
    [
        ("PT Bintang Timur Abadi Jaya resmi?", {BTA}),
        ("pe te Rahmat Sentosa Jaya", {"KEP.90/MEN/I/2020", "KEP.91/MEN/I/2020"}),  # as close to both twins
        ("kak Bintang Jaya Timur itu legal gak", {BT}),
    ],
)
def test_a_lookalike_of_a_twin_stays_a_lookalike(chat_index: AgencyIndex, query: str, imitated: set[str]) -> None:
    result = chat_index.check(query, TODAY)
    assert result.verdict == "not_found" and result.matches == []
    assert result.lookalike_of is not None and result.lookalike_of.agency.licence_no in imitated


TEMPLATES = ["{a} sama {b} mana yg resmi?", "is {a} or {b} licensed?", "cek {a}, {b} dong", "{a} / {b} ?",
             "ejen {a} dengan {b}, yang mana sah?", "mending {a} atau {b}"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_a_message_naming_an_agency_that_is_not_licensed_is_never_licensed(
    chat_index: AgencyIndex, data: st.DataObject
) -> None:
    agencies = list(chat_index.agencies)
    unregistered = ["PT Zamrud Pesona Rezeki", "PT Sinar Jaya Abadi", "PT Bintang Timur Raya Abadi"]
    names = [a.name for a in agencies] + unregistered
    a, b = data.draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
    spell = data.draw(st.sampled_from([str, str.lower, str.upper, lambda n: n.replace("PT ", "pe te ")]))
    query = data.draw(st.sampled_from(TEMPLATES)).format(a=spell(a), b=spell(b))
    result = chat_index.check(query, TODAY)
    bad = [n for n in (a, b) if n in unregistered or verdict_for(next(x for x in agencies if x.name == n), TODAY)
           != "licensed"]
    if bad:
        assert result.verdict != "licensed", query


# --------------------------------------------------------------------------- properties

# Words at least three edits apart, so a one-letter typo has exactly one nearest word.
WORDS = ["sinar", "mandiri", "samudra", "kencana", "buana", "harapan", "gemilang", "persada", "nirwana",
         "wijaya", "lestari", "pratama", "sejahtera", "bintang", "cahaya", "andalan", "mutiara", "barokah",
         "kharisma", "dinamika", "sentosa", "nusantara"]
names_st = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True).map(tuple),
    min_size=1, max_size=25, unique=True,
)


def test_property_vocabulary_is_well_separated() -> None:
    assert min(OSA.distance(a, b) for a in WORDS for b in WORDS if a < b) >= 3


def build(names: list[tuple[str, ...]]) -> AgencyIndex:
    # Every agency active and in date: the worst case for false reassurance.
    return AgencyIndex([agency("PT " + " ".join(w.title() for w in n), f"KEP.{i}/MEN/I/2020") for i, n in enumerate(names)])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=names_st, data=st.data())
def test_property_adding_or_dropping_a_word_never_reassures(names: list[tuple[str, ...]], data: st.DataObject) -> None:
    index = build(names)
    original = list(data.draw(st.sampled_from(names)))
    mutated = list(original)
    if len(mutated) > 2 and data.draw(st.booleans()):
        del mutated[data.draw(st.integers(0, len(mutated) - 1))]
    else:
        extra = data.draw(st.sampled_from([w for w in WORDS + ["global", "indonesia", "prima"] if w not in mutated]))
        mutated.insert(data.draw(st.integers(0, len(mutated))), extra)
    result = index.check("PT " + " ".join(mutated), TODAY)
    if tuple(mutated) in set(names):
        # the mutation happens to be another registered name: then it must be exactly that one
        assert result.matches[0].agency.name.lower() == "pt " + " ".join(mutated)
    else:
        assert result.verdict == "not_found"
        assert result.lookalike_of is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=names_st, data=st.data())
def test_property_a_one_letter_typo_in_a_long_word_still_finds_the_agency(names: list[tuple[str, ...]], data: st.DataObject) -> None:
    index = build(names)
    target = data.draw(st.sampled_from(names))
    i = data.draw(st.integers(0, len(target) - 1))
    word = target[i]
    assert len(word) >= 5
    pos = data.draw(st.integers(1, len(word) - 2))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    op = data.draw(st.sampled_from(["sub", "del", "ins", "swap"]))
    typo = {
        "sub": word[:pos] + letter + word[pos + 1:],
        "del": word[:pos] + word[pos + 1:],
        "ins": word[:pos] + letter + word[pos:],
        "swap": word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:],
    }[op]
    assume(typo != word and typo not in COMPANY_WORDS and typo not in WORDS)
    query = " ".join(target[:i] + (typo,) + target[i + 1:])
    result = index.check(query, TODAY)
    assert result.verdict == "licensed"
    assert result.matches[0].agency.name.lower() == "pt " + " ".join(target)
    assert result.fuzzy is True


# --------------------------------------------------------------------------- the shipped sample


def test_sample_registry_resolves_the_example_agency() -> None:
    path = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "sample_registry.csv"
    read = read_registry(path)
    assert read.errors == []
    index = AgencyIndex(read.agencies)
    assert index.check("apakah PT Sinar Jaya Tenaga Mandiri resmi?", TODAY).verdict == "licensed"
    verdicts = {index.check(a.licence_no, TODAY).verdict for a in read.agencies}
    assert verdicts == {"licensed", "expired", "suspended", "revoked"}
