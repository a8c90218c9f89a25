"""The editable case record (issue 15, point 6): officers correct the bot's guess, fill the fields the
office reports, refer to partners; admins keep the canned replies and the partners."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.web.app import create_app
from storage.db import read_session
from storage.models import Agency, Case, CaseEvent, CaseRecord
from tests.bot.console_util import add_staff, csrf_of, login, web_report


@pytest.fixture
def client(settings, service):  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings, service)) as c:
        yield c


def events(service, case_id: int, kind: str) -> list[CaseEvent]:  # type: ignore[no-untyped-def]
    with read_session(service.db) as s:
        return list(s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def stored_case(service, case_id: int) -> Case:  # type: ignore[no-untyped-def]
    with read_session(service.db) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def queue_ids(client) -> list[int]:  # type: ignore[no-untyped-def]
    return [c["id"] for c in client.get("/console/queue.json").json()["cases"]]


def two_reports(client) -> list[int]:  # type: ignore[no-untyped-def]
    for session in ("sess-record-a", "sess-record-b"):
        with TestClient(client.app) as person:  # two people: the web chat knows a person by their cookie
            web_report(person, session=session)
    return queue_ids(client)


def test_priority_correction_needs_a_reason_is_audited_and_reorders_the_queue(client) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    token = login(client, "kepala")
    first, second = two_reports(client)
    for case_id in (first, second):  # claimed: their first-response deadlines no longer move, only the rank
        client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
    before = stored_case(service, first)
    lower = "normal" if before.priority != "normal" else "high"
    assert stored_case(service, second).priority == before.priority  # the same report twice: the same guess

    # no reason: refused, nothing changes
    r = client.post(f"/console/cases/{first}/klasifikasi", data={"csrf_token": token, "category": before.category,
                                                                 "priority": lower, "reason": "  "})
    assert r.status_code == 409
    assert stored_case(service, first).priority == before.priority and queue_ids(client) == [first, second]

    reason = "Pelapor sudah di rumah keluarga, tidak dalam bahaya"
    r = client.post(f"/console/cases/{first}/klasifikasi", data={"csrf_token": token, "category": "wages",
                                                                 "priority": lower, "reason": reason},
                    follow_redirects=False)
    assert r.status_code == 303
    after = stored_case(service, first)
    assert (after.category, after.priority, after.emergency) == ("wages", lower, False)
    assert queue_ids(client) == [second, first]  # the queue follows the officer's priority
    [priority_event] = events(service, first, "priority")
    assert priority_event.actor == "kepala" and before.priority in priority_event.detail
    assert lower in priority_event.detail and reason in priority_event.detail
    category_events = [e for e in events(service, first, "category") if e.actor == "kepala"]
    assert len(category_events) == 1 and reason in category_events[0].detail
    page = client.get(f"/console/cases/{first}").text
    assert 'data-kind="priority"' in page and reason in page


def test_only_the_assignee_or_a_supervisor_corrects_a_case(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    web_report(client, session="sess-record-c")
    ani = login(client, "ani")
    case_id = queue_ids(client)[0]
    client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": ani})
    before = stored_case(service, case_id)
    with TestClient(client.app) as other:
        budi = login(other, "budi")
        r = other.post(f"/console/cases/{case_id}/klasifikasi",
                       data={"csrf_token": budi, "category": "other", "priority": "normal", "reason": "salah"})
        assert r.status_code == 403
        r = other.post(f"/console/cases/{case_id}/data", data={"csrf_token": budi, "employer": "X"})
        assert r.status_code == 403
    after = stored_case(service, case_id)
    assert (after.category, after.priority) == (before.category, before.priority)
    assert events(service, case_id, "priority") == [] and events(service, case_id, "record") == []
    # the assignee may
    r = client.post(f"/console/cases/{case_id}/klasifikasi", data={"csrf_token": ani, "category": "other",
                                                                   "priority": "normal", "reason": "salah kategori"})
    assert stored_case(service, case_id).category == "other"


def revoked_agency(service) -> Agency:  # type: ignore[no-untyped-def]
    with read_session(service.db) as s:
        agency = s.exec(select(Agency).where(Agency.status == "dicabut")).first()
        assert agency is not None, "the sample registry has a revoked agency"
        return agency


def test_structured_fields_are_saved_audited_and_shown_with_the_agencys_licence(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    web_report(client, session="sess-record-d")
    token = login(client, "ani")
    case_id = queue_ids(client)[0]
    client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
    agency = revoked_agency(service)
    page = client.get(f"/console/cases/{case_id}").text
    assert f'value="{agency.name} — {agency.licence_no}"' in page  # offered from the registry

    form = {"csrf_token": token, "destination_country": "Malaysia", "destination_city": "Johor Bahru",
            "employer": "Kilang Sawit Maju", "agency": f"{agency.name} — {agency.licence_no}",
            "passport_holder": "employer", "ilo": ["retention_of_documents", "withholding_of_wages", "isolation"]}
    r = client.post(f"/console/cases/{case_id}/data", data=form, follow_redirects=False)
    assert r.status_code == 303
    with read_session(service.db) as s:
        record = s.get(CaseRecord, case_id)
        assert record is not None
        assert (record.destination_country, record.destination_city, record.employer) == (
            "Malaysia", "Johor Bahru", "Kilang Sawit Maju")
        assert record.agency_licence_key == agency.licence_key and record.passport_holder == "employer"
        assert set(record.ilo_indicators) == {"retention_of_documents", "withholding_of_wages", "isolation"}
    [event] = events(service, case_id, "record")
    assert "Johor Bahru" in event.detail and agency.name in event.detail and event.actor == "ani"

    page = client.get(f"/console/cases/{case_id}").text
    shown = re.search(r'<dd id="rec-agency">(.*?)</dd>', page, re.DOTALL)
    assert shown and agency.name in shown.group(1) and agency.licence_no in shown.group(1)
    assert "licence-bad" in shown.group(1)  # a revoked licence is marked, not shown as fine
    assert sorted(re.findall(r'<li data-ilo="([a-z_]+)"', page)) == sorted(form["ilo"])
    assert re.findall(r'name="ilo" value="([a-z_]+)" checked', page) == [
        i for i in re.findall(r'name="ilo" value="([a-z_]+)"', page) if i in form["ilo"]]
    assert len(re.findall(r'name="ilo" value=', page)) == 11  # the eleven ILO indicators

    # saving the same again records nothing; an agency the registry does not hold is kept, flagged
    client.post(f"/console/cases/{case_id}/data", data=form)
    assert len(events(service, case_id, "record")) == 1
    client.post(f"/console/cases/{case_id}/data", data={**form, "agency": "PT Calo Tanpa Izin"})
    shown = re.search(r'<dd id="rec-agency">(.*?)</dd>', client.get(f"/console/cases/{case_id}").text, re.DOTALL)
    assert shown and "PT Calo Tanpa Izin" in shown.group(1) and "licence-none" in shown.group(1)
    r = client.post(f"/console/cases/{case_id}/data", data={**form, "ilo": ["made_up"]})
    assert r.status_code == 409


def test_intake_answers_are_corrected_with_old_and_new_value_in_the_trail(client) -> None:
    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    web_report(client, session="sess-record-e")
    token = login(client, "kepala")
    case_id = queue_ids(client)[0]
    old = stored_case(service, case_id).intake.get("where")
    r = client.post(f"/console/cases/{case_id}/intake", data={"csrf_token": token, "key": "where",
                                                              "value": "Taman Universiti, Skudai"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert stored_case(service, case_id).intake["where"] == "Taman Universiti, Skudai"
    [event] = events(service, case_id, "intake_edited")
    assert "Taman Universiti, Skudai" in event.detail and (old is None or str(old) in event.detail)
    client.post(f"/console/cases/{case_id}/intake", data={"csrf_token": token, "key": "safe_reply", "value": "tidak"})
    assert stored_case(service, case_id).safe_to_reply is False
    r = client.post(f"/console/cases/{case_id}/intake", data={"csrf_token": token, "key": "password", "value": "x"})
    assert r.status_code == 409


def test_referral_to_a_partner_with_its_outcome_and_dates(client) -> None:
    service = client.app.state.service
    add_staff(service, "admin", role="admin")
    web_report(client, session="sess-record-f")
    token = login(client, "admin")
    r = client.post("/console/admin/mitra", data={"csrf_token": token, "name": "Shelter Uji Coba", "kind": "ngo",
                                                  "country": "Malaysia"}, follow_redirects=False)
    assert r.status_code == 303
    case_id = queue_ids(client)[0]
    page = client.get(f"/console/cases/{case_id}").text
    partner_id = re.search(r'<option value="(\d+)">Shelter Uji Coba', page)
    assert partner_id
    client.post(f"/console/cases/{case_id}/rujukan", data={"csrf_token": token, "partner_id": partner_id.group(1),
                                                           "referred_on": "2026-11-20", "note": "surat 7/XI"})
    page = client.get(f"/console/cases/{case_id}").text
    referral = re.search(r'data-referral="(\d+)"', page)
    assert referral and "20-11-2026" in page
    r = client.post(f"/console/cases/{case_id}/rujukan/{referral.group(1)}/hasil",
                    data={"csrf_token": token, "outcome": "accepted", "outcome_on": "2026-11-19"})
    assert r.status_code == 409  # an outcome before the referral
    client.post(f"/console/cases/{case_id}/rujukan/{referral.group(1)}/hasil",
                data={"csrf_token": token, "outcome": "accepted", "outcome_on": "2026-11-22"})
    page = client.get(f"/console/cases/{case_id}").text
    assert 'class="outcome o-accepted"' in page and "22-11-2026" in page
    [event] = events(service, case_id, "referral_outcome")
    assert "Shelter Uji Coba" in event.detail and "2026-11-22" in event.detail


@pytest.mark.parametrize("role", ["officer", "supervisor"])
def test_only_admins_manage_canned_replies_and_partners(client, role) -> None:
    service = client.app.state.service
    add_staff(service, "ani", role=role)
    token = login(client, "ani")
    for path in ("/console/admin/balasan", "/console/admin/mitra"):
        assert client.get(path).status_code == 403
    r = client.post("/console/admin/balasan", data={"csrf_token": token, "title": "x", "text": "y"})
    assert r.status_code == 403
    r = client.post("/console/admin/mitra", data={"csrf_token": token, "name": "x", "kind": "ngo"})
    assert r.status_code == 403
    r = client.post("/console/admin/balasan/1/hapus", data={"csrf_token": token})
    assert r.status_code == 403
    with TestClient(client.app) as admin:
        add_staff(service, "root", role="admin")
        login(admin, "root")
        page = admin.get("/console/admin/balasan").text
        assert len(re.findall(r'data-canned="', page)) == 8  # the eight replies that were hard-coded before


def test_a_canned_reply_an_admin_adds_is_offered_and_sent_and_a_deleted_one_is_gone(client) -> None:
    service = client.app.state.service
    add_staff(service, "root", role="admin")
    token = login(client, "root")
    text = "Kami sudah menghubungi shelter terdekat; mohon tunggu kabar dari kami di chat ini."
    client.post("/console/admin/balasan", data={"csrf_token": token, "title": "Kabar shelter", "text": text})
    page = client.get("/console/admin/balasan").text
    key = re.search(r'data-canned="(b\d+)"', page)
    assert key
    web_report(client, session="sess-record-g")
    case_id = queue_ids(client)[0]
    assert f'value="{key.group(1)}" data-text="{text}"' in client.get(f"/console/cases/{case_id}").text
    client.post(f"/console/cases/{case_id}/reply", data={"csrf_token": token, "text": "", "canned": key.group(1)})
    polled = client.get("/try/api/messages", params={"session": "sess-record-g"}).json()["messages"]
    assert polled[-1]["text"] == text
    canned_id = re.search(r'action="/console/admin/balasan/(\d+)/hapus" class="inline" data-confirm="Hapus balasan '
                          r'&quot;Kabar shelter', page)
    assert canned_id
    client.post(f"/console/admin/balasan/{canned_id.group(1)}/hapus", data={"csrf_token": token})
    assert key.group(1) not in client.get(f"/console/cases/{case_id}").text
    assert csrf_of(client.get("/console").text) == token


def test_raising_an_unclaimed_case_brings_its_first_response_deadline_forward(client) -> None:
    from tests.bot.people_util import make_case

    service = client.app.state.service
    add_staff(service, "kepala", role="supervisor")
    token = login(client, "kepala")
    case = make_case(service, urn="telegram:730000099", text="gaji belum dibayar tiga bulan", priority="normal")
    client.post(f"/console/cases/{case.id}/klasifikasi", data={"csrf_token": token, "category": "trafficking",
                                                               "priority": "emergency", "reason": "dikunci majikan"})
    after = stored_case(service, case.id)  # type: ignore[arg-type]
    minutes = client.app.state.settings.sla.targets("emergency").first_response
    created = after.created_at.replace(tzinfo=None)
    assert after.sla_due_at.replace(tzinfo=None) - created == dt.timedelta(minutes=minutes)
    assert after.emergency and after.priority_rank < case.priority_rank
