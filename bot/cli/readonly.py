"""A flow context for commands that must not write: classify and agencies check."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.service import build_context, load_sample_registry, registry_index
from bot.settings import Settings
from flows.context import FlowContext, RegistryInfo
from knowledge.agencies import AgencyIndex
from storage.db import make_engine

log = logging.getLogger(__name__)


def readonly_context(settings: Settings) -> FlowContext:
    """The flows' context with the imported registry, or the sample one if none is readable."""
    ctx = build_context(settings)
    db = make_engine(settings.database_url)
    try:
        ctx.agencies, ctx.registry = registry_index(settings, db)
    except SQLAlchemyError:  # no database or no tables yet: classify and check still answer
        log.info("no readable registry in the database; using the sample registry")
        ctx.agencies, ctx.registry = AgencyIndex(load_sample_registry(settings)), RegistryInfo(None, True)
    finally:
        db.dispose()
    return ctx
