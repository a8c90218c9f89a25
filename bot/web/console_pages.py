"""The staff console at /console: what its pages share, and its installation on the app.

Routes stay thin: they check the session (bot/web/auth.py), call the case services
(storage/cases.py) in one unit of work, and render or redirect. Every POST needs the
session's CSRF token. Templates autoescape everything; transcripts are user input and are
never marked safe. The queue refreshes itself by short polling (bot/web/static/console.js).

The routes live in bot/console_*.py by what they hold: login (console_login), the queue
(console_queue), the case page and its actions (console_case), accounts and the unanswered
questions (console_officers), and the later features; `install` mounts them in that order.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated, Any, ContextManager
from zoneinfo import ZoneInfo

import anyio.from_thread
from fastapi import Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web import auth
from bot.web.errors import LoginRequired
from storage import access
from storage.db import unit_of_work
from storage.models import Officer, utcnow

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
# GET paths that are fetched by script: an expired session answers 401, not the login page
_SCRIPT_PATHS = ("/console/queue/rows", "/console/queue.json")


MAX_ROW_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer): a larger one is a 422, never a 500
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


# --- plumbing ------------------------------------------------------------------------------------


def _service(request: Request) -> Any:
    return request.app.state.service


def _uow(request: Request) -> ContextManager[Session]:
    return unit_of_work(_service(request).db)


def _officer(s: Session, staff: auth.Staff) -> Officer:
    officer = s.get(Officer, staff.officer_id)
    if officer is None:
        raise LoginRequired()
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


def _safe_next(target: str | None) -> str:
    # only our own console pages: never an open redirect
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


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
