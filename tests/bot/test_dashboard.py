"""The supervisors' dashboard, the monthly report and the case export, against a seeded database
whose expected figures tests/bot/dashboard_seed.py works out on its own.

Runs on SQLite, and on PostgreSQL when HELPDESK_TEST_DATABASE_URL names a server (tests/pg.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from bot.web import dashboard_figures
from bot.web.app import create_app
from bot.cli.main import main as cli_main
from storage.db import read_session, unit_of_work
from storage.models import CaseEvent, utcnow
from tests.bot import dashboard_seed as seed
from tests.bot.console_util import add_staff, csrf_of, login

ROOT = Path(__file__).resolve().parents[2]
NOVEMBER = {"dari": "2026-11-01", "sampai": "2026-11-30"}


@pytest.fixture
def seeded(service):  # type: ignore[no-untyped-def]
    seed.seed(service.db, service.settings.placeholder_values(), service.ctx.kb)
    return service


@pytest.fixture
def kb(service):  # type: ignore[no-untyped-def]
    return service.ctx.kb  # the one the seed's FAQ replies were rendered from


def _figures(service, now: dt.datetime = seed.NOW) -> dashboard_figures.Figures:  # type: ignore[no-untyped-def]
    topics = dashboard_figures.TopicMap(service.ctx.kb)
    with read_session(service.db) as s:
        return dashboard_figures.build(s, first_day=seed.FIRST, last_day=seed.LAST, tz=seed.TZ, sla_minutes=seed.SLA,
                                       topics=topics, now=now)


def _by_first(table: dashboard_figures.Table) -> dict:  # type: ignore[type-arg]
    return {row[0]: row[1:] for row in table.rows}


# --- every number against the seed ---------------------------------------------------------------


def test_messages_per_day_count_what_people_sent_by_local_day_and_channel(seeded) -> None:  # type: ignore[no-untyped-def]
    table = _figures(seeded).table("pesan_per_hari")
    expected = seed.messages_per_day()
    channels = {"Web chat": "web", "WhatsApp": "whatsapp", "Telegram": "telegram"}
    assert [r[0] for r in table.rows] == [seed.FIRST + dt.timedelta(days=i) for i in range(30)]  # every day, zeros too
    for row in table.rows:
        for name, value in zip(table.columns[1:-1], row[1:-1]):
            assert value == expected.get((row[0], channels[name]), 0), (row[0], name)
        assert row[-1] == sum(n for (day, _), n in expected.items() if day == row[0])
    # 00:30 on 1 November local is 31 October in UTC: it belongs to 1 November
    assert _by_first(table)[dt.date(2026, 11, 1)][-1] == 3
    assert _figures(seeded).totals["messages"] == sum(expected.values())


@pytest.mark.parametrize("key,kind", [("kasus_dibuka", "opened"), ("kasus_selesai", "closed")])
def test_cases_per_week_and_category(seeded, key: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    table = _figures(seeded).table(key)
    expected = seed.per_week(kind)
    names = {label: code for code, label in dashboard_figures.CATEGORY_LABELS.items()}
    assert [r[0] for r in table.rows] == [dt.date(2026, 10, 26) + dt.timedelta(weeks=i) for i in range(6)]
    for row in table.rows:
        for name, value in zip(table.columns[1:-1], row[1:-1]):
            assert value == expected.get((row[0], names[name]), 0), (key, row[0], name)
    assert sum(r[-1] for r in table.rows) == sum(expected.values())


def test_first_reply_sla_by_priority(seeded) -> None:  # type: ignore[no-untyped-def]
    rows = _by_first(_figures(seeded).table("sla"))
    expected = seed.sla(seed.NOW)
    for code, label in (("emergency", "Darurat"), ("high", "Tinggi"), ("normal", "Biasa")):
        minutes, met, late, unanswered, pending, percent = rows[label]
        assert minutes == seed.SLA[code]
        assert (met, late, unanswered, pending) == expected[code], label
        judged = met + late + unanswered
        assert percent == (round(100 * met / judged, 1) if judged else None)


def test_median_times(seeded) -> None:  # type: ignore[no-untyped-def]
    rows = {r[0]: r for r in _figures(seeded).table("median_waktu").rows}
    for measure, (minutes, n) in seed.medians().items():
        row = rows[dashboard_figures.MEASURE_LABELS[measure]]
        assert row[2] == pytest.approx(minutes, abs=0.05), measure
        assert row[3] == n


def test_open_cases_by_age(seeded) -> None:  # type: ignore[no-untyped-def]
    table = _figures(seeded).table("kasus_terbuka_umur")
    assert [r[1] for r in table.rows] == seed.open_ages(seed.NOW)


def test_countries_named_in_reports(seeded) -> None:  # type: ignore[no-untyped-def]
    assert dict(_figures(seeded).table("negara_tujuan").rows) == seed.countries()


def test_faq_topics_feedback_unanswered_and_ratings(seeded, kb) -> None:  # type: ignore[no-untyped-def]
    figures = _figures(seeded)
    # the "did you mean" list is logged as faq but answers nothing: it is not counted
    assert dict(figures.table("topik_faq").rows) == seed.faq_topics(kb)
    feedback = {r[0]: r[1:] for r in figures.table("umpan_balik").rows}
    assert {k: (v[0], v[1]) for k, v in feedback.items()} == seed.feedback(kb)
    for helpful, unhelpful, percent in feedback.values():
        assert percent == round(100 * helpful / (helpful + unhelpful), 1)
    assert dict(figures.table("belum_terjawab").rows) == seed.unanswered()
    assert sum(n for _, n in figures.table("belum_terjawab_topik").rows) == sum(seed.unanswered().values())
    assert dict(figures.table("penilaian").rows) == seed.ratings()
    given = seed.ratings()
    assert figures.totals["rating_average"] == round(sum(r * n for r, n in given.items()) / sum(given.values()), 2)


# --- the page ------------------------------------------------------------------------------------


def _section_rows(page: str, key: str) -> list[list[str]]:
    section = page.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.DOTALL)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)]


def test_dashboard_page_for_supervisors_and_admins_only(seeded) -> None:  # type: ignore[no-untyped-def]
    add_staff(seeded, "petugas1")
    add_staff(seeded, "kepala", role="supervisor")
    add_staff(seeded, "admin1", role="admin")
    with TestClient(create_app(seeded.settings, seeded)) as client:
        login(client, "petugas1")
        assert "/console/ringkasan" not in client.get("/console").text  # no link for officers
        for path in ("/console/ringkasan", "/console/ringkasan/laporan.xlsx", "/console/ringkasan/laporan.csv"):
            assert client.get(path, params=NOVEMBER).status_code == 403, path
    for who in ("kepala", "admin1"):
        with TestClient(create_app(seeded.settings, seeded)) as client:
            login(client, who)
            assert "/console/ringkasan" in client.get("/console").text
            page = client.get("/console/ringkasan", params=NOVEMBER)
            assert page.status_code == 200
            text = page.text
            assert text.count('src="data:image/svg+xml;base64,') == 11  # every table but the question list
            assert "http://" not in text.split("<main>", 1)[1].replace("http://www.w3.org", "")
    # the numbers in the page's tables are the seed's
    sla = {r[0]: r[1:] for r in _section_rows(text, "sla")}
    met, late, unanswered, pending = seed.sla(utcnow())["emergency"]
    assert sla["Darurat"][1:5] == [str(met), str(late), str(unanswered), str(pending)]
    days = {r[0]: r[-1] for r in _section_rows(text, "pesan_per_hari")}
    assert days["01-11-2026"] == "3"
    assert {r[0]: r[1] for r in _section_rows(text, "negara_tujuan")} == {k: str(v) for k, v in seed.countries().items()}
    assert [int(r[1]) for r in _section_rows(text, "kasus_terbuka_umur")] == seed.open_ages(utcnow())
    assert "berapa gaji di jepang?" in text  # the question list is on the console (not in the report)


def test_a_wrong_range_falls_back_to_the_last_30_days_with_a_warning(seeded) -> None:  # type: ignore[no-untyped-def]
    add_staff(seeded, "kepala", role="supervisor")
    with TestClient(create_app(seeded.settings, seeded)) as client:
        login(client, "kepala")
        for params in ({"dari": "2026-11-30", "sampai": "2026-11-01"}, {"dari": "2020-01-01", "sampai": "2026-11-01"},
                       {"dari": "kemarin", "sampai": ""}):
            page = client.get("/console/ringkasan", params=params)
            assert page.status_code == 200
            assert 'role="alert"' in page.text
        today = utcnow().astimezone(seed.TZ).date()
        assert f'value="{today.isoformat()}"' in page.text


# --- the report ----------------------------------------------------------------------------------


def _sheet_rows(book, key: str) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    sheet = book[key]
    return [tuple(c for c in row) for row in sheet.iter_rows(min_row=5, values_only=True)]


def _day(value) -> dt.date:  # type: ignore[no-untyped-def]
    return value.date() if isinstance(value, dt.datetime) else value


def test_report_command_writes_the_figures_one_sheet_per_table(seeded, kb, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPDESK_DATABASE_URL", seeded.settings.database_url)
    out = tmp_path / "laporan.xlsx"
    assert cli_main(["--config", str(ROOT / "config.yaml"), "report", "--month", "2026-11", "--out", str(out)]) == 0
    now = utcnow()
    book = load_workbook(out)
    assert set(book.sheetnames) == {"keterangan", "pesan_per_hari", "kasus_dibuka", "kasus_selesai", "sla",
                                    "median_waktu", "kasus_terbuka_umur", "negara_tujuan", "topik_faq", "umpan_balik",
                                    "belum_terjawab_topik", "penilaian"}
    days = {_day(r[0]): r[-1] for r in _sheet_rows(book, "pesan_per_hari")}
    expected = seed.messages_per_day()
    assert days == {seed.FIRST + dt.timedelta(days=i): sum(n for (d, _), n in expected.items()
                                                           if d == seed.FIRST + dt.timedelta(days=i)) for i in range(30)}
    opened = {_day(r[0]): r[-1] for r in _sheet_rows(book, "kasus_dibuka")}
    weekly = seed.per_week("opened")
    assert opened == {w: sum(n for (d, _), n in weekly.items() if d == w) for w in opened}
    assert sum(opened.values()) == len(seed.counted())
    sla = {r[0]: r[2:6] for r in _sheet_rows(book, "sla")}
    assert sla == {label: seed.sla(now)[code] for code, label in (("emergency", "Darurat"), ("high", "Tinggi"),
                                                                  ("normal", "Biasa"))}
    medians = {r[0]: (r[2], r[3]) for r in _sheet_rows(book, "median_waktu")}
    for measure, (minutes, n) in seed.medians().items():
        got = medians[dashboard_figures.MEASURE_LABELS[measure]]
        assert got[0] == pytest.approx(minutes, abs=0.05) and got[1] == n
    assert [r[1] for r in _sheet_rows(book, "kasus_terbuka_umur")] == seed.open_ages(now)
    assert {r[0]: r[1] for r in _sheet_rows(book, "negara_tujuan")} == seed.countries()
    assert {r[0]: r[1] for r in _sheet_rows(book, "topik_faq")} == seed.faq_topics(kb)
    assert {r[0]: (r[1], r[2]) for r in _sheet_rows(book, "umpan_balik")} == seed.feedback(kb)
    assert {r[0]: r[1] for r in _sheet_rows(book, "penilaian")} == seed.ratings()
    assert book["sla"]["A4"].value == "Prioritas"  # the header row sits above the rows

    csv_out = tmp_path / "laporan.csv"
    assert cli_main(["--config", str(ROOT / "config.yaml"), "report", "--month", "2026-11", "--out", str(csv_out)]) == 0
    lines = list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    assert lines[0] == ["tabel", "baris", "kolom", "nilai"]
    cells = {(t, r, c): v for t, r, c, v in lines[1:]}
    assert cells[("penilaian", "5", "Jumlah")] == str(seed.ratings()[5])
    assert cells[("pesan_per_hari", "2026-11-01", "Jumlah")] == "3"
    assert cells[("negara_tujuan", "Malaysia", "Jumlah kasus")] == str(seed.countries()["Malaysia"])
    assert not any(t == "belum_terjawab" for t, _, _ in cells)  # people's words stay in the console


def test_report_command_refuses_a_bad_month_or_suffix(tmp_path: Path) -> None:
    config = str(ROOT / "config.yaml")
    assert cli_main(["--config", config, "report", "--month", "11-2026", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert cli_main(["--config", config, "report", "--month", "2026-11", "--out", str(tmp_path / "x.pdf")]) == 2


def _all_text_of_xlsx(data: bytes) -> str:
    """Every cell of every sheet, and the raw XML too (shared strings, sheet names)."""
    book = load_workbook(io.BytesIO(data))
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
             if c is not None]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        raw = [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    return "\n".join(cells + raw)


SECRETS = [address for _, address, _ in seed.PEOPLE] + [name for _, _, name in seed.PEOPLE if name] + [
    seed.SECRET_TEXT, "0812-9999-1111", "6281234567890", "berapa gaji", "Berapa gaji", "dikurung", "petugas1", "Mawar"]


def test_reports_carry_no_names_numbers_or_message_text(seeded, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPDESK_DATABASE_URL", seeded.settings.database_url)
    config = str(ROOT / "config.yaml")
    cli_main(["--config", config, "report", "--month", "2026-11", "--out", str(tmp_path / "r.xlsx")])
    cli_main(["--config", config, "report", "--month", "2026-11", "--out", str(tmp_path / "r.csv")])
    add_staff(seeded, "kepala", role="supervisor")
    with TestClient(create_app(seeded.settings, seeded)) as client:
        login(client, "kepala")
        downloaded_xlsx = client.get("/console/ringkasan/laporan.xlsx", params=NOVEMBER)
        downloaded_csv = client.get("/console/ringkasan/laporan.csv", params=NOVEMBER)
    assert downloaded_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in downloaded_xlsx.headers["content-disposition"]
    texts = {"xlsx": _all_text_of_xlsx((tmp_path / "r.xlsx").read_bytes()),
             "csv": (tmp_path / "r.csv").read_text(encoding="utf-8-sig"),
             "downloaded xlsx": _all_text_of_xlsx(downloaded_xlsx.content), "downloaded csv": downloaded_csv.text}
    for where, text in texts.items():
        assert "Malaysia" in text, where  # the report is not empty
        for secret in SECRETS:
            assert secret not in text, (where, secret)


# --- the case export -----------------------------------------------------------------------------


def _exported_events(service) -> list[CaseEvent]:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return list(s.exec(select(CaseEvent).where(CaseEvent.kind == "exported")))


def test_case_export_is_for_supervisors_one_row_per_case_and_audited(seeded) -> None:  # type: ignore[no-untyped-def]
    add_staff(seeded, "petugas1")
    add_staff(seeded, "kepala", role="supervisor")
    with TestClient(create_app(seeded.settings, seeded)) as client:
        token = login(client, "petugas1")
        r = client.post("/console/ringkasan/ekspor-kasus", data={**NOVEMBER, "csrf_token": token})
        assert r.status_code == 403
    assert _exported_events(seeded) == []
    with TestClient(create_app(seeded.settings, seeded)) as client:
        login(client, "kepala")
        page = client.get("/console/ringkasan", params=NOVEMBER).text
        r = client.post("/console/ringkasan/ekspor-kasus", data={**NOVEMBER, "csrf_token": "salah"})
        assert r.status_code == 403  # no CSRF token, no export
        assert _exported_events(seeded) == []
        r = client.post("/console/ringkasan/ekspor-kasus", data={**NOVEMBER, "csrf_token": csrf_of(page)})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    in_period = [c for c in seed.CASES if seed.FIRST <= c.created_utc.astimezone(seed.TZ).date() <= seed.LAST]
    assert sorted(row["nomor_kasus"] for row in rows) == sorted(f"MC-2026-9{c.key}" for c in in_period)
    by_number = {row["nomor_kasus"]: row for row in rows}
    a = by_number["MC-2026-9A"]
    assert (a["menit_sampai_diambil"], a["menit_sampai_balasan_pertama"], a["menit_sampai_selesai"]) == ("30", "45", "2880")
    assert a["negara"] == "Malaysia" and a["penilaian"] == "5" and a["dibuka"] == "2026-11-02 09:00"
    assert by_number["MC-2026-9G"]["ditutup_sebagai_spam"] == "ya"
    # the destination an officer recorded wins over the reporter's words, when it names a country
    assert {k: by_number[f"MC-2026-9{k}"]["negara"] for k in "CEN"} == {"C": "Kamboja", "E": "Hong Kong", "N": "Taiwan"}
    for secret in [seed.SECRET_TEXT, "0812-9999-1111", *(a for _, a, _ in seed.PEOPLE),
                   *(n for _, _, n in seed.PEOPLE if n), "dikurung", "Johor", "Mawar"]:
        assert secret not in r.text, secret
    events = _exported_events(seeded)
    assert len(events) == len(in_period)  # one audit line on every exported case
    assert {e.actor for e in events} == {"kepala"}
    assert all("01-11-2026 s.d. 30-11-2026" in e.detail for e in events)


def test_sheet_and_csv_cells_cannot_become_formulas() -> None:
    from bot.web.monthly_report import safe_text

    assert safe_text("=HYPERLINK(\"x\")").startswith("'")
    assert safe_text("+62") == "'+62" and safe_text("Malaysia") == "Malaysia"
