"""The console's alert stream (Server-Sent Events) against the app served by uvicorn on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
from sqlmodel import col, select

from bot.web.app import create_app
from bot.service import build_service
from storage import cases
from storage.db import unit_of_work
from storage.models import Case, Officer
from tests.bot.console_util import LOCKED_IN, add_staff, login
from tests.browser import running
from tests.conftest import Chat

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """(event name, data) as the stream sends them; comments (keep-alives) skipped."""
    name, data = "message", ""
    for line in response.iter_lines():
        if line == "":
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()


def next_case_event(events: Iterator[tuple[str, dict]], number: str, kind: str) -> dict:
    for name, data in events:
        if name == "case" and data["case"] == number and data["kind"] == kind:
            return data
    raise AssertionError("stream ended before the event")


def test_a_connected_console_receives_a_new_emergency(settings, service) -> None:
    add_staff(service, "ani")
    with running(create_app(settings, service)) as base, httpx.Client(base_url=base, timeout=20) as client:
        login(client, "ani")
        with client.stream("GET", "/console/alerts/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response)
            assert next(events)[0] == "ready"  # connected: only what happens from now on comes
            Chat(service).say(LOCKED_IN)  # the engine commits the case; the stream reads it from the database
            with unit_of_work(service.db) as s:
                number = s.exec(select(Case.number).order_by(col(Case.id).desc())).first()
            event = next_case_event(events, number, "created")
    assert event["emergency"] and event["status"] == "new"
    assert event["alert"] and event["blink"] and event["case"] in event["text"]
    assert LOCKED_IN not in json.dumps(event)  # the person's words never travel in the stream


def test_a_stream_served_by_another_process_sees_the_case_and_its_claim(settings, service) -> None:
    """Two app instances on one database (two serve processes): the case opened through one is
    announced by the other, and so is its claim (the title stops blinking)."""
    ani_id = add_staff(service, "ani")
    other = build_service(settings, ctx=service.ctx)
    try:
        with running(create_app(settings, other)) as base, httpx.Client(base_url=base, timeout=20) as client:
            login(client, "ani")
            with client.stream("GET", "/console/alerts/stream") as response:
                events = sse_events(response)
                next(events)
                Chat(service).say(LOCKED_IN)
                created = next(data for name, data in events if name == "case" and data["kind"] == "created")
                with unit_of_work(service.db) as s:
                    cases.claim(s, case_id=created["case_id"], officer=s.get(Officer, ani_id))
                claimed = next_case_event(events, created["case"], "claimed")
    finally:
        other.db.dispose()
    assert claimed["status"] == "claimed" and not claimed["alert"]


def test_an_escalation_alerts_supervisors_only(settings, service) -> None:
    from bot.web import auth
    from bot.web.console_alerts import event_for
    from storage import case_sla
    from storage.case_sla import Alert

    alert = Alert(id=1, kind="escalated_to_supervisor", case_id=7, number="MC-2026-00007", priority="high",
                  emergency=False, status="claimed", assignee_id=3, detail="")
    officer = auth.Staff(3, "ani", "Ani", "officer", "x")
    supervisor = auth.Staff(4, "sri", "Sri", "supervisor", "x")
    assert event_for(alert, supervisor)["alert"] and not event_for(alert, officer)["alert"]
    assert "escalated_to_supervisor" in case_sla.ALERT_KINDS


def test_an_officer_hears_nothing_of_a_case_hidden_from_them() -> None:
    """The stream follows the queue's confidentiality: another officer's case, or a restricted one, is
    not even announced by number; supervisors hear of every case."""
    from bot.web import auth
    from bot.web.console_alerts import may_see
    from storage.case_sla import Alert

    def alert(assignee: int | None, restricted: bool) -> Alert:
        return Alert(id=1, kind="created", case_id=7, number="MC-2026-00007", priority="emergency", emergency=True,
                     status="new", assignee_id=assignee, detail="", restricted=restricted)

    ani = auth.Staff(3, "ani", "Ani", "officer", "x")
    sri = auth.Staff(4, "sri", "Sri", "supervisor", "x")
    assert may_see(alert(None, False), ani) and may_see(alert(3, True), ani)
    assert not may_see(alert(None, True), ani) and not may_see(alert(5, False), ani)
    assert all(may_see(alert(a, r), sri) for a in (None, 3, 5) for r in (False, True))


def test_the_stream_needs_a_session(settings, service) -> None:
    with running(create_app(settings, service)) as base, httpx.Client(base_url=base, timeout=20) as client:
        assert client.get("/console/alerts/stream").status_code == 401


def test_an_event_committed_after_a_later_one_still_reaches_the_stream(settings, service) -> None:
    """On PostgreSQL a transaction may take a lower id and commit after one with a higher id:
    the stream reads a little behind its last event, so that event is not skipped (nor sent twice)."""
    from storage.models import CaseEvent

    add_staff(service, "ani")
    Chat(service).say(LOCKED_IN)
    with unit_of_work(service.db) as s:
        case_id = s.exec(select(Case.id).order_by(col(Case.id).desc())).first()
        top = s.exec(select(CaseEvent.id).order_by(col(CaseEvent.id).desc())).first()
    with running(create_app(settings, service)) as base, httpx.Client(base_url=base, timeout=20) as client:
        login(client, "ani")
        with client.stream("GET", "/console/alerts/stream") as response:
            events = sse_events(response)
            next(events)
            with unit_of_work(service.db) as s:  # the later transaction commits first ...
                s.add(CaseEvent(id=top + 20, case_id=case_id, kind="sla_reminder", actor="bot"))
            first = next(data for name, data in events if name == "case")
            with unit_of_work(service.db) as s:  # ... then the earlier one, with the lower id
                s.add(CaseEvent(id=top + 10, case_id=case_id, kind="claimed", actor="ani"))
            with unit_of_work(service.db) as s:
                s.add(CaseEvent(id=top + 30, case_id=case_id, kind="assigned", actor="sri"))
            rest = []
            for name, data in events:
                if name == "case":
                    rest.append(data["kind"])
                if "assigned" in rest:
                    break
    assert first["kind"] == "sla_reminder"
    assert rest == ["claimed", "assigned"]  # the late one arrived, and nothing came twice
