"""The editable case record on the case page (issue 15, point 6).

    POST /console/cases/{id}/klasifikasi              category and priority, with a reason
    POST /console/cases/{id}/data                     destination, employer, agency, passport, ILO indicators
    POST /console/cases/{id}/intake                   correct one intake answer
    POST /console/cases/{id}/rujukan                  refer to a partner (storage/partners.py), with a date
    POST /console/cases/{id}/rujukan/{ref}/hasil      the referral's outcome and its date

The services are in storage/case_record.py (assignee or supervisor; every change audited);
routes stay thin, one unit of work each, and return to the case page's card they came from.
`record_context` is what the case page (bot/web/console_case.py) shows of all this.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from bot.web.auth import CsrfChecked
from bot.web.console_pages import (
    CATEGORY_LABELS,
    INTAKE_LABELS,
    MAX_ROW_ID,
    RowId,
    _officer,
    _uow,
)
from knowledge.agencies import normalise_licence
from storage import case_record, partners
from storage.ids import saved_id
from storage.models import Case

router = APIRouter(prefix="/console")

ILO_LABELS = {
    "abuse_of_vulnerability": "Penyalahgunaan kerentanan",
    "deception": "Penipuan",
    "restriction_of_movement": "Pembatasan gerak",
    "isolation": "Isolasi",
    "physical_sexual_violence": "Kekerasan fisik dan seksual",
    "intimidation_threats": "Intimidasi dan ancaman",
    "retention_of_documents": "Penahanan dokumen identitas",
    "withholding_of_wages": "Upah ditahan",
    "debt_bondage": "Jeratan utang",
    "abusive_conditions": "Kondisi kerja dan tempat tinggal yang buruk",
    "excessive_overtime": "Lembur berlebihan",
}
PASSPORT_LABELS = {"self": "Pelapor sendiri", "employer": "Majikan", "agency": "Agen/P3MI", "other": "Pihak lain",
                   "unknown": "Tidak diketahui"}
OUTCOME_LABELS = {"pending": "Menunggu tanggapan", "accepted": "Diterima mitra", "declined": "Ditolak mitra",
                  "no_response": "Tidak ada tanggapan", "done": "Selesai ditangani"}
PARTNER_KIND_LABELS = {"embassy": "Perwakilan RI", "police": "Kepolisian", "ngo": "LSM/pendamping",
                       "government": "Instansi pemerintah", "other": "Lainnya"}
LICENCE_LABELS = {"aktif": "izin aktif", "skorsing": "izin DISKORS", "dicabut": "izin DICABUT"}
FLASH = {"reclassified": "Kategori/prioritas diubah dan dicatat.", "record": "Data kasus tersimpan.",
         "record_same": "Tidak ada data yang berubah.", "intake": "Jawaban intake dikoreksi.",
         "intake_same": "Jawaban intake tidak berubah.", "referred": "Rujukan tercatat.",
         "outcome": "Hasil rujukan tercatat."}
assert set(ILO_LABELS) == set(case_record.ILO_INDICATORS)
assert set(PASSPORT_LABELS) == set(case_record.PASSPORT_HOLDERS)
assert set(OUTCOME_LABELS) == set(case_record.OUTCOMES)


def _back(case_id: int, flash: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/console/cases/{case_id}?ok={flash}#{anchor}", status_code=303)


def record_context(s: Session, *, case: Case) -> dict[str, Any]:
    """The case page's record cards: the stored fields, the agency's licence now, referrals, choices."""
    record = case_record.record_of(s, case_id=saved_id(case.id))
    return {
        "record": record,
        "agency_now": case_record.agency_status(s, record=record),
        "agency_choices": case_record.agency_choices(s),
        "referrals": case_record.referrals(s, case_id=saved_id(case.id)),
        "partners": partners.list_partners(s, only_active=True),
        "canned": partners.list_canned(s, only_active=True),
        "ILO_LABELS": ILO_LABELS, "PASSPORT_LABELS": PASSPORT_LABELS, "OUTCOME_LABELS": OUTCOME_LABELS,
        "PARTNER_KIND_LABELS": PARTNER_KIND_LABELS, "LICENCE_LABELS": LICENCE_LABELS,
        "INTAKE_FLAGS": case_record.INTAKE_FLAGS, "today": dt.date.today(),
    }


def canned_text(s: Session, key: str) -> str | None:
    """The text of an active canned reply picked by its key (the reply form works without JavaScript)."""
    row = partners.canned_by_key(s, key=key)
    return row.text if row else None


@router.post("/cases/{case_id}/klasifikasi")
def reclassify(request: Request, case_id: RowId, staff: CsrfChecked, category: Annotated[str, Form(max_length=30)],
               priority: Annotated[str, Form(max_length=20)],
               reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    sla = request.app.state.settings.sla
    minutes = sla.targets(priority).first_response if priority in ("emergency", "high", "normal") else None
    with _uow(request) as s:
        case_record.reclassify(s, case_id=case_id, officer=_officer(s, staff), category=category, priority=priority,
                               reason=reason, categories=tuple(CATEGORY_LABELS), first_response_minutes=minutes)
    return _back(case_id, "reclassified", "klasifikasi")


@router.post("/cases/{case_id}/data")
def save_record(request: Request, case_id: RowId, staff: CsrfChecked,
                destination_country: Annotated[str, Form(max_length=200)] = "",
                destination_city: Annotated[str, Form(max_length=200)] = "",
                employer: Annotated[str, Form(max_length=400)] = "",
                agency: Annotated[str, Form(max_length=400)] = "",
                passport_holder: Annotated[str, Form(max_length=20)] = "",
                ilo: Annotated[list[str] | None, Form(max_length=20)] = None) -> Response:
    # the suggestion list fills "NAME — licence number": the number picks the agency exactly
    name, _, licence = agency.partition(" — ")
    with _uow(request) as s:
        changed = case_record.save_record(
            s, case_id=case_id, officer=_officer(s, staff), destination_country=destination_country,
            destination_city=destination_city, employer=employer, agency=name,
            agency_licence_key=normalise_licence(licence) if licence.strip() else "",
            passport_holder=passport_holder, ilo_indicators=ilo or [])
    return _back(case_id, "record" if changed else "record_same", "data-kasus")


@router.post("/cases/{case_id}/intake")
def edit_intake(request: Request, case_id: RowId, staff: CsrfChecked, key: Annotated[str, Form(max_length=30)],
                value: Annotated[str, Form(max_length=4000)] = "") -> Response:
    answer: str | bool | None = value
    if key in case_record.INTAKE_FLAGS:
        answer = {"ya": True, "tidak": False}.get(value)
    with _uow(request) as s:
        changed = case_record.edit_intake(s, case_id=case_id, officer=_officer(s, staff), key=key, value=answer,
                                          allowed_keys=tuple(INTAKE_LABELS))
    return _back(case_id, "intake" if changed else "intake_same", "intake")


@router.post("/cases/{case_id}/rujukan")
def add_referral(request: Request, case_id: RowId, staff: CsrfChecked,
                 partner_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)], referred_on: Annotated[dt.date, Form()],
                 note: Annotated[str, Form(max_length=8000)] = "") -> Response:
    with _uow(request) as s:
        case_record.add_referral(s, case_id=case_id, officer=_officer(s, staff), partner_id=partner_id,
                                 referred_on=referred_on, note=note)
    return _back(case_id, "referred", "rujukan")


@router.post("/cases/{case_id}/rujukan/{referral_id}/hasil")
def referral_outcome(request: Request, case_id: RowId, referral_id: RowId, staff: CsrfChecked,
                     outcome: Annotated[str, Form(max_length=20)],
                     outcome_on: Annotated[dt.date | None, Form()] = None) -> Response:
    with _uow(request) as s:
        case_record.set_referral_outcome(s, case_id=case_id, referral_id=referral_id, officer=_officer(s, staff),
                                         outcome=outcome, outcome_on=outcome_on)
    return _back(case_id, "outcome", "rujukan")
