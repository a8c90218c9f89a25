"""Confidentiality of the case page, and the person behind a case (issue 15, points 3 and 5).

    GET  /console/cases/{id}                       gated by `gate` (called from bot/web/console_case.py):
                                                   full page, summary page, or 403 (audited)
    POST /console/cases/{id}/restrict              restricted on/off (assignee or supervisor)
    POST /console/cases/{id}/person/merge          link another address to this case's person
    POST /console/cases/{id}/person/unmerge        take an address off the person (supervisor)
    POST /console/cases/{id}/person/flags          add a risk flag with an expiry date
    POST /console/cases/{id}/person/flags/{flag}   end a risk flag now

Who sees what is decided in storage/access.py; routes stay thin, one unit of work each. A
refusal is written to the audit trail in its own committed unit of work before the 403, so
the attempt is kept although the request fails.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from bot.web import auth
from bot.web.auth import CsrfChecked
from bot.web.console_pages import MAX_ROW_ID, RowId, _officer, _render, _uow
from storage import access, cases, people, repo
from storage.errors import CaseForbidden, PersonError
from storage.ids import saved_id
from storage.models import Case, Contact, Officer

log = logging.getLogger(__name__)

RISK_LABELS = {
    "tppo_victim": "Pernah jadi korban TPPO",
    "borrowed_phone": "Nomor dipinjam (bukan milik pelapor)",
    "monitored_phone": "Ponsel mungkin dibaca orang lain",
    "threatened": "Pernah diancam pelaku",
}
FLASH = {
    "restricted": "Kasus dibatasi: hanya petugas yang menangani dan supervisor yang bisa membukanya.",
    "unrestricted": "Pembatasan kasus dicabut.",
    "merged": "Alamat digabungkan dengan orang ini. Riwayat kasusnya kini tampil di sini.",
    "unmerged": "Alamat dipisahkan dari orang ini.",
    "flag": "Tanda risiko tersimpan.",
    "unflag": "Tanda risiko dicabut.",
}
DENIED = "Anda tidak berhak membuka kasus ini. Percobaan ini dicatat di jejak audit."

router = APIRouter(prefix="/console")


def _back(case_id: int, flash: str) -> RedirectResponse:
    return RedirectResponse(f"/console/cases/{case_id}?ok={flash}#orang", status_code=303)


def _full_case(s: Session, staff: auth.Staff, case_id: int, what: str) -> tuple[Case, Officer]:
    """The case and the officer, when the officer may see it in full; None when refused (and audited)."""
    me = _officer(s, staff)
    case = cases.get_case(s, case_id=case_id)
    if access.access_to(case, me) is not access.Access.FULL:
        access.record_denied(s, case=case, officer=me, what=what)
        raise _Refused()
    return case, me


class _Refused(Exception):
    """Raised inside a unit of work that must still commit (the audit line of a refusal)."""


def _guarded(request: Request, staff: auth.Staff, case_id: int, what: str, act: Any) -> Any:
    """Run `act(session, case, officer)` on a case the officer sees in full; else audit and 403."""
    refused = False
    with _uow(request) as s:
        try:
            case, me = _full_case(s, staff, case_id, what)
        except _Refused:
            refused = True
        else:
            return act(s, case, me)
    if refused:
        raise CaseForbidden(DENIED)
    return None


# --- the case page ---------------------------------------------------------------------------------


def gate(request: Request, *, case_id: int, staff: auth.Staff, flash: str = "") -> Response | None:
    """Before the case page: None for an officer who may see it in full (the page records the view);
    the summary page for an unassigned case; otherwise the attempt is audited and it is a 403."""
    with _uow(request) as s:
        me = _officer(s, staff)
        case = cases.get_case(s, case_id=case_id)
        level = access.access_to(case, me)
        if level is access.Access.NONE:
            access.record_denied(s, case=case, officer=me)
            log.info("case page refused to an officer (case id %s)", case_id)
        elif level is access.Access.SUMMARY:
            # a summary view is a view too: in the audit trail like any other (DESIGN.md, decision 9)
            repo.add_case_event(s, case_id=saved_id(case.id), kind="viewed", actor=me.username,
                                detail="ringkasan")
            summary = access.mask_phones(case.summary)
    if level is access.Access.NONE:
        raise CaseForbidden(DENIED)
    if level is access.Access.FULL:
        return None
    return _render(request, "case_summary.html", {
        "staff": staff, "csrf_token": staff.csrf_token, "case": case, "summary": summary,
        "is_open": case.status in cases.OPEN_STATUSES, "flash": FLASH.get(flash, ""),
    })


def person_context(s: Session, *, case: Case, officer: Officer) -> dict[str, Any]:
    """What the case page shows about the person: linked addresses, history, flags."""
    contact = s.get(Contact, case.contact_id)
    assert contact is not None
    linked = people.linked_contacts(s, person_id=contact.person_id) if contact.person_id else [contact]
    return {"history": people.history_for(s, case=case, officer=officer), "linked": linked,
            "flags": people.active_flags(s, contact=contact), "risk_labels": RISK_LABELS,
            "may_restrict": access.is_supervisor(officer) or case.assignee_id == officer.id,
            "today": dt.date.today().isoformat()}


# --- actions -------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/restrict")
def restrict_case(request: Request, case_id: RowId, staff: CsrfChecked,
                  restricted: Annotated[int, Form(ge=0, le=1)], reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    def act(s: Session, case: Case, me: Officer) -> None:
        access.set_restricted(s, case=case, officer=me, restricted=bool(restricted), reason=reason)

    _guarded(request, staff, case_id, "mengubah pembatasan", act)
    return _back(case_id, "restricted" if restricted else "unrestricted")


@router.post("/cases/{case_id}/person/merge")
def merge_person(request: Request, case_id: RowId, staff: CsrfChecked,
                 ref: Annotated[str, Form(max_length=200)]) -> Response:
    """Link another address (a case number, a phone number or a channel:address) to this case's person."""
    def act(s: Session, case: Case, me: Officer) -> None:
        other = people.find_contact(s, ref=ref)
        if other is None:
            raise PersonError("Alamat atau nomor kasus itu tidak ditemukan.")
        people.merge(s, contact_id=case.contact_id, other_contact_id=saved_id(other.id),
                     officer_name=me.username, case_id=case.id)

    _guarded(request, staff, case_id, "menggabungkan alamat", act)
    log.info("an officer linked an address to the person of case id %s", case_id)
    return _back(case_id, "merged")


@router.post("/cases/{case_id}/person/unmerge")
def unmerge_person(request: Request, case_id: RowId, staff: CsrfChecked,
                   contact_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)]) -> Response:
    def act(s: Session, case: Case, me: Officer) -> None:
        own = s.get(Contact, case.contact_id)
        target = s.get(Contact, contact_id)
        if own is None or target is None or own.person_id is None or target.person_id != own.person_id:
            raise PersonError("Alamat ini tidak terhubung dengan orang pada kasus ini.")
        people.unmerge(s, contact_id=contact_id, officer_name=me.username, is_supervisor=access.is_supervisor(me),
                       case_id=case.id)

    _guarded(request, staff, case_id, "memisahkan alamat", act)
    return _back(case_id, "unmerged")


def _local_end_of_day(request: Request, day: str) -> dt.datetime | None:
    if not day:
        return None
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise PersonError("Tanggal berakhir tidak valid.") from None
    tz = ZoneInfo(request.app.state.settings.service.timezone)
    # the flag holds through the whole local day it names
    return dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)


@router.post("/cases/{case_id}/person/flags")
def add_flag(request: Request, case_id: RowId, staff: CsrfChecked, kind: Annotated[str, Form(max_length=30)],
             until: Annotated[str, Form(max_length=10)] = "", note: Annotated[str, Form(max_length=500)] = "") -> Response:
    expires = _local_end_of_day(request, until.strip())

    def act(s: Session, case: Case, me: Officer) -> None:
        contact = s.get(Contact, case.contact_id)
        assert contact is not None
        people.add_flag(s, contact=contact, kind=kind, note=note, expires_at=expires, officer_name=me.username,
                        case_id=case.id)

    _guarded(request, staff, case_id, "menambah tanda risiko", act)
    return _back(case_id, "flag")


@router.post("/cases/{case_id}/person/flags/{flag_id}")
def remove_flag(request: Request, case_id: RowId, flag_id: RowId, staff: CsrfChecked) -> Response:
    def act(s: Session, case: Case, me: Officer) -> None:
        contact = s.get(Contact, case.contact_id)
        if contact is None or contact.person_id is None:
            raise PersonError("Tanda risiko tidak ditemukan.")
        people.remove_flag(s, flag_id=flag_id, person_id=contact.person_id, officer_name=me.username,
                           case_id=case.id)

    _guarded(request, staff, case_id, "mencabut tanda risiko", act)
    return _back(case_id, "unflag")
