"""Case search, filters, paging and saved views, within what each officer may see (issue 15, point 4)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.web.app import create_app
from storage import case_search, registry
from storage.db import unit_of_work
from storage.models import Case, Officer
from tests.bot.console_util import add_staff, csrf_of, login
from tests.bot.people_util import claim_as, make_case

REVOKED = "PT Uji Coba Sejahtera Abadi"  # fictional agencies loaded for these tests only
ACTIVE = "PT Uji Coba Karya Mandiri"


@pytest.fixture
def client(settings, service):
    with TestClient(create_app(settings, service)) as c:
        yield c


def numbers(html: str) -> list[str]:
    body = html.split('id="search-rows"', 1)[1] if 'id="search-rows"' in html else ""
    return re.findall(r'<tr class="case-row[^"]*" data-case="([^"]+)"', body)


def load_registry(service: Any) -> None:
    rows = [{"name": REVOKED, "licence_no": "KEP.UJI/001/2020", "licence_key": "KEPUJI0012020", "status": "dicabut",
             "valid_until": dt.date(2030, 1, 1), "address": "", "province": "", "countries": [], "extra": {}},
            {"name": ACTIVE, "licence_no": "KEP.UJI/002/2021", "licence_key": "KEPUJI0022021", "status": "aktif",
             "valid_until": dt.date(2099, 1, 1), "address": "", "province": "", "countries": [], "extra": {}}]
    with unit_of_work(service.db) as s:
        registry.replace_registry(s, rows=rows, file_name="uji.csv", imported_by="test")


def test_search_finds_a_case_by_agency_name_and_shows_its_licence_status(client) -> None:
    service = client.app.state.service
    load_registry(service)
    add_staff(service, "sri", role="supervisor")
    add_staff(service, "ani")
    named = make_case(service, urn="whatsapp:+6281200000021", text="gaji tidak dibayar",
                      intake={"what": "gaji tidak dibayar", "who": f"agennya {REVOKED.upper()} di Batam"})
    make_case(service, urn="whatsapp:+6281200000022", text="gaji tidak dibayar juga")
    login(client, "sri")
    page = client.get("/console/cari", params={"q": "uji coba sejahtera"}).text
    assert numbers(page) == [named.number]
    agencies = page.split('id="agencies"', 1)[1].split("</section>", 1)[0]
    assert REVOKED in agencies and "Izin dicabut" in agencies  # the registry's status, beside the case
    assert ACTIVE not in agencies
    assert "Izin dicabut" in page.split(f'data-case="{named.number}"', 1)[1].split("</tr>", 1)[0]

    # an officer who has not taken the case cannot learn what its intake says
    with TestClient(client.app) as ani:
        login(ani, "ani")
        assert numbers(ani.get("/console/cari", params={"q": "uji coba sejahtera"}).text) == []
    claim_as(service, named.id, "ani")
    with TestClient(client.app) as ani:
        login(ani, "ani")
        assert numbers(ani.get("/console/cari", params={"q": "uji coba sejahtera"}).text) == [named.number]


def test_search_finds_a_case_by_phone_number_written_any_way(client) -> None:
    service = client.app.state.service
    add_staff(service, "sri", role="supervisor")
    add_staff(service, "ani")
    case = make_case(service, urn="whatsapp:+6281200000031", text="paspor ditahan majikan")
    make_case(service, urn="whatsapp:+6281200000032", text="paspor ditahan majikan")
    login(client, "sri")
    for typed in ("081200000031", "+62 812-0000-0031", "6281200000031"):
        assert numbers(client.get("/console/cari", params={"q": typed}).text) == [case.number], typed
    with TestClient(client.app) as ani:  # the number of a case not taken is not searchable for an officer
        login(ani, "ani")
        assert numbers(ani.get("/console/cari", params={"q": "081200000031"}).text) == []


def test_search_finds_a_case_by_number_and_by_words_in_the_messages(client) -> None:
    service = client.app.state.service
    add_staff(service, "sri", role="supervisor")
    first = make_case(service, urn="telegram:700000041", text="saya terlantar di pelabuhan",
                      messages=("kapal ke Tanjung Balai Karimun sudah berangkat",))
    second = make_case(service, urn="telegram:700000042", text="saya terlantar di bandara")
    login(client, "sri")
    assert numbers(client.get("/console/cari", params={"q": second.number}).text) == [second.number]
    assert numbers(client.get("/console/cari", params={"q": second.number.lower()}).text) == [second.number]
    assert numbers(client.get("/console/cari", params={"q": "Balai Karimun"}).text) == [first.number]
    assert numbers(client.get("/console/cari", params={"q": "terlantar"}).text) == [second.number, first.number]
    assert numbers(client.get("/console/cari", params={"q": "100%"}).text) == []  # LIKE wildcards are text


def test_filters_and_paging(client, service) -> None:
    add_staff(service, "sri", role="supervisor")
    base = dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    made = []
    for i in range(30):
        made.append(make_case(service, urn=f"telegram:7100000{i:02d}", text=f"laporan nomor {i}",
                              category="wages" if i % 3 else "violence", priority="high" if i % 2 else "normal",
                              intake={"what": "x", "where": "Kuala Lumpur, Malaysia" if i < 20 else "Hong Kong"},
                              created=base + dt.timedelta(days=i)))
    with unit_of_work(service.db) as s:
        sri = s.exec(select(Officer).where(Officer.username == "sri")).one()
        everything = case_search.search(s, query=case_search.CaseQuery(page_size=7), officer=sri)
        assert everything.total == 30 and everything.pages == 5 and len(everything.cases) == 7
        assert everything.cases[0].number == made[-1].number  # newest first
        seen = []
        for page in range(1, 6):
            got = case_search.search(s, query=case_search.CaseQuery(page=page, page_size=7), officer=sri)
            seen += [c.number for c in got.cases]
        assert sorted(seen) == sorted(c.number for c in made) and len(set(seen)) == 30  # every case once
        violence_high = case_search.search(s, query=case_search.CaseQuery(category="violence", priority="high"),
                                           officer=sri)
        assert {c.number for c in violence_high.cases} == {made[i].number for i in range(30) if i % 3 == 0 and i % 2}
        to_malaysia = case_search.search(s, query=case_search.CaseQuery(destination="malaysia", page_size=100),
                                         officer=sri)
        assert to_malaysia.total == 20
        march = case_search.search(s, query=case_search.CaseQuery(
            created_from=base + dt.timedelta(days=5), created_to=base + dt.timedelta(days=8)), officer=sri)
        assert [c.number for c in march.cases] == [made[7].number, made[6].number, made[5].number]

    claim_as(service, made[4].id, "sri")
    login(client, "sri")
    # the page: the filters in the query string, 50 a page from the settings, local calendar days inclusive
    page = client.get("/console/cari", params={"status": "claimed", "petugas": "saya"}).text
    assert numbers(page) == [made[4].number]
    page = client.get("/console/cari", params={"dari": "2026-03-06", "sampai": "2026-03-08"}).text
    assert numbers(page) == [made[7].number, made[6].number, made[5].number]
    page = client.get("/console/cari", params={"kategori": "wages"}).text
    assert len(numbers(page)) == 20 and 'id="search-count" data-total="20"' in page


def test_paging_links_carry_the_filters(client, service) -> None:
    add_staff(service, "sri", role="supervisor")
    for i in range(55):  # more than one page of 50
        make_case(service, urn=f"telegram:7200000{i:02d}", text=f"uang potongan gaji {i}", category="wages")
    login(client, "sri")
    first = client.get("/console/cari", params={"q": "potongan", "kategori": "wages"}).text
    assert len(numbers(first)) == 50
    found = re.search(r'<a href="([^"]+)" rel="next"', first)
    assert found
    link = found.group(1).replace("&amp;", "&")
    assert "q=potongan" in link and "kategori=wages" in link
    second = client.get(link).text
    assert len(numbers(second)) == 5 and not set(numbers(second)) & set(numbers(first))


def test_saved_views_belong_to_their_officer(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    make_case(service, urn="telegram:700000051", text="saya dipukul majikan", category="violence", priority="high")
    login(client, "ani")
    page = client.get("/console/cari", params={"kategori": "violence", "prioritas": "high"}).text
    r = client.post("/console/cari/tampilan", data={"csrf_token": csrf_of(page), "name": "Kekerasan tinggi",
                                                    "kategori": "violence", "prioritas": "high"}, follow_redirects=False)
    assert r.status_code == 303
    listing = client.get("/console/cari").text
    found = re.search(r'<a href="([^"]+)">Kekerasan tinggi</a>', listing)
    assert found
    link = found.group(1).replace("&amp;", "&")
    assert len(numbers(client.get(link).text)) == 1
    found = re.search(r'/console/cari/tampilan/(\d+)/hapus', listing)
    assert found
    view_id = found.group(1)
    with TestClient(client.app) as budi:
        budi_token = login(budi, "budi")
        assert "Kekerasan tinggi" not in budi.get("/console/cari").text
        budi.post(f"/console/cari/tampilan/{view_id}/hapus", data={"csrf_token": budi_token})
    assert "Kekerasan tinggi" in client.get("/console/cari").text  # budi could not delete it
    client.post(f"/console/cari/tampilan/{view_id}/hapus", data={"csrf_token": csrf_of(listing)})
    assert "Kekerasan tinggi" not in client.get("/console/cari").text


def test_an_officers_search_never_shows_another_officers_or_a_restricted_case(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    budis = make_case(service, urn="telegram:700000061", text="gaji ditahan agen sejak januari")
    claim_as(service, budis.id, "budi")
    open_one = make_case(service, urn="telegram:700000062", text="gaji ditahan agen sejak februari")
    hidden = make_case(service, urn="telegram:700000063", text="gaji ditahan agen sejak maret")
    with unit_of_work(service.db) as s:
        case = s.get(Case, hidden.id)
        assert case is not None
        case.restricted = True  # what a supervisor's "batasi" sets (tested in test_console_people.py)
        s.add(case)
    login(client, "ani")
    assert numbers(client.get("/console/cari", params={"q": "gaji ditahan"}).text) == [open_one.number]
    assert numbers(client.get("/console/cari", params={"q": budis.number}).text) == []
    assert 'data-total="1"' in client.get("/console/cari", params={"kategori": "wages"}).text


def test_the_agency_on_the_case_record_links_the_case_to_the_registry(client) -> None:
    """A case whose only link to the agency is the record an officer filled in (its licence key)."""
    from storage.models import CaseRecord

    service = client.app.state.service
    load_registry(service)
    add_staff(service, "sri", role="supervisor")
    recorded = make_case(service, urn="whatsapp:+6281200000081", text="gaji ditahan agen", category="wages")
    make_case(service, urn="whatsapp:+6281200000082", text="gaji ditahan agen", category="wages")
    with unit_of_work(service.db) as s:
        s.add(CaseRecord(case_id=recorded.id or 0, agency_name=REVOKED, agency_licence_no="KEP.UJI/001/2020",
                         agency_licence_key="KEPUJI0012020", destination_country="Malaysia"))
    login(client, "sri")
    page = client.get("/console/cari", params={"q": "PT Uji Coba Sejahtera"}).text
    assert numbers(page) == [recorded.number]
    assert "Izin dicabut" in page.split(f'data-case="{recorded.number}"', 1)[1].split("</tr>", 1)[0]
    assert numbers(client.get("/console/cari", params={"tujuan": "malaysia"}).text) == [recorded.number]
