"""Builds the running service from settings: database, knowledge, flows. Used by the CLI and the web app."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Engine as SqlEngine

from bot.settings import PROJECT_ROOT, Settings
from bot.events import EventSink
from flows.context import FlowContext, RegistryInfo, Thresholds
from flows.signals import DangerBands, Understanding
from flows.engine import Engine
from knowledge import kb as kb_module
from knowledge import nlu
from knowledge.agencies import Agency as RegistryAgency
from knowledge.agencies import AgencyIndex
from knowledge.faq_index import FaqIndex
from storage import registry
from storage.db import make_engine, read_session, unit_of_work
from storage.models import Agency

log = logging.getLogger(__name__)


def to_registry_agency(row: Agency) -> RegistryAgency:
    return RegistryAgency(name=row.name, licence_no=row.licence_no, status=row.status, valid_until=row.valid_until,
                          address=row.address, province=row.province, countries=tuple(row.countries),
                          extra=dict(row.extra))


def to_row(a: RegistryAgency) -> dict:
    from knowledge.agencies import normalise_licence

    return {"name": a.name, "licence_no": a.licence_no, "licence_key": normalise_licence(a.licence_no),
            "status": a.status, "valid_until": a.valid_until, "address": a.address, "province": a.province,
            "countries": list(a.countries), "extra": dict(a.extra)}


def load_sample_registry(settings: Settings) -> list[RegistryAgency]:
    from knowledge.registry_file import read_registry

    read = read_registry(PROJECT_ROOT / settings.registry.sample_file)
    if read.errors:
        raise RuntimeError(f"sample registry is invalid: {read.errors[:3]}")
    return read.agencies


@dataclass
class Service:
    settings: Settings
    db: SqlEngine
    ctx: FlowContext
    engine: Engine
    events: EventSink

    def reload_registry(self) -> None:
        """Read the current registry from the database (after an import)."""
        self.ctx.agencies, self.ctx.registry = registry_index(self.settings, self.db)


def registry_index(settings: Settings, db: SqlEngine) -> tuple[AgencyIndex, RegistryInfo]:
    """The imported registry and how current it is; the fictional sample while none is imported."""
    with read_session(db) as s:
        batch = registry.current_batch(s)
        agencies = [to_registry_agency(r) for r in registry.current_agencies(s)] if batch else []
        info = RegistryInfo(batch.imported_at.date(), batch.is_sample) if batch else RegistryInfo(None, True)
    if not agencies:
        agencies, info = load_sample_registry(settings), RegistryInfo(None, True)
    return AgencyIndex(agencies), info


def build_context(settings: Settings, today: Callable[[], dt.date] = dt.date.today) -> FlowContext:
    kb = kb_module.load()
    m, u = settings.matching, settings.understanding
    understanding = Understanding(nlu.load(kb), DangerBands(u.danger_high, u.danger_low))
    return FlowContext(
        kb=kb,
        index=FaqIndex(kb),
        values=settings.placeholder_values(),
        thresholds=Thresholds(m.answer, m.suggest, m.margin),
        emergency_contacts=tuple(settings.emergency_contacts),
        contacts_by_place={place: tuple(keys) for place, keys in settings.emergency_contacts_by_place.items()},
        service_name=settings.service.name,
        idle_reset=dt.timedelta(minutes=settings.conversation.idle_reset_minutes),
        today=today,
        understanding=understanding,
    )


def build_service(settings: Settings, *, migrate: bool = True, seed_sample: bool = True,
                  ctx: FlowContext | None = None, read_registry: bool = True) -> Service:
    db = make_engine(settings.database_url)
    if migrate:
        from storage.migrate import upgrade_to_head  # alembic is slow to import; only when migrating

        upgrade_to_head(db)
    if seed_sample:
        ensure_registry(settings, db)
    ctx = ctx or build_context(settings)
    events = EventSink()  # the engine reports to it; metrics, staff desk and console subscribe (bot/events.py)
    engine = Engine(db, ctx, settings.sla_minutes.model_dump(), on_case_event=events.case_event,
                    messages_per_minute=settings.limits.messages_per_minute)
    engine.observers.append(events.message_handled)
    service = Service(settings, db, ctx, engine, events)
    if read_registry:  # a rehearsal keeps the registry its context was given
        service.reload_registry()
    return service


def ensure_registry(settings: Settings, db: SqlEngine) -> None:
    """The embedded default: load the fictional sample registry when none was imported."""
    with unit_of_work(db) as s:
        if registry.current_batch(s) is not None:
            return
        agencies = load_sample_registry(settings)
        registry.replace_registry(s, rows=[to_row(a) for a in agencies], file_name=Path(settings.registry.sample_file).name,
                                  imported_by="sample", is_sample=True)
        log.info("loaded the sample agency registry (%d agencies, fictional)", len(agencies))
