"""Read an agency registry file (CSV or XLSX) into `Agency` rows plus per-line errors.

Nothing here raises on bad content: every problem becomes a `RowError` with the file's line
number (header = line 1), so the caller can reject the whole import and tell staff exactly
which rows to fix. Messages are Indonesian because officers read them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from knowledge.agencies import STATUSES, Agency, normalise_licence

REQUIRED_COLUMNS = ("nama", "nomor_izin", "status", "berlaku_sampai")
# Optional: a registry without addresses is still a usable registry.
OPTIONAL_COLUMNS = ("alamat", "provinsi", "negara_tujuan")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Spellings officers use for the three statuses; anything else is rejected, never guessed.
_STATUS_ALIASES = {
    "aktif": "aktif",
    "active": "aktif",
    "skorsing": "skorsing",
    "diskors": "skorsing",
    "suspend": "skorsing",
    "suspended": "skorsing",
    "dibekukan": "skorsing",
    "dicabut": "dicabut",
    "cabut": "dicabut",
    "revoked": "dicabut",
}
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_ERRORS = 1000  # a wrong file must not produce a million-line report


@dataclass(frozen=True)
class RowError:
    line: int  # 1 = header; 0 = the file as a whole
    message: str

    def __str__(self) -> str:
        return f"baris {self.line}: {self.message}" if self.line else self.message


@dataclass
class RegistryRead:
    agencies: list[Agency] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_registry(path: Path) -> RegistryRead:
    """Parse a registry file; the caller decides what to do when `errors` is not empty."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        what = suffix or "tanpa ekstensi"
        return RegistryRead(errors=[RowError(0, f"format berkas tidak dikenal ({what}); gunakan .csv atau .xlsx")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        return RegistryRead(errors=[RowError(0, f"berkas tidak bisa dibaca: {exc.strerror or exc}")])
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    if isinstance(rows, RowError):
        return RegistryRead(errors=[rows])
    return _parse_rows(rows)


# --------------------------------------------------------------------------- file formats

Row = tuple[int, Sequence[object]]


def _csv_rows(data: bytes) -> list[Row] | RowError:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RowError(
            line, "berkas bukan teks UTF-8 (simpan ulang sebagai 'CSV UTF-8'); byte tidak sah pertama di baris ini"
        )
    first = text.split("\n", 1)[0]
    # Excel in an Indonesian locale saves CSV with ";" — the header tells which one was used.
    delimiter = max((",", ";", "\t"), key=lambda d: sum(c.strip().lower() in KNOWN_COLUMNS for c in first.split(d)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    line = 1
    try:
        for record in reader:
            rows.append((line, record))
            line = reader.line_num + 1  # a quoted field may span lines
    except csv.Error as exc:
        return RowError(line, f"format CSV rusak: {exc}")
    return rows


def _xlsx_rows(data: bytes) -> list[Row] | RowError:
    from openpyxl import load_workbook  # imported lazily: only XLSX imports need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        return RowError(0, f"berkas XLSX tidak bisa dibuka: {exc}")
    try:
        ws = wb.worksheets[0]
        rows: list[Row] = []
        for cells in ws.iter_rows():
            values = [c.value for c in cells]
            number = next((getattr(c, "row", None) for c in cells if getattr(c, "row", None)), None)
            if number is None:  # an empty row: read-only mode gives no coordinates
                number = (rows[-1][0] + 1) if rows else 1
            rows.append((number, values))
        return rows
    finally:
        wb.close()


# --------------------------------------------------------------------------- rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a licence number typed as a number
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def _parse_rows(rows: list[Row]) -> RegistryRead:
    out = RegistryRead()
    it: Iterator[Row] = iter(rows)
    header: Sequence[object] | None = None
    for line, values in it:
        if any(_cell_text(v) for v in values):
            header_line, header = line, values
            break
    if header is None:
        out.errors.append(RowError(1, "berkas kosong: baris judul kolom tidak ada"))
        return out
    names = [_cell_text(v) for v in header]
    out.columns = [n for n in names if n]
    keys = [n.strip().lower().replace(" ", "_") for n in names]
    position: dict[str, int] = {}
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in position:
            out.errors.append(RowError(header_line, f"kolom '{names[i]}' muncul dua kali"))
        position.setdefault(key, i)
    for col in REQUIRED_COLUMNS:
        if col not in position:
            out.errors.append(RowError(header_line, f"kolom wajib '{col}' tidak ada"))
    if out.errors:
        return out

    extra_cols = [(i, names[i]) for i, k in enumerate(keys) if k and k not in KNOWN_COLUMNS and position.get(k) == i]
    first_line_of: dict[str, int] = {}
    for line, values in it:
        if len(out.errors) >= _MAX_ERRORS:
            out.errors.append(RowError(line, "terlalu banyak kesalahan; pemeriksaan dihentikan"))
            break
        if not any(_cell_text(v) for v in values):
            continue

        def get(col: str, values: Sequence[object] = values) -> object:
            i = position.get(col)
            return values[i] if i is not None and i < len(values) else None

        problems: list[str] = []
        name = _cell_text(get("nama"))
        licence = _cell_text(get("nomor_izin"))
        if not name:
            problems.append("nama kosong")
        if not licence:
            problems.append("nomor_izin kosong")
        elif not normalise_licence(licence):
            problems.append(f"nomor_izin '{licence}' tidak berisi huruf atau angka")
        raw_status = _cell_text(get("status"))
        status = _STATUS_ALIASES.get(raw_status.lower())
        if status is None:
            problems.append(f"status '{raw_status}' tidak dikenal (harus salah satu dari: {', '.join(STATUSES)})")
        valid_until = _parse_date(get("berlaku_sampai"))
        if isinstance(valid_until, str):
            problems.append(valid_until)
        key = normalise_licence(licence)
        if key and key in first_line_of:
            problems.append(f"nomor_izin '{licence}' sudah dipakai di baris {first_line_of[key]}")
        elif key:
            first_line_of[key] = line
        if problems:
            out.errors.append(RowError(line, "; ".join(problems)))
            continue
        assert status is not None and isinstance(valid_until, date)
        countries = tuple(c.strip() for c in _cell_text(get("negara_tujuan")).split(";") if c.strip())
        extra = {col: _cell_text(values[i]) if i < len(values) else "" for i, col in extra_cols}
        out.agencies.append(
            Agency(
                name=name,
                licence_no=licence,
                status=status,
                valid_until=valid_until,
                address=_cell_text(get("alamat")),
                province=_cell_text(get("provinsi")),
                countries=countries,
                extra=extra,
            )
        )
    return out


def _parse_date(value: object) -> date | str:
    """A date, or the error message. Text must be YYYY-MM-DD; XLSX date cells are accepted."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    if not text:
        return "berlaku_sampai kosong"
    if _ISO_DATE_RE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return f"berlaku_sampai '{text}' bukan tanggal YYYY-MM-DD"
