"""The console's queue: the page, the rows it polls, its JSON, and supervisors' bulk spam actions.

    GET  /console               the queue page (filters and paging in the query string)
    GET  /console/queue/rows    the rows fragment the page polls (bot/web/static/console.js)
    GET  /console/queue.json    the same rows for scripts
    POST /console/queue/bulk    close selected cases as spam, or reopen them (supervisors)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import Field

from bot.web import auth
from bot.web.auth import CsrfChecked, StaffUser, Supervisor
from bot.web.console_pages import _officer, _render, _service, _uow
from bot.workers.scheduler import daily_summary
from storage import access, case_queue, case_spam, cases
from storage.models import utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console")


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
        page = case_queue.queue_page(s, page=view.page, page_size=page_size, include_closed=view.include_closed,
                                only_flagged=view.only_flagged, visible=access.visible_condition(_officer(s, staff)))
        staff_by_id = cases.officers_by_id(s, [c.assignee_id for c in page.cases])
        counts = cases.open_case_counts(s)
    assignees = {i: o.shown_name for i, o in staff_by_id.items()}
    view = replace(view, page=page.page)
    return {"rows": page.cases, "queue": page, "view": view, "assignees": assignees, "counts": counts,
            "include_closed": view.include_closed, "total_open": sum(counts.values())}


QUEUE_FLASH = {"spam": "{n} kasus ditutup sebagai spam. Untuk membatalkan: pilih kasusnya lalu \"Buka kembali\".",
               "reopen": "{n} kasus dibuka kembali dengan status sebelumnya.",
               "none": "Tidak ada kasus yang diubah: tutup sebagai spam hanya untuk kasus terbuka, buka kembali hanya "
                       "untuk kasus yang ditutup sebagai spam."}


@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, staff: StaffUser, view: QueueQuery, ok: str = Query(default="", max_length=10),
               jumlah: int = Query(default=0, ge=0, le=case_spam.MAX_BULK)) -> HTMLResponse:
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
    page: case_queue.QueuePage = data["queue"]
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
              case_ids: Annotated[list[CaseId] | None, Form(max_length=case_spam.MAX_BULK)] = None,
              semua: Annotated[int, Form(ge=0, le=1)] = 0, spam: Annotated[int, Form(ge=0, le=1)] = 0,
              halaman: Annotated[int, Form(ge=1, le=100_000)] = 1) -> Response:
    """Close the selected cases as spam, or reopen ones closed as spam: one audit event per case."""
    with _uow(request) as s:
        me = _officer(s, staff)
        act = case_spam.close_as_spam if action == "spam" else case_spam.reopen_spam
        changed = act(s, case_ids=case_ids or [], officer=me)
        numbers = [c.number for c in changed]
    log.info("supervisor bulk action %s on %d cases", action, len(numbers))
    view = QueueView(include_closed=bool(semua), page=halaman, only_flagged=bool(spam), select=True)
    back = view.url()
    return RedirectResponse(f"{back}{'&' if '?' in back else '?'}ok={action}&jumlah={len(numbers)}",
                            status_code=303)
