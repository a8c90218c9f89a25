"""Confidentiality of cases and the person behind several addresses (issue 15, points 3 and 5)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.web.app import create_app
from storage import people
from storage.db import unit_of_work
from storage.models import Case, Contact, PersonEvent
from tests.bot.console_util import add_staff, csrf_of, login
from tests.bot.people_util import claim_as, events_of, make_case

WA_ANI = "whatsapp:+6281200000011"
TG_ANI = "telegram:700000011"
FIRST_WORDS = "gaji saya belum dibayar empat bulan di kilang"
SECOND_MESSAGE = "majikan bilang kalau lapor polisi saya dipulangkan"


@pytest.fixture
def client(settings, service):
    with TestClient(create_app(settings, service)) as c:
        yield c


def trail(html: str) -> list[str]:
    return re.findall(r'<li data-kind="([a-z_]+)"', html)


# --- confidentiality -----------------------------------------------------------------------------


def test_an_officer_cannot_open_another_officers_restricted_case_and_the_attempt_is_audited(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    add_staff(service, "sri", role="supervisor")
    case = make_case(service, urn=WA_ANI, text=FIRST_WORDS, messages=(SECOND_MESSAGE,))
    claim_as(service, case.id, "ani")

    token = login(client, "ani")
    r = client.post(f"/console/cases/{case.id}/restrict", data={"csrf_token": token, "restricted": "1",
                                                                "reason": "korban TPPO, pelaku mencari"},
                    follow_redirects=False)
    assert r.status_code == 303
    with unit_of_work(service.db) as s:
        assert s.get(Case, case.id).restricted  # type: ignore[union-attr]
    assert ("restricted", "ani") in events_of(service, case.id)

    with TestClient(client.app) as budi:
        login(budi, "budi")
        page = budi.get(f"/console/cases/{case.id}")
        assert page.status_code == 403
        assert SECOND_MESSAGE not in page.text and FIRST_WORDS not in page.text
        assert "+6281200000011" not in page.text
    assert ("view_denied", "budi") in events_of(service, case.id)  # the refused attempt is in the trail

    with TestClient(client.app) as sri:  # supervisors still see it in full
        login(sri, "sri")
        page = sri.get(f"/console/cases/{case.id}")
        assert page.status_code == 200 and SECOND_MESSAGE in page.text
        assert "view_denied" in trail(page.text)


def test_another_officers_case_is_403_even_unrestricted(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    case = make_case(service, urn=WA_ANI, text=FIRST_WORDS)
    claim_as(service, case.id, "ani")
    login(client, "budi")
    assert client.get(f"/console/cases/{case.id}").status_code == 403
    # not in budi's queue either, nor in queue.json
    assert case.number not in client.get("/console").text
    assert case.number not in [c["number"] for c in client.get("/console/queue.json").json()["cases"]]
    assert ("view_denied", "budi") in events_of(service, case.id)


def test_a_colleague_may_note_a_case_in_the_queue_but_not_one_hidden_from_them(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    open_case = make_case(service, urn=WA_ANI, text=FIRST_WORDS)
    taken = make_case(service, urn=TG_ANI, text=SECOND_MESSAGE)
    claim_as(service, taken.id, "ani")
    token = login(client, "budi")
    r = client.post(f"/console/cases/{open_case.id}/note", data={"csrf_token": token, "text": "Saya kenal agennya."},
                    follow_redirects=False)
    assert r.status_code == 303 and ("note", "budi") in events_of(service, open_case.id)
    r = client.post(f"/console/cases/{taken.id}/note", data={"csrf_token": token, "text": "Catatan."},
                    follow_redirects=False)
    assert r.status_code == 403
    assert ("note", "budi") not in events_of(service, taken.id)
    assert ("view_denied", "budi") in events_of(service, taken.id)


def test_an_unassigned_case_shows_a_summary_without_number_or_messages_until_claimed(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    case = make_case(service, urn=WA_ANI, text=f"{FIRST_WORDS}, hubungi saya di 0812 0000 0011",
                     messages=(SECOND_MESSAGE,), intake={"what": FIRST_WORDS, "where": "Johor"})
    login(client, "ani")
    page = client.get(f"/console/cases/{case.id}")
    assert page.status_code == 200
    assert FIRST_WORDS in page.text  # the summary line
    assert "0812 0000 0011" not in page.text and "+6281200000011" not in page.text  # no phone number
    assert SECOND_MESSAGE not in page.text  # no message text
    assert "Johor" not in page.text  # no intake answers
    assert ("viewed", "ani") in events_of(service, case.id)  # a summary view is audited too
    assert "0812 0000 0011" not in client.get("/console").text  # nor in the queue's summary column

    r = client.post(f"/console/cases/{case.id}/claim", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/console/cases/{case.id}").text
    assert SECOND_MESSAGE in page and "+6281200000011" in page and "Johor" in page


def test_an_officer_cannot_claim_or_restrict_what_they_may_not_touch(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "sri", role="supervisor")
    case = make_case(service, urn=WA_ANI, text=FIRST_WORDS)
    with TestClient(client.app) as sri:
        token = login(sri, "sri")
        assert sri.post(f"/console/cases/{case.id}/restrict", data={"csrf_token": token, "restricted": "1"},
                        follow_redirects=False).status_code == 303
    token = login(client, "ani")
    assert client.get(f"/console/cases/{case.id}").status_code == 403  # restricted and unassigned: supervisors only
    assert client.post(f"/console/cases/{case.id}/claim", data={"csrf_token": token}).status_code == 403
    r = client.post(f"/console/cases/{case.id}/restrict", data={"csrf_token": token, "restricted": "0"})
    assert r.status_code == 403
    with unit_of_work(service.db) as s:
        stored = s.get(Case, case.id)
        assert stored.restricted and stored.assignee_id is None  # type: ignore[union-attr]
    assert [k for k, a in events_of(service, case.id) if a == "ani"].count("view_denied") == 2


# --- the person ----------------------------------------------------------------------------------


def test_merging_two_addresses_shows_both_histories(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "sri", role="supervisor")
    old = make_case(service, urn=TG_ANI, text="dulu paspor saya ditahan agen", category="passport")
    new = make_case(service, urn=WA_ANI, text=FIRST_WORDS)
    claim_as(service, new.id, "ani")
    token = login(client, "ani")
    assert old.number not in client.get(f"/console/cases/{new.id}").text  # two addresses, two strangers

    r = client.post(f"/console/cases/{new.id}/person/merge", data={"csrf_token": token, "ref": old.number},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/console/cases/{new.id}").text
    assert f'data-case="{old.number}"' in page  # the earlier case, from the other address
    assert "700000011" in page  # both addresses listed
    assert "person_merged" in trail(page)
    with unit_of_work(service.db) as s:
        assert [e.kind for e in s.exec(select(PersonEvent))] == ["merged"]

    with TestClient(client.app) as sri:  # and from the other side: the old case lists the new one
        sri_token = login(sri, "sri")
        other_side = sri.get(f"/console/cases/{old.id}").text
        assert f'data-case="{new.number}"' in other_side
        # an officer cannot undo a link; a supervisor can
        with unit_of_work(service.db) as s:
            tg = s.exec(select(Contact).where(Contact.urn == TG_ANI)).one()
        assert client.post(f"/console/cases/{new.id}/person/unmerge",
                           data={"csrf_token": token, "contact_id": tg.id}).status_code == 403
        r = sri.post(f"/console/cases/{new.id}/person/unmerge", data={"csrf_token": sri_token, "contact_id": tg.id},
                     follow_redirects=False)
        assert r.status_code == 303
    page = client.get(f"/console/cases/{new.id}").text
    assert f'data-case="{old.number}"' not in page
    assert "person_unmerged" in trail(page)


def test_history_never_lists_a_case_the_officer_may_not_open(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    budis = make_case(service, urn=TG_ANI, text="kasus lama yang ditangani budi")
    claim_as(service, budis.id, "budi")
    anis = make_case(service, urn=WA_ANI, text=FIRST_WORDS)
    claim_as(service, anis.id, "ani")
    token = login(client, "ani")
    client.post(f"/console/cases/{anis.id}/person/merge", data={"csrf_token": token, "ref": "telegram:700000011"})
    page = client.get(f"/console/cases/{anis.id}").text
    assert budis.number not in page
    assert "1 laporan lain orang ini ditangani petugas lain" in page


def test_an_expired_risk_flag_is_not_shown(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    case = make_case(service, urn=WA_ANI, text=FIRST_WORDS)
    claim_as(service, case.id, "ani")
    long_ago = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with unit_of_work(service.db) as s:
        contact = s.get(Contact, case.contact_id)
        assert contact is not None
        # set a year ago for a month: long expired now
        people.add_flag(s, contact=contact, kind="borrowed_phone", note="", expires_at=long_ago + dt.timedelta(days=30),
                        officer_name="ani", now=long_ago)
    token = login(client, "ani")
    page = client.get(f"/console/cases/{case.id}").text
    assert 'data-flag="borrowed_phone"' not in page

    until = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    r = client.post(f"/console/cases/{case.id}/person/flags", data={"csrf_token": token, "kind": "tppo_victim",
                                                                   "until": until}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/console/cases/{case.id}").text
    assert 'data-flag="tppo_victim"' in page and 'data-flag="borrowed_phone"' not in page
    assert "risk_flag" in trail(page)
