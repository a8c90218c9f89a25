"""Evidence in the console: officers open what a reporter sent from the case page.

    GET /console/cases/{case_id}/evidence/{evidence_id}          images shown, voice notes played
    GET /console/cases/{case_id}/evidence/{evidence_id}?unduh=1  always a download

Whoever may open the case page may open its evidence (any active console account, as
`storage.case_detail.detail`), and every opening is a case event (EVENT_KIND), written before a
byte is served. What a file is comes from its content, read again here (bot.channels.media
.detect), not from the type stored with it, so a file stored before detection existed — an
HTML page kept as ".png" — is still only ever a download. Only photos are shown inline, audio
goes to the page's player, everything else is an attachment; the console middleware adds
`nosniff`, `no-store` and the CSP, and this route sets `nosniff` itself as well. A stored path
outside the evidence folder (a hand-edited row, a symlink) is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse

from bot.web.auth import StaffUser
from bot.web.console_pages import RowId
from bot.web.errors import LoginRequired
from bot.channels import MediaError, media
from bot.settings import PROJECT_ROOT
from storage import access, cases, repo
from storage.db import unit_of_work
from storage.errors import CaseForbidden
from storage.models import Evidence, Officer

log = logging.getLogger(__name__)

EVENT_KIND = "evidence_viewed"
NOT_FOUND = "Bukti tidak ditemukan."
NOT_STORED = "Berkas bukti ini belum tersimpan di server (masih diunduh dari saluran, atau gagal diunduh)."
REFUSED = "Berkas bukti ini tidak bisa dibuka dari konsol. Hubungi admin."
NOT_YOURS = "Kasus ini tidak untuk Anda. Bukti hanya bisa dibuka oleh petugas yang menanganinya atau supervisor."
DOWNLOAD_TYPE = "application/octet-stream"

router = APIRouter(prefix="/console")


@dataclass(frozen=True)
class Served:
    """How one stored file goes out."""

    path: Path
    content_type: str  # detected from the content; DOWNLOAD_TYPE when not recognised
    media_type: str  # the response's Content-Type
    inline: bool
    filename: str


def evidence_folder(request: Request) -> Path:
    return media.evidence_root(request.app.state.settings.media.evidence_dir, PROJECT_ROOT)


def serving(path: Path, *, claimed: str, name: str, download: bool) -> Served:
    """Decide from the file's first bytes how it is served."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(media.SNIFF_BYTES)
    try:
        content_type, extension = media.detect(head, claimed=claimed, complete=size <= len(head))
    except MediaError:
        content_type, extension = DOWNLOAD_TYPE, ".bin"
    shown = media.presentation(content_type)
    inline = not download and shown in ("image", "audio")
    if content_type in media.MARKUP_TYPES or content_type == DOWNLOAD_TYPE:
        media_type = DOWNLOAD_TYPE  # markup is never given a type a browser would render
    elif content_type == "text/plain":
        media_type = "text/plain; charset=utf-8"
    else:
        media_type = content_type
    return Served(path, content_type, media_type, inline, f"{name}{extension}")


def _first_request(request: Request) -> bool:
    """Not the continuation of a player's range requests (those would log one listening many times)."""
    wanted = request.headers.get("range", "").replace(" ", "").lower()
    return not wanted or wanted.startswith("bytes=0-")


@router.get("/cases/{case_id}/evidence/{evidence_id}")
def view_evidence(request: Request, case_id: RowId, evidence_id: RowId, staff: StaffUser,
                  unduh: Annotated[int, Query(ge=0, le=1)] = 0) -> FileResponse:
    root = evidence_folder(request)
    with unit_of_work(request.app.state.service.db) as s:
        officer = s.get(Officer, staff.officer_id)
        if officer is None:
            raise LoginRequired()
        if not officer.active:
            raise CaseForbidden("Akun petugas ini sudah dinonaktifkan.")
        case = cases.get_case(s, case_id=case_id)
        if access.access_to(case, officer) is not access.Access.FULL:
            # evidence belongs to the full case: the attempt is audited, committed with this unit of work
            access.record_denied(s, case=case, officer=officer, what=f"bukti #{evidence_id}")
            refused = True
        else:
            refused = False
    if refused:
        raise HTTPException(403, NOT_YOURS)
    with unit_of_work(request.app.state.service.db) as s:
        officer = s.get(Officer, staff.officer_id)
        assert officer is not None
        case = cases.get_case(s, case_id=case_id)
        row = s.get(Evidence, evidence_id)
        if row is None or row.case_id != case.id:
            raise HTTPException(404, NOT_FOUND)
        if not row.stored_path:
            raise HTTPException(404, NOT_STORED)
        path = media.stored_file(root, row.stored_path)
        if path is None:
            log.warning("evidence %s of case %s: stored path is missing or outside the evidence folder",
                        row.id, case.number)
            raise HTTPException(403, REFUSED)
        served = serving(path, claimed=row.content_type, name=f"{case.number}-bukti-{row.id}", download=bool(unduh))
        if _first_request(request):
            # in the same unit of work as the checks: no file leaves without its audit line
            how = "dibuka" if served.inline else "diunduh"
            repo.add_case_event(s, case_id=case.id, kind=EVENT_KIND, actor=officer.username,
                                detail=f"bukti #{row.id} ({served.content_type}) {how}")
    return FileResponse(served.path, media_type=served.media_type, filename=served.filename,
                        content_disposition_type="inline" if served.inline else "attachment",
                        headers={"X-Content-Type-Options": "nosniff"})
