"""Reading a registry file: every problem becomes an error on the right line, never an exception."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.registry_file import read_registry

HEADER = "nama,nomor_izin,status,berlaku_sampai,alamat,provinsi,negara_tujuan"
ROW_A = 'PT Contoh Satu,KEP.1/MEN/I/2020,aktif,2030-01-31,"Jl. Contoh No. 1, Batam",Kepulauan Riau,Malaysia;Singapura'
ROW_B = "PT Contoh Dua,2/1234/HK.04.01/II/2021,skorsing,2029-12-01,Jl. Dua,Jawa Barat,"


def write(tmp_path: Path, text: str, name: str = "registry.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def lines_of(read) -> list[int]:
    return [e.line for e in read.errors]


# --------------------------------------------------------------------------- CSV


def test_a_good_csv_gives_agencies_with_all_fields(tmp_path: Path) -> None:
    read = read_registry(write(tmp_path, "\n".join([HEADER, ROW_A, ROW_B]) + "\n"))
    assert read.errors == []
    assert read.columns == HEADER.split(",")
    a, b = read.agencies
    assert a.name == "PT Contoh Satu" and a.licence_no == "KEP.1/MEN/I/2020"
    assert a.status == "aktif" and a.valid_until == date(2030, 1, 31)
    assert a.address == "Jl. Contoh No. 1, Batam" and a.province == "Kepulauan Riau"
    assert a.countries == ("Malaysia", "Singapura")
    assert b.status == "skorsing" and b.countries == ()


def test_columns_in_any_order_and_extra_columns_are_kept(tmp_path: Path) -> None:
    text = "Status,Catatan,Nama,Berlaku Sampai,Nomor_Izin\naktif,cabang Batam,PT Contoh Tiga,2031-02-28,KEP.3/MEN/III/2019\n"
    read = read_registry(write(tmp_path, text))
    assert read.errors == []
    (a,) = read.agencies
    assert (a.name, a.licence_no, a.valid_until) == ("PT Contoh Tiga", "KEP.3/MEN/III/2019", date(2031, 2, 28))
    assert a.extra == {"Catatan": "cabang Batam"}
    assert a.address == "" and a.countries == ()


def test_a_utf8_bom_is_ignored(tmp_path: Path) -> None:
    read = read_registry(write(tmp_path, "\ufeff" + "\n".join([HEADER, ROW_A])))
    assert read.errors == []
    assert read.columns[0] == "nama"
    assert read.agencies[0].name == "PT Contoh Satu"


def test_a_semicolon_separated_csv_from_excel_is_read(tmp_path: Path) -> None:
    text = "nama;nomor_izin;status;berlaku_sampai;negara_tujuan\nPT Contoh Empat;KEP.4/MEN/IV/2018;dicabut;2030-04-30;\"Taiwan;Jepang\"\n"
    read = read_registry(write(tmp_path, text))
    assert read.errors == []
    assert read.agencies[0].status == "dicabut"
    assert read.agencies[0].countries == ("Taiwan", "Jepang")


@pytest.mark.parametrize("missing", ["nama", "nomor_izin", "status", "berlaku_sampai"])
def test_a_missing_required_column_is_named(tmp_path: Path, missing: str) -> None:
    columns = [c for c in HEADER.split(",") if c != missing]
    read = read_registry(write(tmp_path, ",".join(columns) + "\n" + ",".join("x" * len(columns)) + "\n"))
    assert read.agencies == []
    assert lines_of(read) == [1]
    assert f"'{missing}'" in read.errors[0].message


def test_a_wrong_header_names_every_missing_column(tmp_path: Path) -> None:
    read = read_registry(write(tmp_path, "company,licence,state,valid\nPT X,1,aktif,2030-01-01\n"))
    assert read.agencies == []
    messages = " ".join(e.message for e in read.errors)
    for col in ("nama", "nomor_izin", "status", "berlaku_sampai"):
        assert f"'{col}'" in messages
    assert set(lines_of(read)) == {1}


def test_duplicate_licence_numbers_after_normalisation_are_rejected_on_the_later_line(tmp_path: Path) -> None:
    text = "\n".join([HEADER, ROW_A, ROW_B, "PT Contoh Tiruan,kep 1 / men / i / 2020,aktif,2030-01-01,,,"])
    read = read_registry(write(tmp_path, text))
    assert lines_of(read) == [4]
    assert "baris 2" in read.errors[0].message


@pytest.mark.parametrize("bad", ["31-01-2030", "2030/01/31", "2030-02-30", "2030-1-5", "20300131", "2030-W05-1", "besok", ""])
def test_a_date_that_is_not_yyyy_mm_dd_is_rejected(tmp_path: Path, bad: str) -> None:
    text = "\n".join([HEADER, ROW_A, f"PT Contoh Lima,KEP.5/MEN/V/2015,aktif,{bad},,,"])
    read = read_registry(write(tmp_path, text))
    assert lines_of(read) == [3]
    assert "berlaku_sampai" in read.errors[0].message


@pytest.mark.parametrize(("written", "stored"), [("Aktif", "aktif"), (" SKORSING ", "skorsing"), ("dibekukan", "skorsing"), ("Dicabut", "dicabut")])
def test_status_spellings_officers_use_are_accepted(tmp_path: Path, written: str, stored: str) -> None:
    read = read_registry(write(tmp_path, f"{HEADER}\nPT Contoh Enam,KEP.6/MEN/VI/2016,{written},2030-06-30,,,\n"))
    assert read.errors == []
    assert read.agencies[0].status == stored


@pytest.mark.parametrize("bad", ["hidup", "nonaktif", "", "aktif?"])
def test_an_unknown_status_is_rejected(tmp_path: Path, bad: str) -> None:
    read = read_registry(write(tmp_path, f"{HEADER}\n{ROW_A}\nPT Contoh Tujuh,KEP.7/MEN/VII/2017,{bad},2030-07-31,,,\n"))
    assert lines_of(read) == [3]
    assert "status" in read.errors[0].message


def test_empty_name_or_number_is_rejected(tmp_path: Path) -> None:
    text = "\n".join([HEADER, ",KEP.8/MEN/I/2020,aktif,2030-01-01,,,", "PT Contoh Sembilan,,aktif,2030-01-01,,,", "PT Contoh Sepuluh,//--,aktif,2030-01-01,,,"])
    read = read_registry(write(tmp_path, text))
    assert lines_of(read) == [2, 3, 4]
    assert "nama" in read.errors[0].message and "nomor_izin" in read.errors[1].message


def test_line_numbers_count_blank_lines_and_quoted_multiline_fields(tmp_path: Path) -> None:
    text = "\n".join([HEADER, 'PT Contoh Satu,KEP.1/MEN/I/2020,aktif,2030-01-31,"Jl. Contoh\nBatam",Kepri,', "",
                      "PT Contoh Rusak,KEP.2/MEN/I/2020,aktif,kemarin,,,"])
    read = read_registry(write(tmp_path, text))
    assert lines_of(read) == [5]
    assert read.agencies[0].address == "Jl. Contoh Batam"


def test_every_bad_row_is_reported_so_the_caller_can_reject_the_import(tmp_path: Path) -> None:
    text = "\n".join([HEADER, ROW_A, "PT X,KEP.9/MEN/I/2020,aktif,2030-13-01,,,", ROW_B, "PT Y,KEP.10/MEN/I/2020,hidup,2030-01-01,,,"])
    read = read_registry(write(tmp_path, text))
    assert lines_of(read) == [3, 5]
    assert len(read.agencies) == 2  # the good rows are parsed; atomicity is the caller's decision


def test_non_utf8_bytes_give_one_clear_error(tmp_path: Path) -> None:
    text = "\n".join([HEADER, ROW_A, "PT Contoh Café,KEP.11/MEN/I/2020,aktif,2030-01-01,,,"])
    read = read_registry(write(tmp_path, text, encoding="latin-1"))
    assert read.agencies == []
    assert len(read.errors) == 1
    assert read.errors[0].line == 3
    assert "UTF-8" in read.errors[0].message


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_an_empty_file_is_an_error(tmp_path: Path, content: str) -> None:
    read = read_registry(write(tmp_path, content))
    assert read.agencies == [] and len(read.errors) == 1


def test_a_missing_file_or_unknown_format_is_an_error_not_an_exception(tmp_path: Path) -> None:
    assert read_registry(tmp_path / "tidak-ada.csv").errors
    assert "format" in read_registry(write(tmp_path, HEADER, name="registry.pdf")).errors[0].message


# --------------------------------------------------------------------------- XLSX


def write_xlsx(tmp_path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    path = tmp_path / "registry.xlsx"
    wb.save(path)
    return path


def test_xlsx_with_date_cells_text_dates_and_extra_columns(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["nama", "nomor_izin", "status", "berlaku_sampai", "alamat", "provinsi", "negara_tujuan", "NIB"],
        ["PT Contoh Satu", "KEP.1/MEN/I/2020", "aktif", datetime(2030, 1, 31), "Jl. Satu", "Kepulauan Riau", "Malaysia; Brunei", 8120114190761],
        ["PT Contoh Dua", "2/1234/HK.04.01/II/2021", "dicabut", "2029-12-01", None, None, None, None],
        ["PT Contoh Tiga", 81201141907, "skorsing", date(2028, 3, 1), None, None, None, None],
    ])
    read = read_registry(path)
    assert read.errors == []
    a, b, c = read.agencies
    assert a.valid_until == date(2030, 1, 31) and a.countries == ("Malaysia", "Brunei")
    assert a.extra == {"NIB": "8120114190761"}
    assert b.status == "dicabut" and b.valid_until == date(2029, 12, 1)
    assert c.licence_no == "81201141907" and c.valid_until == date(2028, 3, 1)


def test_xlsx_errors_carry_the_sheet_row_number(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["nama", "nomor_izin", "status", "berlaku_sampai"],
        ["PT Contoh Satu", "KEP.1/MEN/I/2020", "aktif", datetime(2030, 1, 31)],
        [],
        ["PT Contoh Dua", "KEP.2/MEN/I/2020", "aktif", 47000],  # a serial number, not a date
        ["PT Contoh Tiga", "kep 1 men i 2020", "aktif", "2030-01-01"],
        ["PT Contoh Empat", "KEP.4/MEN/I/2020", "lumpuh", "2030-01-01"],
    ])
    read = read_registry(path)
    assert lines_of(read) == [4, 5, 6]
    assert "berlaku_sampai" in read.errors[0].message
    assert "baris 2" in read.errors[1].message
    assert "status" in read.errors[2].message


def test_xlsx_missing_column_is_named(tmp_path: Path) -> None:
    read = read_registry(write_xlsx(tmp_path, [["nama", "status", "berlaku_sampai"], ["PT X", "aktif", "2030-01-01"]]))
    assert lines_of(read) == [1]
    assert "'nomor_izin'" in read.errors[0].message


def test_a_corrupt_xlsx_is_an_error_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "registry.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    read = read_registry(path)
    assert read.agencies == [] and len(read.errors) == 1


# --------------------------------------------------------------------------- the shipped sample


def test_the_sample_registry_is_valid_fictional_and_mixed() -> None:
    path = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "sample_registry.csv"
    read = read_registry(path)
    assert read.errors == []
    assert 35 <= len(read.agencies) <= 45
    assert {a.status for a in read.agencies} == {"aktif", "skorsing", "dicabut"}
    assert any(a.status == "aktif" and a.valid_until < date(2026, 1, 1) for a in read.agencies)
    names = {a.name: a for a in read.agencies}
    assert names["PT Sinar Jaya Tenaga Mandiri"].status == "aktif"
    assert all(n == "PT Sinar Jaya Tenaga Mandiri" or n.startswith("PT Contoh ") for n in names)
    formats = {"KEP" if a.licence_no.startswith("KEP.") else "HK" for a in read.agencies}
    assert formats == {"KEP", "HK"}
