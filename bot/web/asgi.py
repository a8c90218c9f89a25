"""The app for uvicorn workers (`helpdesk serve --workers N` runs `bot.web.asgi:create` in each).

The parent process has already migrated the database and loaded the sample registry, so
workers only connect.
"""

from __future__ import annotations

from fastapi import FastAPI

from bot.web.app import create_app
from bot.service import build_service
from bot.settings import load_settings


def create() -> FastAPI:
    settings = load_settings()
    return create_app(settings, build_service(settings, migrate=False, seed_sample=False))
