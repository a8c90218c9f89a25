"""Cases made straight in the database for the confidentiality, person and search tests.

The addresses are placeholders in the style the other tests use (+62812000000xx), not anyone's number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from storage import case_detail, cases, repo
from storage.db import unit_of_work
from storage.models import Case, Officer
from tests import scenario_rows


def make_case(service: Any, *, urn: str, text: str, category: str = "wages", priority: str = "normal",
              name: str = "", intake: dict[str, Any] | None = None, created: dt.datetime | None = None,
              messages: tuple[str, ...] = ()) -> Case:
    """A contact (by URN), its conversation, the reporter's messages and an open case."""
    channel, address = urn.split(":", 1)
    with unit_of_work(service.db) as s:
        contact = scenario_rows.contact_for_update(s, urn=urn, channel=channel, address=address, display_name=name)
        conv = scenario_rows.conversation_of(s, contact_id=contact.id)  # type: ignore[arg-type]
        for said in (text, *messages):
            repo.log_message(s, conversation_id=conv.id, direction="in", text=said, author="user")  # type: ignore[arg-type]
        case = repo.open_case(s, contact_id=contact.id, conversation_id=conv.id,  # type: ignore[arg-type]
                              category=category, priority=priority, emergency=priority == "emergency",
                              summary=text[:500], intake=intake or {"what": text}, consent_share=True,
                              safe_to_reply=True, sla_minutes=60, now=created)
        return case


def claim_as(service: Any, case_id: int | None, username: str) -> None:
    assert case_id is not None
    with unit_of_work(service.db) as s:
        officer = s.exec(select(Officer).where(Officer.username == username)).one()
        cases.claim(s, case_id=case_id, officer=officer)


def events_of(service: Any, case_id: int | None) -> list[tuple[str, str]]:
    assert case_id is not None
    with unit_of_work(service.db) as s:
        return [(e.kind, e.actor) for e in case_detail.events(s, case_id=case_id)]
