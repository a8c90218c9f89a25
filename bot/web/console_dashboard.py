"""The supervisors' dashboard in the staff console, its report downloads and the case export.

    GET  /console/ringkasan?dari=YYYY-MM-DD&sampai=YYYY-MM-DD   charts and their tables
    GET  /console/ringkasan/laporan.xlsx?dari=…&sampai=…         the figures, one sheet per table
    GET  /console/ringkasan/laporan.csv?dari=…&sampai=…          the same, one line per cell
    POST /console/ringkasan/ekspor-kasus                         one row per case (CSV), audited

Supervisors and admins only (403 for officers). The page and the reports read the database
without taking SQLite's write lock; the export writes one audit event per exported case in
the same transaction that reads them, so no row leaves without its record.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.web import dashboard_charts, dashboard_figures

from bot.web import monthly_report
from bot.web.auth import CsrfChecked, Supervisor
from bot.web.dashboard_figures import Figures, TopicMap
from storage import dashboard
from storage.db import read_session, unit_of_work
from storage.models import utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console/ringkasan")
DEFAULT_DAYS = 30
DateText = Annotated[str, Query(max_length=10)]


@dataclass(frozen=True)
class Range:
    first: dt.date
    last: dt.date
    error: str = ""


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.service.timezone)


def chosen_range(dari: str, sampai: str, tz: ZoneInfo, today: dt.date | None = None) -> Range:
    """The days asked for; the last DEFAULT_DAYS days when none or a wrong range is asked."""
    today = today or utcnow().astimezone(tz).date()
    default = Range(today - dt.timedelta(days=DEFAULT_DAYS - 1), today)
    if not dari and not sampai:
        return default
    try:
        first = dt.date.fromisoformat(dari) if dari else default.first
        last = dt.date.fromisoformat(sampai) if sampai else today
    except ValueError:
        return Range(default.first, default.last, "Tanggal tidak dikenali; ditampilkan 30 hari terakhir.")
    if first > last:
        return Range(default.first, default.last, "Tanggal awal sesudah tanggal akhir; ditampilkan 30 hari terakhir.")
    if (last - first).days + 1 > dashboard_figures.MAX_DAYS or first.year < 2000 or last.year > 2100:
        return Range(default.first, default.last,
                     f"Periode paling panjang {dashboard_figures.MAX_DAYS} hari; ditampilkan 30 hari terakhir.")
    return Range(first, last)


def _topics(request: Request) -> TopicMap:
    # built once per app from the knowledge base the bot answers with
    topics = getattr(request.app.state, "dashboard_topics", None)
    if topics is None:
        ctx = request.app.state.service.ctx
        topics = request.app.state.dashboard_topics = TopicMap(ctx.kb)
    return topics


def figures_for(request: Request, days: Range) -> Figures:
    settings = request.app.state.settings
    with read_session(request.app.state.service.db) as s:
        return dashboard_figures.build(s, first_day=days.first, last_day=days.last, tz=_tz(request),
                                       sla_minutes=settings.sla_minutes.model_dump(), topics=_topics(request),
                                       now=utcnow())


def number(value: Any) -> str:
    """A table cell as Indonesians write it: 1.234 and 97,5; dates as 30-11-2026; '—' for nothing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


@router.get("", response_class=HTMLResponse)
def dashboard_page(request: Request, staff: Supervisor, dari: DateText = "", sampai: DateText = "") -> HTMLResponse:
    days = chosen_range(dari, sampai, _tz(request))
    figures = figures_for(request, days)
    charts = {t.key: dashboard_charts.chart_for(t) for t in figures.tables}
    query = f"dari={days.first.isoformat()}&sampai={days.last.isoformat()}"
    context = {"service_name": request.app.state.settings.service.name, "staff": staff,
               "csrf_token": staff.csrf_token, "figures": figures, "charts": charts, "days": days, "query": query,
               "number": number, "period": monthly_report.period_text(figures)}
    return request.app.state.console_templates.TemplateResponse(request, "ringkasan.html", context)


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/laporan.xlsx")
def report_xlsx(request: Request, staff: Supervisor, dari: DateText = "", sampai: DateText = "") -> Response:
    figures = figures_for(request, chosen_range(dari, sampai, _tz(request)))
    log.info("dashboard report (xlsx) downloaded by officer id %s", staff.officer_id)
    return _download(monthly_report.xlsx_bytes(figures), monthly_report.XLSX_TYPE,
                     f"{monthly_report.file_stem(figures)}.xlsx")


@router.get("/laporan.csv")
def report_csv(request: Request, staff: Supervisor, dari: DateText = "", sampai: DateText = "") -> Response:
    figures = figures_for(request, chosen_range(dari, sampai, _tz(request)))
    log.info("dashboard report (csv) downloaded by officer id %s", staff.officer_id)
    return _download(monthly_report.csv_text(figures), monthly_report.CSV_TYPE, f"{monthly_report.file_stem(figures)}.csv")


@router.post("/ekspor-kasus")
def export_cases(request: Request, staff: Supervisor, _: CsrfChecked, dari: Annotated[str, Form(max_length=10)] = "",
                 sampai: Annotated[str, Form(max_length=10)] = "") -> Response:
    """One row per case opened in the range; each exported case gets an `exported` audit event."""
    tz = _tz(request)
    days = chosen_range(dari, sampai, tz)
    period = dashboard_figures.period_for(days.first, days.last, tz)
    span = f"{days.first:%d-%m-%Y} s.d. {days.last:%d-%m-%Y}"
    with unit_of_work(request.app.state.service.db) as s:
        rows = dashboard.export_rows(s, period=period)
        dashboard.record_export(s, case_ids=[r.case_id for r in rows], actor=staff.username,
                                detail=f"ekspor kasus {span} ({len(rows)} kasus)")
    log.info("case export by officer id %s: %d cases", staff.officer_id, len(rows))
    return _download(monthly_report.export_csv(rows, tz), monthly_report.CSV_TYPE,
                     f"kasus-{days.first:%Y%m%d}-{days.last:%Y%m%d}.csv")
