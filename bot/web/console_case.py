"""The case page and the actions on it: claim, assign, reply, note, refer, status, resolve, close.

    GET  /console/cases/{id}             the case (gated by bot/web/console_people.py: full, summary or 403)
    POST /console/cases/{id}/<action>    one unit of work each, then back to the case with a flash

Waiting, reopening and escalating are in bot/web/console_alerts.py; the editable record in
bot/web/console_record.py; confidentiality and the person in bot/web/console_people.py.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web import console_people, console_record
from bot.web.auth import CsrfChecked, StaffUser, Supervisor
from bot.web.console_pages import MAX_ROW_ID, RowId, _officer, _outbox_written, _render, _uow
from storage import access, case_detail, cases, officers

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console")

FLASH = {
    "claimed": "Kasus sudah Anda ambil.", "assigned": "Kasus sudah ditugaskan.",
    "replied": "Balasan masuk antrean kirim.", "note": "Catatan tersimpan.", "referral": "Rujukan tercatat.",
    "status": "Status diubah.", "resolved": "Kasus selesai; pelapor diminta memberi penilaian.",
    "closed": "Kasus ditutup.",
    "waiting": "Menunggu balasan pelapor sampai tanggal tindak lanjut.", "reopened": "Kasus dibuka kembali.",
    "escalated": "Kasus dieskalasi ke supervisor.",
}


def _back(case_id: int, flash: str) -> RedirectResponse:
    return RedirectResponse(f"/console/cases/{case_id}?ok={flash}", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: RowId, staff: StaffUser,
              ok: str = Query(default="", max_length=20)) -> Response:
    summary_only = console_people.gate(request, case_id=case_id, staff=staff, flash=ok)  # or 403, audited
    if summary_only is not None:
        return summary_only
    with _uow(request) as s:
        me = _officer(s, staff)
        info = case_detail.detail(s, case_id=case_id, officer=me)
        everyone = officers.list_officers(s)
        person = console_people.person_context(s, case=info.case, officer=me)
        record = console_record.record_context(s, case=info.case)  # the editable record, canned replies
    active = [o for o in everyone if o.active]
    actor_names = {"bot": "Bot", "user": "Pelapor", **{o.username: o.shown_name for o in everyone}}
    case = info.case
    may_act = staff.is_supervisor or case.assignee_id == staff.officer_id
    # "waiting" needs a follow-up date: its own form (bot/web/console_alerts.py, templates/_case_sla.html)
    moves = sorted(cases.TRANSITIONS.get(case.status, frozenset()) & {"claimed"}) if may_act else []
    if case.status == "new":
        moves = []  # a new case becomes "claimed" by claiming it, not by a status change
    return _render(request, "case.html", {
        "staff": staff, "csrf_token": staff.csrf_token, "d": info, "case": case, "officers": active,
        "actor_names": actor_names, "may_act": may_act, "moves": moves,
        "is_open": case.status in cases.OPEN_STATUSES, "flash": FLASH.get(ok, "") or console_people.FLASH.get(ok, "")
        or console_record.FLASH.get(ok, ""),
        **person, **record,
    })


@router.post("/cases/{case_id}/claim")
def claim_case(request: Request, case_id: RowId, staff: CsrfChecked) -> Response:
    with _uow(request) as s:
        cases.claim(s, case_id=case_id, officer=_officer(s, staff))
    return _back(case_id, "claimed")


@router.post("/cases/{case_id}/assign")
def assign_case(request: Request, case_id: RowId, staff: Supervisor, _: CsrfChecked,
                officer_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)]) -> Response:
    with _uow(request) as s:
        cases.assign(s, case_id=case_id, officer_id=officer_id, by=_officer(s, staff))
    return _back(case_id, "assigned")


@router.post("/cases/{case_id}/reply")
def reply_case(request: Request, case_id: RowId, staff: CsrfChecked, text: Annotated[str, Form(max_length=8000)] = "",
               canned: Annotated[str, Form(max_length=40)] = "") -> Response:
    with _uow(request) as s:
        if not text.strip() and canned:
            text = console_record.canned_text(s, canned) or text  # works without JavaScript: pick a canned text and send
        cases.reply_as_officer(s, case_id=case_id, officer=_officer(s, staff), text=text)
    log.info("officer reply queued for case id %s", case_id)
    _outbox_written(request)
    return _back(case_id, "replied")


@router.post("/cases/{case_id}/note")
def note_case(request: Request, case_id: RowId, staff: CsrfChecked,
              text: Annotated[str, Form(max_length=8000)] = "") -> Response:
    with _uow(request) as s:
        me = _officer(s, staff)
        case = cases.get_case(s, case_id=case_id)
        # a colleague may add what they know to a case they see in the queue, not to one hidden from them
        refused = access.access_to(case, me) is access.Access.NONE
        if refused:
            access.record_denied(s, case=case, officer=me, what="menulis catatan")
        else:
            cases.add_note(s, case_id=case_id, officer=me, text=text)
    if refused:  # after the unit of work, so the attempt stays in the audit trail
        raise HTTPException(403, "Kasus ini tidak untuk Anda.")
    return _back(case_id, "note")


@router.post("/cases/{case_id}/refer")
def refer_case(request: Request, case_id: RowId, staff: CsrfChecked, to: Annotated[str, Form(max_length=20)],
               note: Annotated[str, Form(max_length=8000)] = "") -> Response:
    with _uow(request) as s:
        cases.refer(s, case_id=case_id, officer=_officer(s, staff), to=to, note=note)
    return _back(case_id, "referral")


@router.post("/cases/{case_id}/status")
def status_case(request: Request, case_id: RowId, staff: CsrfChecked, status: Annotated[str, Form(max_length=20)],
                note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    with _uow(request) as s:
        cases.set_status(s, case_id=case_id, officer=_officer(s, staff), status=status, note=note,
                         rating_prompt=rating_prompt())
    _outbox_written(request)
    return _back(case_id, "status")


@router.post("/cases/{case_id}/resolve")
def resolve_case(request: Request, case_id: RowId, staff: CsrfChecked,
                 note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    with _uow(request) as s:
        cases.resolve(s, case_id=case_id, officer=_officer(s, staff), rating_prompt=rating_prompt(), note=note)
    _outbox_written(request)
    return _back(case_id, "resolved")


@router.post("/cases/{case_id}/close")
def close_case(request: Request, case_id: RowId, staff: CsrfChecked,
               note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    with _uow(request) as s:
        cases.close(s, case_id=case_id, officer=_officer(s, staff), note=note)
    return _back(case_id, "closed")


def rating_prompt() -> cases.RatingPrompt:
    from flows import rating

    return rating.prompt()
