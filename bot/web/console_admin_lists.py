"""Admins keep the canned replies and the referral partners (issue 15, point 6).

    GET  /console/admin/balasan               the canned replies, a form for a new one
    POST /console/admin/balasan               add one
    POST /console/admin/balasan/{id}          change one (title, text, order, shown or not)
    POST /console/admin/balasan/{id}/hapus    delete one
    GET  /console/admin/mitra                 the referral partners, a form for a new one
    POST /console/admin/mitra                 add one
    POST /console/admin/mitra/{id}            change one (a partner in use is switched off, never deleted)

Admins only (403 for officers and supervisors); the case page reads both lists
(bot/web/console_record.py). Storage: storage/partners.py.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web import auth
from bot.web.auth import CsrfChecked
from bot.web.console_pages import RowId, _render, _uow
from bot.web.console_record import PARTNER_KIND_LABELS
from storage import partners
from storage.errors import ListError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console/admin")

FLASH = {"saved": "Tersimpan.", "deleted": "Dihapus."}


def _canned_page(request: Request, staff: auth.Staff, *, error: str = "", flash: str = "",
                 status_code: int = 200) -> HTMLResponse:
    with _uow(request) as s:
        rows = partners.list_canned(s)
    return _render(request, "admin_canned.html", {"staff": staff, "csrf_token": staff.csrf_token, "rows": rows,
                                                  "error": error, "flash": flash}, status_code=status_code)


def _partners_page(request: Request, staff: auth.Staff, *, error: str = "", flash: str = "",
                   status_code: int = 200) -> HTMLResponse:
    with _uow(request) as s:
        rows = partners.list_partners(s)
    context: dict[str, Any] = {"staff": staff, "csrf_token": staff.csrf_token, "rows": rows, "error": error,
                               "flash": flash, "kinds": PARTNER_KIND_LABELS}
    return _render(request, "admin_partners.html", context, status_code=status_code)


@router.get("/balasan", response_class=HTMLResponse)
def canned_page(request: Request, staff: auth.Admin, ok: str = "") -> HTMLResponse:
    return _canned_page(request, staff, flash=FLASH.get(ok[:10], ""))


def _save_canned(request: Request, staff: auth.Staff, canned_id: int | None, title: str, text: str, position: int,
                 active: int) -> Response:
    try:
        with _uow(request) as s:
            partners.save_canned(s, canned_id=canned_id, title=title, text=text, position=position,
                                 active=bool(active), by=staff.username)
    except ListError as exc:
        return _canned_page(request, staff, error=str(exc), status_code=400)
    log.info("admin %s saved a canned reply", staff.officer_id)
    return RedirectResponse("/console/admin/balasan?ok=saved", status_code=303)


@router.post("/balasan", response_class=HTMLResponse)
def add_canned(request: Request, staff: auth.Admin, _: CsrfChecked, title: Annotated[str, Form(max_length=400)],
               text: Annotated[str, Form(max_length=8000)], position: Annotated[int, Form(ge=-1000, le=1000)] = 0,
               active: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    return _save_canned(request, staff, None, title, text, position, active)


@router.post("/balasan/{canned_id}", response_class=HTMLResponse)
def change_canned(request: Request, canned_id: RowId, staff: auth.Admin, _: CsrfChecked,
                  title: Annotated[str, Form(max_length=400)], text: Annotated[str, Form(max_length=8000)],
                  position: Annotated[int, Form(ge=-1000, le=1000)] = 0,
                  active: Annotated[int, Form(ge=0, le=1)] = 0) -> Response:
    return _save_canned(request, staff, canned_id, title, text, position, active)


@router.post("/balasan/{canned_id}/hapus", response_class=HTMLResponse)
def delete_canned(request: Request, canned_id: RowId, staff: auth.Admin, _: CsrfChecked) -> Response:
    try:
        with _uow(request) as s:
            partners.delete_canned(s, canned_id=canned_id)
    except ListError as exc:
        return _canned_page(request, staff, error=str(exc), status_code=404)
    return RedirectResponse("/console/admin/balasan?ok=deleted", status_code=303)


@router.get("/mitra", response_class=HTMLResponse)
def partners_page(request: Request, staff: auth.Admin, ok: str = "") -> HTMLResponse:
    return _partners_page(request, staff, flash=FLASH.get(ok[:10], ""))


def _save_partner(request: Request, staff: auth.Staff, partner_id: int | None, name: str, kind: str, country: str,
                  contact: str, active: int) -> Response:
    try:
        with _uow(request) as s:
            partners.save_partner(s, partner_id=partner_id, name=name, kind=kind, country=country, contact=contact,
                                  active=bool(active))
    except ListError as exc:
        return _partners_page(request, staff, error=str(exc), status_code=400)
    log.info("admin %s saved a referral partner", staff.officer_id)
    return RedirectResponse("/console/admin/mitra?ok=saved", status_code=303)


@router.post("/mitra", response_class=HTMLResponse)
def add_partner(request: Request, staff: auth.Admin, _: CsrfChecked, name: Annotated[str, Form(max_length=400)],
                kind: Annotated[str, Form(max_length=20)], country: Annotated[str, Form(max_length=200)] = "",
                contact: Annotated[str, Form(max_length=4000)] = "",
                active: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    return _save_partner(request, staff, None, name, kind, country, contact, active)


@router.post("/mitra/{partner_id}", response_class=HTMLResponse)
def change_partner(request: Request, partner_id: RowId, staff: auth.Admin, _: CsrfChecked,
                   name: Annotated[str, Form(max_length=400)], kind: Annotated[str, Form(max_length=20)],
                   country: Annotated[str, Form(max_length=200)] = "", contact: Annotated[str, Form(max_length=4000)] = "",
                   active: Annotated[int, Form(ge=0, le=1)] = 0) -> Response:
    return _save_partner(request, staff, partner_id, name, kind, country, contact, active)
