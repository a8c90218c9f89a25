"""The staff console at /console: server-rendered pages and plain forms, usable on a phone.

Routes stay thin: they check the session (bot/auth.py), call the case services
(storage/cases.py) in one unit of work, and render or redirect. Every POST needs the
session's CSRF token. Templates autoescape everything; transcripts are user input and are
never marked safe. The queue refreshes itself by short polling (bot/static/console.js).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, ContextManager, Literal
from zoneinfo import ZoneInfo

import anyio.from_thread
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import Field
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import auth, console_totp
from bot.auth import CsrfChecked, StaffUser, Supervisor
from bot.passwords import hash_password, new_password
from bot.scheduler import daily_summary
from storage import access, cases, officers
from storage.db import unit_of_work
from storage.models import Officer, UnansweredQuestion, utcnow

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

CATEGORY_LABELS = {
    "trafficking": "Perdagangan orang (TPPO)",
    "violence": "Kekerasan",
    "wages": "Gaji tidak dibayar",
    "passport": "Paspor ditahan",
    "lost_contact": "Hilang kontak",
    "illegal_recruiter": "Perekrut/agen ilegal",
    "stranded": "Terlantar",
    "other": "Lainnya",
}
PRIORITY_LABELS = {"emergency": "Darurat", "high": "Tinggi", "normal": "Biasa"}
STATUS_LABELS = {"new": "Baru", "claimed": "Ditangani", "waiting": "Menunggu balasan pelapor",
                 "resolved": "Selesai", "closed": "Ditutup"}
ROLE_LABELS = {"officer": "Petugas", "supervisor": "Supervisor", "admin": "Admin"}
REFERRAL_LABELS = {"embassy": "KBRI/KJRI (perwakilan RI)", "police": "Polisi", "ngo": "LSM/organisasi pendamping"}
CHANNEL_LABELS = {"web": "Web chat", "whatsapp": "WhatsApp", "telegram": "Telegram", "cli": "CLI"}
EVENT_LABELS = {
    "created": "Dibuat", "viewed": "Dibuka", "evidence_viewed": "Bukti dibuka", "intake": "Jawaban pelapor",
    "category": "Kategori berubah", "claimed": "Diambil", "assigned": "Ditugaskan",
    "replied": "Dibalas", "note": "Catatan", "status": "Status diubah", "referral": "Dirujuk",
    "sla_reminder": "Pengingat SLA", "escalated_to_supervisor": "Dieskalasi ke supervisor",
    "escalated": "Dinaikkan ke darurat", "message": "Laporan tambahan", "rated": "Dinilai pelapor",
    "rating_skipped": "Penilaian tidak diminta", "telegram_topic_closed": "Topik Telegram ditutup",
    "telegram_topic_reopened": "Topik Telegram dibuka kembali",
    "flagged_spam": "Ditandai kemungkinan spam", "closed_as_spam": "Ditutup sebagai spam",
    "reopened": "Dibuka kembali",
    "exported": "Diekspor (ekspor kasus)",
    "view_denied": "Akses ditolak", "restricted": "Pembatasan akses", "person_merged": "Alamat digabung",
    "person_unmerged": "Alamat dipisah", "risk_flag": "Tanda risiko",
    "next_response_reminder": "Pengingat: pelapor belum dibalas", "resolution_overdue": "Lewat batas penyelesaian",
    "follow_up_set": "Tanggal tindak lanjut", "follow_up_due": "Tindak lanjut jatuh tempo",
    "priority": "Prioritas diubah", "record": "Data kasus diubah", "intake_edited": "Jawaban dikoreksi",
    "referral_outcome": "Hasil rujukan",
}
DELIVERY_LABELS = {"pending": "dalam antrean kirim", "sent": "terkirim", "delivered": "diterima",
                   "undelivered": "belum terkirim", "held": "ditahan: menunggu pelapor menulis lagi",
                   "released": "dikirim ulang"}
INTAKE_LABELS = {"what": "Apa yang terjadi", "where": "Di mana", "who": "Majikan/agen/pelaku",
                 "safe_now": "Aman sekarang?", "safe_reply": "Aman dibalas?", "consent": "Setuju data dibagikan?"}
FLASH = {
    "claimed": "Kasus sudah Anda ambil.", "assigned": "Kasus sudah ditugaskan.",
    "replied": "Balasan masuk antrean kirim.", "note": "Catatan tersimpan.", "referral": "Rujukan tercatat.",
    "status": "Status diubah.", "resolved": "Kasus selesai; pelapor diminta memberi penilaian.",
    "closed": "Kasus ditutup.",
    "waiting": "Menunggu balasan pelapor sampai tanggal tindak lanjut.", "reopened": "Kasus dibuka kembali.",
    "escalated": "Kasus dieskalasi ke supervisor.",
}
# GET paths that are fetched by script: an expired session answers 401, not the login page
_SCRIPT_PATHS = ("/console/queue/rows", "/console/queue.json")


MAX_ROW_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer): a larger one is a 422, never a 500
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]

router = APIRouter(prefix="/console")  # the scheduler starts in the app's lifespan (bot/app.py)


# --- plumbing ------------------------------------------------------------------------------------


def _service(request: Request) -> Any:
    return request.app.state.service


def _uow(request: Request) -> ContextManager[Session]:
    return unit_of_work(_service(request).db)


def _officer(s: Session, staff: auth.Staff) -> Officer:
    officer = s.get(Officer, staff.officer_id)
    if officer is None:
        raise auth.LoginRequired()
    return officer


def _local(request: Request, value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    tz = ZoneInfo(_service(request).settings.service.timezone)
    if value.tzinfo is None:  # stored UTC without an offset
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).strftime("%d-%m-%Y %H:%M")


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.console_templates
    base = {"service_name": _service(request).settings.service.name, "staff": None, "csrf_token": "",
            "when": lambda v: _local(request, v), "now": utcnow()}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _outbox_written(request: Request) -> None:
    """Wake the outbox dispatcher (bot/channels/wiring.py) so a reply leaves now, not at its next sweep."""
    channels = getattr(request.app.state, "channels", None)
    if channels is not None:
        # routes run in a worker thread; the dispatcher's asyncio event belongs to the event loop
        anyio.from_thread.run_sync(channels.poke)


def _back(case_id: int, flash: str) -> RedirectResponse:
    return RedirectResponse(f"/console/cases/{case_id}?ok={flash}", status_code=303)


def _safe_next(target: str | None) -> str:
    # only our own console pages: never an open redirect
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


@dataclass(frozen=True)
class QueueView:
    """Which part of the queue a page shows: its query string."""

    include_closed: bool = False
    page: int = 1
    only_flagged: bool = False  # only cases flagged "kemungkinan spam"
    select: bool = False  # checkboxes for bulk actions (supervisors); the rows are not live then

    def url(self, path: str = "/console", **changes: Any) -> str:
        view = replace(self, **changes)
        query = {"semua": int(view.include_closed), "spam": int(view.only_flagged), "pilih": int(view.select),
                 "halaman": view.page if view.page > 1 else 0}
        pairs = "&".join(f"{k}={v}" for k, v in query.items() if v)
        return path + (f"?{pairs}" if pairs else "")


def queue_view(semua: int = Query(default=0, ge=0, le=1), halaman: int = Query(default=1, ge=1, le=100_000),
               spam: int = Query(default=0, ge=0, le=1), pilih: int = Query(default=0, ge=0, le=1)) -> QueueView:
    return QueueView(include_closed=bool(semua), page=halaman, only_flagged=bool(spam), select=bool(pilih))


QueueQuery = Annotated[QueueView, Depends(queue_view)]


def _queue_rows(request: Request, view: QueueView, staff: auth.Staff | None = None) -> dict[str, Any]:
    page_size = request.app.state.settings.limits.queue_page_size
    staff = staff or auth.current_staff(request)
    with _uow(request) as s:
        # an officer's queue holds only the cases they may open (storage/access.py)
        page = cases.queue_page(s, page=view.page, page_size=page_size, include_closed=view.include_closed,
                                only_flagged=view.only_flagged, visible=access.visible_condition(_officer(s, staff)))
        staff_by_id = cases.officers_by_id(s, [c.assignee_id for c in page.cases])
        counts = cases.open_case_counts(s)
    assignees = {i: (o.display_name or o.username) for i, o in staff_by_id.items()}
    view = replace(view, page=page.page)
    return {"rows": page.cases, "queue": page, "view": view, "assignees": assignees, "counts": counts,
            "include_closed": view.include_closed, "total_open": sum(counts.values())}


# --- login ---------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = Query(default="/console", max_length=300)) -> Response:
    try:
        auth.current_staff(request)
        return RedirectResponse(_safe_next(next), status_code=303)
    except auth.LoginRequired:
        pass
    token = auth.login_csrf_token(request)
    response = _render(request, "login.html", {"csrf_token": token, "next": _safe_next(next), "error": ""})
    auth.set_login_csrf_cookie(request, response, token)
    return response


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(auth.login_csrf_protect)])
async def login_submit(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                       password: Annotated[str, Form(max_length=200)] = "",
                       next: Annotated[str, Form(max_length=300)] = "/console") -> Response:
    csrf = auth.login_csrf_token(request)
    try:
        token = await console_totp.authenticate(request, username=username, password=password, next_url=_safe_next(next))
    except auth.LoginThrottled as exc:
        minutes = max(1, (exc.retry_after + 59) // 60)
        error = (f"Terlalu banyak percobaan masuk yang gagal. Demi keamanan, coba lagi dalam {minutes} menit, "
                 "atau minta admin memeriksa akun Anda.")
        response: Response = _render(request, "login.html", {"csrf_token": csrf, "next": _safe_next(next),
                                                             "error": error, "username": username}, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if token is None:
        return _render(request, "login.html", {"csrf_token": csrf, "next": _safe_next(next), "username": username,
                                               "error": "Nama pengguna atau kata sandi salah."}, status_code=401)
    if request.cookies.get(auth.SESSION_COOKIE):
        await run_in_threadpool(auth.logout, request)  # a new login replaces, never keeps, an older session
    if isinstance(token, console_totp.SecondStep):  # the code, or enrolment, comes next (bot/console_totp.py)
        return console_totp.second_step_response(request, token)
    response = RedirectResponse(_safe_next(next), status_code=303)
    auth.set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, staff: CsrfChecked) -> Response:
    auth.logout(request)
    response = RedirectResponse("/console/login", status_code=303)
    auth.clear_session_cookie(response)
    return response


# --- queue ---------------------------------------------------------------------------------------


QUEUE_FLASH = {"spam": "{n} kasus ditutup sebagai spam. Untuk membatalkan: pilih kasusnya lalu \"Buka kembali\".",
               "reopen": "{n} kasus dibuka kembali dengan status sebelumnya.",
               "none": "Tidak ada kasus yang diubah: tutup sebagai spam hanya untuk kasus terbuka, buka kembali hanya "
                       "untuk kasus yang ditutup sebagai spam."}


@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, staff: StaffUser, view: QueueQuery, ok: str = Query(default="", max_length=10),
               jumlah: int = Query(default=0, ge=0, le=cases.MAX_BULK)) -> HTMLResponse:
    context = _queue_rows(request, replace(view, select=view.select and staff.is_supervisor), staff)
    flash = QUEUE_FLASH.get(ok if jumlah else "none", "").format(n=jumlah) if ok in QUEUE_FLASH else ""
    return _render(request, "queue.html", {**context, "staff": staff, "csrf_token": staff.csrf_token,
                                           "summary": daily_summary(_service(request), utcnow()),
                                           "flash": flash})


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, staff: StaffUser, view: QueueQuery) -> HTMLResponse:
    return _render(request, "_rows.html", {**_queue_rows(request, replace(view, select=False), staff), "staff": staff})


@router.get("/queue.json")
def queue_json(request: Request, staff: StaffUser, view: QueueQuery) -> JSONResponse:
    data = _queue_rows(request, view, staff)
    page: cases.QueuePage = data["queue"]
    now = utcnow()
    return JSONResponse({
        "counts": data["counts"], "page": page.page, "pages": page.pages, "page_size": page.page_size,
        "total": page.total, "shown": len(page.cases), "flagged_open": page.flagged_open,
        "cases": [{"id": c.id, "number": c.number, "priority": c.priority, "emergency": c.emergency,
                   "status": c.status, "category": c.category,
                   "assignee": data["assignees"].get(c.assignee_id),
                   "sla_due_at": c.sla_due_at.isoformat(), "overdue": c.status == "new" and c.sla_due_at <= now,
                   "suspected_spam": c.suspected_spam, "closed_as_spam": c.spam_closed_from is not None}
                  for c in page.cases]})


CaseId = Annotated[int, Field(ge=1, le=2**31 - 1)]


@router.post("/queue/bulk")
def bulk_spam(request: Request, staff: Supervisor, _: CsrfChecked, action: Annotated[Literal["spam", "reopen"], Form()],
              case_ids: Annotated[list[CaseId] | None, Form(max_length=cases.MAX_BULK)] = None,
              semua: Annotated[int, Form(ge=0, le=1)] = 0, spam: Annotated[int, Form(ge=0, le=1)] = 0,
              halaman: Annotated[int, Form(ge=1, le=100_000)] = 1) -> Response:
    """Close the selected cases as spam, or reopen ones closed as spam: one audit event per case."""
    with _uow(request) as s:
        me = _officer(s, staff)
        act = cases.close_as_spam if action == "spam" else cases.reopen_spam
        changed = act(s, case_ids=case_ids or [], officer=me)
        numbers = [c.number for c in changed]
    log.info("supervisor bulk action %s on %d cases", action, len(numbers))
    view = QueueView(include_closed=bool(semua), page=halaman, only_flagged=bool(spam), select=True)
    back = view.url()
    return RedirectResponse(f"{back}{'&' if '?' in back else '?'}ok={action}&jumlah={len(numbers)}",
                            status_code=303)


# --- case page and actions -----------------------------------------------------------------------


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: RowId, staff: StaffUser,
              ok: str = Query(default="", max_length=20)) -> Response:
    from bot import console_people, console_record  # import this module

    summary_only = console_people.gate(request, case_id=case_id, staff=staff, flash=ok)  # or 403, audited
    if summary_only is not None:
        return summary_only
    with _uow(request) as s:
        me = _officer(s, staff)
        info = cases.detail(s, case_id=case_id, officer=me)
        everyone = officers.list_officers(s)
        person = console_people.person_context(s, case=info.case, officer=me)
        record = console_record.record_context(s, case=info.case)  # the editable record, canned replies
    active = [o for o in everyone if o.active]
    actor_names = {"bot": "Bot", "user": "Pelapor", **{o.username: (o.display_name or o.username) for o in everyone}}
    case = info.case
    may_act = staff.is_supervisor or case.assignee_id == staff.officer_id
    # "waiting" needs a follow-up date: its own form (bot/console_alerts.py, templates/_case_sla.html)
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
    from bot.console_record import canned_text

    with _uow(request) as s:
        if not text.strip() and canned:
            text = canned_text(s, canned) or text  # works without JavaScript: pick a canned text and send
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


# --- curators and admins -------------------------------------------------------------------------


@router.get("/unanswered", response_class=HTMLResponse)
def unanswered_page(request: Request, staff: StaffUser) -> HTMLResponse:
    with _uow(request) as s:
        # read-only list for curators; newest first, bounded
        rows = list(s.exec(select(UnansweredQuestion).order_by(col(UnansweredQuestion.id).desc()).limit(300)))
    return _render(request, "unanswered.html", {"staff": staff, "csrf_token": staff.csrf_token, "rows": rows})


def _officers_page(request: Request, staff: auth.Staff, *, shown_password: tuple[str, str] | None = None,
                   error: str = "", status_code: int = 200) -> HTMLResponse:
    with _uow(request) as s:
        people = officers.list_officers(s)
    response = _render(request, "officers.html", {"staff": staff, "csrf_token": staff.csrf_token, "people": people,
                                                  "roles": officers.ROLES, "shown_password": shown_password,
                                                  "error": error}, status_code=status_code)
    return response


@router.get("/officers", response_class=HTMLResponse)
def officers_page(request: Request, staff: auth.Admin) -> HTMLResponse:
    return _officers_page(request, staff)


@router.post("/officers", response_class=HTMLResponse)
def add_officer(request: Request, staff: auth.Admin, _: CsrfChecked, username: Annotated[str, Form(max_length=200)],
                role: Annotated[str, Form(max_length=20)],
                display_name: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    password = new_password()
    try:
        with _uow(request) as s:
            officer = officers.add_officer(s, username=username, password_hash=hash_password(password), role=role,
                                           display_name=display_name.strip())
            created = officer.username
    except officers.OfficerError as exc:
        return _officers_page(request, staff, error=f"Akun tidak dibuat: {exc}", status_code=400)
    log.info("admin added a console account (role %s)", role)
    # shown once in this response, never stored in clear or put in a URL
    return _officers_page(request, staff, shown_password=(created, password))


@router.post("/officers/{officer_id}/active")
def set_officer_active(request: Request, officer_id: RowId, staff: auth.Admin, _: CsrfChecked,
                       active: Annotated[int, Form(ge=0, le=1)]) -> Response:
    if officer_id == staff.officer_id and not active:
        return _officers_page(request, staff, error="Anda tidak bisa menonaktifkan akun Anda sendiri.", status_code=400)
    with _uow(request) as s:
        target = s.get(Officer, officer_id)
        if target is None:
            raise HTTPException(404, "Akun tidak ditemukan.")
        officers.set_active(s, username=target.username, active=bool(active))
        if not active:
            auth.end_sessions_of(s, officer_id=officer_id)
    return RedirectResponse("/console/officers", status_code=303)


@router.post("/officers/{officer_id}/password", response_class=HTMLResponse)
def reset_password(request: Request, officer_id: RowId, staff: auth.Admin, _: CsrfChecked) -> HTMLResponse:
    password = new_password()
    try:
        with _uow(request) as s:
            username = auth.set_password(s, officer_id=officer_id, password_hash=hash_password(password)).username
    except officers.OfficerError:
        raise HTTPException(404, "Akun tidak ditemukan.") from None
    return _officers_page(request, staff, shown_password=(username, password))


# --- installation --------------------------------------------------------------------------------


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates" / "console"))
    env = templates.env
    assert env.autoescape, "console templates must autoescape: transcripts are user input"
    env.globals.update(CATEGORY_LABELS=CATEGORY_LABELS, PRIORITY_LABELS=PRIORITY_LABELS, STATUS_LABELS=STATUS_LABELS,
                       ROLE_LABELS=ROLE_LABELS, REFERRAL_LABELS=REFERRAL_LABELS, CHANNEL_LABELS=CHANNEL_LABELS,
                       EVENT_LABELS=EVENT_LABELS, DELIVERY_LABELS=DELIVERY_LABELS, INTAKE_LABELS=INTAKE_LABELS)
    env.globals.update(mask_phones=access.mask_phones)  # summaries of cases not taken: no phone numbers
    return templates


def install(app: FastAPI) -> None:
    """Mount the console on the app: routes, templates, error pages, security headers, the scheduler."""
    app.state.console_templates = _templates()

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> Response:
        scripted = request.url.path in _SCRIPT_PATHS or request.headers.get("x-requested-with")
        if request.method == "GET" and not scripted:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(f"/console/login?next={_quote(target)}", status_code=303)
        else:
            response = PlainTextResponse("Silakan masuk terlebih dahulu.", status_code=401)
        auth.clear_session_cookie(response)
        return response

    @app.exception_handler(cases.CaseError)
    async def case_error(request: Request, exc: cases.CaseError) -> Response:
        status = 404 if isinstance(exc, cases.CaseNotFound) else 403 if isinstance(exc, cases.CaseForbidden) else 409
        return _error_page(request, str(exc), status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/console") and exc.status_code in (403, 404):
            return _error_page(request, str(exc.detail), exc.status_code)
        return await http_exception_handler(request, exc)

    app.add_middleware(ConsoleHeaders)

    app.include_router(router)
    from bot import console_people, console_search  # confidentiality, the person, search (issue 15)

    app.include_router(console_people.router)
    app.include_router(console_search.router)
    from bot import console_alerts  # live alerts (SSE), waiting/reopen/escalate

    app.include_router(console_alerts.router)
    from bot import console_dashboard  # the supervisors' dashboard and reports (issue 16)

    app.include_router(console_dashboard.router)
    from bot import console_admin_lists, console_record  # the editable case record, canned replies, partners

    app.include_router(console_record.router)
    app.include_router(console_admin_lists.router)
    console_totp.install(app)  # the second factor's routes and code-step limits


# case data must not stay in a shared phone's cache or be framed by another site
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


class ConsoleHeaders:
    """Security headers on every /console response. Plain ASGI: the webhooks, which share the
    app, pay nothing for it (an @app.middleware("http") costs every request a task and a stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/console"):
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _error_page(request: Request, message: str, status_code: int) -> HTMLResponse:
    referer = request.headers.get("referer", "")
    back = "/console"
    if "/console/cases/" in referer:
        back = _safe_next("/console/cases/" + referer.split("/console/cases/", 1)[1].split("?", 1)[0])
    return _render(request, "error.html", {"message": message, "back": back}, status_code=status_code)
