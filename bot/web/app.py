"""The FastAPI application: web chat, webhooks, staff console, health."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from bot.web import auth
from bot.service import Service, build_service
from bot.settings import Settings
from storage import health

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
MAX_BODY = 256 * 1024  # no legitimate chat message or webhook is larger


class BodyLimit:
    """Refuse bodies over max_bytes with 413, whether announced by Content-Length or streamed in chunks."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # an HTTPException passes through FastAPI's body parsing and becomes the 413
                    raise HTTPException(413, "request body too large")
            return message

        await self.app(scope, limited_receive, send)


def workers_enabled() -> bool:
    """HELPDESK_WORKERS=off makes a web-only process (`helpdesk serve --no-workers` sets it)."""
    return os.environ.get("HELPDESK_WORKERS", "on").strip().lower() not in ("off", "0", "false", "no")


def create_app(settings: Settings, service: Service | None = None, *, workers: bool | None = None,
               web: bool = True) -> FastAPI:
    """The app. Its lifespan starts the channels and, with `workers` (the embedded default), the
    background loops and the scheduled jobs; `helpdesk worker` runs the same lifespan with `web` off."""
    service = service or build_service(settings)
    workers = workers_enabled() if workers is None else workers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from bot.workers import scheduler

        if workers:
            scheduler.start_scheduler(app)
        try:
            yield
        finally:
            scheduler.stop_scheduler(app)
            auth.shutdown(app)
            service.db.dispose()

    app = FastAPI(title="Migrant Center Kepri helpdesk", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = service
    app.state.settings = settings
    app.state.workers = workers
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    auth.install(app)  # the login guard and the password pool
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(x) for x in e["loc"]) for e in exc.errors()]
        return JSONResponse({"error": "invalid request", "fields": fields}, status_code=422)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        try:
            health.ping(service.db)
        except Exception as exc:  # the database is what "ready" means here
            log.warning("readiness check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ready", "kb_entries": len(service.ctx.kb.entries)})

    @app.get("/")
    def index() -> PlainTextResponse:
        return PlainTextResponse(f"{settings.service.name} helpdesk. Web chat: /try  Staff console: /console\n")

    from bot.web import metrics, webchat

    webchat.install(app)
    metrics.install(app)

    from bot.web import console, console_evidence

    console.install(app)
    from bot.web import console_account

    app.include_router(console_account.router)
    app.include_router(console_evidence.router)

    from bot.channels import wiring

    wiring.install(app, workers=workers, web=web)
    return app
