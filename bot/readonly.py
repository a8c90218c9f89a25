"""A flow context for commands that must not write: classify and agencies check."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.service import build_context, load_sample_registry, to_registry_agency
from bot.settings import Settings
from flows.context import FlowContext, RegistryInfo
from knowledge.agencies import AgencyIndex
from storage import registry
from storage.db import make_engine
from sqlmodel import Session

log = logging.getLogger(__name__)


def readonly_context(settings: Settings) -> FlowContext:
    """The flows' context with the imported registry, or the sample one if none is readable."""
    ctx = build_context(settings)
    agencies, info = [], RegistryInfo(None, True)
    try:
        db = make_engine(settings.database_url)
        with Session(db) as s:
            batch = registry.current_batch(s)
            if batch is not None:
                agencies = [to_registry_agency(r) for r in registry.current_agencies(s)]
                info = RegistryInfo(batch.imported_at.date(), batch.is_sample)
        db.dispose()
    except SQLAlchemyError:
        log.info("no readable registry in the database; using the sample registry")
    if not agencies:
        agencies = load_sample_registry(settings)
    ctx.agencies = AgencyIndex(agencies)
    ctx.registry = info
    return ctx
