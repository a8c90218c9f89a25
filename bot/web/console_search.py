"""Case search and saved views in the console (issue 15, point 4).

    GET  /console/cari                          the search page: one box, filters, pages
    POST /console/cari/tampilan                 save the current search under a name
    POST /console/cari/tampilan/{id}/hapus      delete one of one's own saved views

The query string is the whole state of a search (a saved view is one), so a result page can
be bookmarked and paged without JavaScript. What an officer may find is decided in the query
itself (storage/case_search.py, storage/access.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web.auth import CsrfChecked, StaffUser
from bot.web.console_pages import (
    CATEGORY_LABELS,
    PRIORITY_LABELS,
    STATUS_LABELS,
    RowId,
    _officer,
    _render,
    _uow,
)
from knowledge.agencies import Agency as RegistryAgency
from knowledge.agencies import verdict_for
from storage import case_search, officers
from storage.models import Agency

router = APIRouter(prefix="/console")

VERDICT_LABELS = {"licensed": "Izin aktif", "expired": "Izin habis masa berlaku", "suspended": "Izin dibekukan (skorsing)",
                  "revoked": "Izin dicabut", "unknown": "Status tidak dikenal"}
SEARCH_FLASH = {"saved": "Tampilan tersimpan.", "deleted": "Tampilan dihapus."}


def verdict(agency: Agency, today: dt.date) -> str:
    """The registry verdict the bot gives for this agency (knowledge.agencies), for the console's badge."""
    try:
        return verdict_for(RegistryAgency(name=agency.name, licence_no=agency.licence_no, status=agency.status,
                                          valid_until=agency.valid_until), today)
    except ValueError:
        return "unknown"


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _bounds(request: Request, start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local calendar days (the office's time zone) as UTC bounds; the end day is included."""
    tz = ZoneInfo(request.app.state.settings.service.timezone)

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)

    return (at(start) if start else None), (at(end + dt.timedelta(days=1)) if end else None)


@router.get("/cari", response_class=HTMLResponse)
def search_page(request: Request, staff: StaffUser,
                q: Annotated[str, Query(max_length=case_search.MAX_QUERY)] = "",
                kategori: Annotated[str, Query(max_length=30)] = "",
                prioritas: Annotated[str, Query(max_length=20)] = "",
                status: Annotated[str, Query(max_length=20)] = "",
                petugas: Annotated[str, Query(max_length=12)] = "",
                tujuan: Annotated[str, Query(max_length=100)] = "",
                dari: Annotated[str, Query(max_length=10)] = "",
                sampai: Annotated[str, Query(max_length=10)] = "",
                halaman: Annotated[int, Query(ge=1, le=100_000)] = 1,
                ok: Annotated[str, Query(max_length=10)] = "") -> HTMLResponse:
    start, end = _day(dari), _day(sampai)
    created_from, created_to = _bounds(request, start, end)
    query = case_search.CaseQuery(q=q.strip(), category=kategori, priority=prioritas, status=status,
                                  assignee=petugas, destination=tujuan, created_from=created_from,
                                  created_to=created_to, page=halaman,
                                  page_size=request.app.state.settings.limits.queue_page_size)
    params = {"q": q.strip(), "kategori": kategori, "prioritas": prioritas, "status": status, "petugas": petugas,
              "tujuan": tujuan, "dari": start.isoformat() if start else "", "sampai": end.isoformat() if end else ""}
    params = {k: v for k, v in params.items() if v}
    asked = bool(params)
    with _uow(request) as s:
        me = _officer(s, staff)
        result = case_search.search(s, query=query, officer=me) if asked else None
        views = case_search.views_of(s, officer=me)
        staff_list = [o for o in officers.list_officers(s) if o.active]
    names = {o.id: o.shown_name for o in staff_list}
    today = dt.datetime.now(ZoneInfo(request.app.state.settings.service.timezone)).date()

    def page_url(page: int) -> str:
        return "/console/cari?" + urlencode({**params, **({"halaman": page} if page > 1 else {})})

    context: dict[str, Any] = {
        "staff": staff, "csrf_token": staff.csrf_token, "params": params, "asked": asked, "result": result,
        "views": views, "officer_list": staff_list if staff.is_supervisor else [], "names": names,
        "page_url": page_url, "verdict": lambda a: verdict(a, today), "VERDICT_LABELS": VERDICT_LABELS,
        "flash": SEARCH_FLASH.get(ok, ""), "statuses": ["open", *STATUS_LABELS], "view_url": view_url,
        "CATEGORY_LABELS": CATEGORY_LABELS, "PRIORITY_LABELS": PRIORITY_LABELS,
    }
    return _render(request, "search.html", context)


@router.post("/cari/tampilan")
def save_view(request: Request, staff: CsrfChecked, name: Annotated[str, Form(max_length=80)],
              q: Annotated[str, Form(max_length=case_search.MAX_QUERY)] = "",
              kategori: Annotated[str, Form(max_length=30)] = "", prioritas: Annotated[str, Form(max_length=20)] = "",
              status: Annotated[str, Form(max_length=20)] = "", petugas: Annotated[str, Form(max_length=12)] = "",
              tujuan: Annotated[str, Form(max_length=100)] = "", dari: Annotated[str, Form(max_length=10)] = "",
              sampai: Annotated[str, Form(max_length=10)] = "") -> Response:
    query = {"q": q, "kategori": kategori, "prioritas": prioritas, "status": status, "petugas": petugas,
             "tujuan": tujuan, "dari": dari, "sampai": sampai}
    with _uow(request) as s:
        view = case_search.save_view(s, officer=_officer(s, staff), name=name, query=query)
        kept = dict(view.query)
    return RedirectResponse("/console/cari?" + urlencode({**kept, "ok": "saved"}), status_code=303)


@router.post("/cari/tampilan/{view_id}/hapus")
def delete_view(request: Request, view_id: RowId, staff: CsrfChecked) -> Response:
    with _uow(request) as s:
        case_search.delete_view(s, officer=_officer(s, staff), view_id=view_id)
    return RedirectResponse("/console/cari?ok=deleted", status_code=303)


def view_url(query: dict[str, str]) -> str:
    """The search page of a saved view."""
    return "/console/cari?" + urlencode({k: v for k, v in query.items() if k in case_search.VIEW_KEYS and v})
