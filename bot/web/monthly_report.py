"""The dashboard's figures as files: the monthly report (XLSX with one sheet per table, or CSV)
and the supervisors' case export (CSV, one row per case).

The report holds aggregates only: the tables of bot/web/dashboard_figures.py marked `in_report`,
which count and never quote — no names, phone numbers or message text. The case export
has one row per case with its number, times, category and outcome, and still no name,
address or text; every case in it gets an audit event (storage.dashboard.record_export).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.web.dashboard_figures import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    PRIORITY_LABELS,
    Figures,
    place_named,
)
from storage.dashboard import ExportRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "DD-MM-YYYY"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A spreadsheet must never take a cell for a formula (CSV/XLSX injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def period_text(figures: Figures) -> str:
    return f"{figures.first_day:%d-%m-%Y} s.d. {figures.last_day:%d-%m-%Y}"


def file_stem(figures: Figures) -> str:
    return f"ringkasan-{figures.first_day:%Y%m%d}-{figures.last_day:%Y%m%d}"


def _cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def write_xlsx(figures: Figures, target: Any) -> None:
    """One sheet per table: title, period, note, then the header row (row 4) and the rows."""
    book = Workbook()
    about = book.active
    assert isinstance(about, Worksheet)  # a new workbook starts with one worksheet; typed as optional
    about.title = "keterangan"
    about.append(["Ringkasan layanan Migrant Center"])
    about["A1"].font = Font(bold=True, size=13)
    about.append(["Periode", period_text(figures)])
    about.append(["Dibuat", figures.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")])
    about.append(["Isi", "Angka agregat saja: tanpa nama, nomor telepon, atau isi pesan."])
    about.append([])
    about.append(["Lembar", "Tabel"])
    for table in figures.report_tables():
        about.append([table.key, table.title])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 70
    for table in figures.report_tables():
        sheet = book.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([f"Periode: {period_text(figures)}"])
        sheet.append([table.note] if table.note else [])
        sheet.append(list(table.columns))
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = DATE_FORMAT
        for i, name in enumerate(table.columns, start=1):
            width = max([len(str(name))] + [len(str(r[i - 1])) for r in table.rows[:200]])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, width + 2))
        sheet.freeze_panes = "A5"
    book.save(target)


def xlsx_bytes(figures: Figures) -> bytes:
    out = io.BytesIO()
    write_xlsx(figures, out)
    return out.getvalue()


def _csv_value(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    return safe_text(str(value))


def csv_rows(figures: Figures) -> Iterable[list[str]]:
    """Long form: one line per cell — table, row (its first column), column, value."""
    yield ["tabel", "baris", "kolom", "nilai"]
    yield ["keterangan", "Periode", "dari", figures.first_day.isoformat()]
    yield ["keterangan", "Periode", "sampai", figures.last_day.isoformat()]
    for table in figures.report_tables():
        for row in table.rows:
            label = _csv_value(row[0])
            for name, value in zip(table.columns[1:], row[1:]):
                yield [table.key, label, name, _csv_value(value)]


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # the BOM makes spreadsheet programs read UTF-8


def csv_text(figures: Figures) -> str:
    return _csv_text(csv_rows(figures))


# --- the case export -----------------------------------------------------------------------------

EXPORT_COLUMNS = ("nomor_kasus", "dibuka", "saluran", "kategori", "prioritas", "darurat", "status", "kemungkinan_spam",
                  "ditutup_sebagai_spam", "diambil", "balasan_pertama", "selesai", "menit_sampai_diambil",
                  "menit_sampai_balasan_pertama", "menit_sampai_selesai", "petugas", "negara", "penilaian")
STATUS_NAMES = {"new": "Baru", "claimed": "Ditangani", "waiting": "Menunggu balasan pelapor", "resolved": "Selesai",
                "closed": "Ditutup"}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def _local(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return "" if value is None else _aware(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _minutes(later: dt.datetime | None, earlier: dt.datetime) -> str:
    if later is None:
        return ""
    return f"{(_aware(later) - _aware(earlier)).total_seconds() / 60:.0f}"


def export_csv(rows: Sequence[ExportRow], tz: ZoneInfo) -> str:
    """One line per case; no name, address or text of the person or the officers."""
    def line(r: ExportRow) -> list[str]:
        return [r.number, _local(r.created_at, tz), CHANNEL_LABELS.get(r.channel, r.channel),
                CATEGORY_LABELS.get(r.category, r.category), PRIORITY_LABELS.get(r.priority, r.priority),
                "ya" if r.emergency else "tidak", STATUS_NAMES.get(r.status, r.status),
                "ya" if r.suspected_spam else "tidak", "ya" if r.closed_as_spam else "tidak",
                _local(r.claimed_at, tz), _local(r.first_reply_at, tz), _local(r.resolved_at, tz),
                _minutes(r.claimed_at, r.created_at), _minutes(r.first_reply_at, r.created_at),
                _minutes(r.resolved_at, r.created_at), safe_text(r.assignee or ""), place_named(r.told, r.recorded_country),
                "" if r.rating is None else str(r.rating)]

    return _csv_text([list(EXPORT_COLUMNS), *(line(r) for r in rows)])
