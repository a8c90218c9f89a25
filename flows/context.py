"""What flows need to know about the world, handed in once: knowledge, settings, the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from flows.signals import Signals, Understanding, read
from knowledge.agencies import AgencyIndex
from knowledge.faq_index import FaqIndex
from knowledge.kb import KnowledgeBase, render


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float
    margin: float


@dataclass(frozen=True)
class RegistryInfo:
    """How current the agency registry is, shown on every licence result card."""

    imported_at: dt.date | None
    is_sample: bool


@dataclass
class FlowContext:
    kb: KnowledgeBase
    index: FaqIndex
    values: Mapping[str, Mapping[str, Any]]  # placeholder values: contacts, office
    thresholds: Thresholds
    emergency_contacts: tuple[str, ...]
    service_name: str = "Migrant Center Kepri"
    agencies: AgencyIndex | None = None  # once a registry is loaded
    registry: RegistryInfo = field(default_factory=lambda: RegistryInfo(None, True))
    idle_reset: dt.timedelta = dt.timedelta(hours=4)
    today: Callable[[], dt.date] = dt.date.today
    understanding: Understanding | None = None  # the trained models; rules alone without them
    contacts_by_place: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def read(self, text: str) -> Signals:
        """What the rules and the models read in a message: once per turn."""
        return read(text, self.understanding)

    def contact_keys(self, place: str | None) -> tuple[str, ...]:
        """The emergency contacts in the order that fits where the person in danger is."""
        return self.contacts_by_place.get(place or "") or self.emergency_contacts

    def render(self, text: str) -> str:
        return render(text, self.values)
