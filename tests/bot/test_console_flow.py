"""An officer answers a web chat report end to end: queue, case page, claim, reply, audit trail."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from tests.bot.console_util import LOCKED_IN, add_staff, csrf_of, first_case, login, web_report

SESSION = "sess-flow-0001"


@pytest.fixture
def client(settings, service):
    with TestClient(create_app(settings, service)) as c:
        yield c


def trail(html: str) -> list[str]:
    return re.findall(r'<li data-kind="([a-z_]+)"', html)


def test_officer_claims_and_answers_a_web_chat_report(client) -> None:
    add_staff(client.app.state.service, "ani")
    with TestClient(client.app) as other:  # another person (their own browser) with an ordinary case first
        web_report(other, text="saya mau bicara dengan petugas")
    first = web_report(client, text=LOCKED_IN, session=SESSION)
    assert "DARURAT" in first["replies"][0]["text"]
    seen_ids = [m["id"] for m in client.get("/try/api/messages", params={"session": SESSION}).json()["messages"]]

    login(client, "ani")
    queue = client.get("/console")
    case = first_case(client)
    assert case["emergency"] and case["status"] == "new"
    assert re.search(rf'<tr class="case-row emergency unclaimed" data-case="{case["number"]}"', queue.text)
    assert "DARURAT" in queue.text
    rows = client.get("/console/queue/rows").text  # what the page polls every 3 s
    assert re.findall(r'data-case="([^"]+)"', rows)[0] == case["number"]  # the emergency is the first row

    page = client.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200
    assert LOCKED_IN in page.text
    assert "Perdagangan orang" in page.text or "Paspor ditahan" in page.text  # Indonesian category label
    token = csrf_of(page.text)

    r = client.post(f"/console/cases/{case['id']}/claim", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    reply = "Kami sudah menghubungi KJRI. Apakah Anda bisa mengirim alamat rumah majikan?"
    r = client.post(f"/console/cases/{case['id']}/reply", data={"csrf_token": token, "text": reply},
                    follow_redirects=False)
    assert r.status_code == 303

    # the web chat page polls for new messages and gets the officer's reply
    polled = client.get("/try/api/messages", params={"session": SESSION, "after": max(seen_ids)}).json()["messages"]
    assert [m["text"] for m in polled] == [reply]

    page = client.get(f"/console/cases/{case['id']}")
    kinds = trail(page.text)
    assert kinds[:1] == ["created"]
    for kind in ("viewed", "claimed", "replied"):
        assert kind in kinds
    assert kinds.index("claimed") < kinds.index("replied")
    assert 'id="case-status" data-status="waiting"' in page.text
    assert client.get("/console/queue.json").json()["cases"][0]["assignee"] == "Ani"

    # the person answers; the case is back with the officer
    web_report(client, text="alamatnya di Jalan Merdeka 5, Johor Bahru", session=SESSION)
    assert 'data-status="claimed"' in client.get(f"/console/cases/{case['id']}").text


def test_canned_reply_is_sent_without_javascript(client) -> None:
    add_staff(client.app.state.service, "ani")
    web_report(client, session=SESSION)
    token = login(client, "ani")
    case = first_case(client)
    r = client.post(f"/console/cases/{case['id']}/reply", data={"csrf_token": token, "text": "", "canned": "lokasi"},
                    follow_redirects=False)
    assert r.status_code == 303
    polled = client.get("/try/api/messages", params={"session": SESSION}).json()["messages"]
    assert polled[-1]["text"].startswith("Jika aman, mohon kirim lokasi Anda")


def test_resolving_asks_the_web_chat_user_for_a_rating(client) -> None:
    add_staff(client.app.state.service, "ani")
    web_report(client, session=SESSION)
    token = login(client, "ani")
    case = first_case(client)
    client.post(f"/console/cases/{case['id']}/claim", data={"csrf_token": token})
    r = client.post(f"/console/cases/{case['id']}/resolve", data={"csrf_token": token, "note": "selesai"},
                    follow_redirects=False)
    assert r.status_code == 303
    last = client.get("/try/api/messages", params={"session": SESSION}).json()["messages"][-1]
    assert case["number"] in last["text"] and [b["payload"] for b in last["buttons"]][-1] == "rate:5"
    thanks = web_report(client, text="rate:5", session=SESSION)
    assert "Terima kasih atas penilaian" in thanks["replies"][0]["text"]
    page = client.get(f"/console/cases/{case['id']}?semua=1").text
    assert "5 dari 5" in page and "rated" in trail(page)


def test_an_illegal_action_shows_a_plain_error(client) -> None:
    service = client.app.state.service
    add_staff(service, "ani")
    add_staff(service, "budi")
    web_report(client, session=SESSION)
    with TestClient(client.app) as other:
        budi_token = login(other, "budi")
        case = first_case(other)
        other.post(f"/console/cases/{case['id']}/claim", data={"csrf_token": budi_token})
    token = login(client, "ani")
    r = client.post(f"/console/cases/{case['id']}/claim", data={"csrf_token": token})
    assert r.status_code == 409
    assert "sudah diambil petugas lain" in r.text
    r = client.post(f"/console/cases/{case['id']}/reply", data={"csrf_token": token, "text": "halo"})
    assert r.status_code == 403


def test_unanswered_questions_are_listed_for_curators(client) -> None:
    add_staff(client.app.state.service, "ani")
    client.post("/try/api/messages", json={"session": SESSION, "text": "menu:faq"})
    client.post("/try/api/messages", json={"session": SESSION, "text": "berapa harga tiket kapal feri ke bulan"})
    login(client, "ani")
    page = client.get("/console/unanswered")
    assert page.status_code == 200
    assert "berapa harga tiket kapal feri ke bulan" in page.text


def test_a_reply_the_channel_could_not_deliver_is_marked_on_the_case_page(client) -> None:
    from sqlmodel import select

    from storage.db import unit_of_work
    from storage.models import Outbox

    add_staff(client.app.state.service, "ani")
    web_report(client, session=SESSION)
    token = login(client, "ani")
    case = first_case(client)
    client.post(f"/console/cases/{case['id']}/reply", data={"csrf_token": token, "text": "Apakah Anda aman?"})
    page = client.get(f"/console/cases/{case['id']}").text
    assert "belum terkirim" not in page
    with unit_of_work(client.app.state.service.db) as s:  # what the dispatcher does after its last try
        row = s.exec(select(Outbox).where(Outbox.text == "Apakah Anda aman?")).one()
        row.status, row.last_error = "undelivered", "channel unreachable"
        s.add(row)
    page = client.get(f"/console/cases/{case['id']}").text
    assert "Pesan belum terkirim" in page
    assert re.search(r'class="msg out officer undelivered">.*?belum terkirim.*?Apakah Anda aman\?', page, re.S)


def test_a_reply_wakes_the_outbox_dispatcher(client) -> None:
    class Channels:
        pokes = 0

        def poke(self) -> None:
            Channels.pokes += 1

    client.app.state.channels = Channels()
    add_staff(client.app.state.service, "ani")
    web_report(client, session=SESSION)
    token = login(client, "ani")
    case = first_case(client)
    client.post(f"/console/cases/{case['id']}/reply", data={"csrf_token": token, "text": "Halo"})
    assert Channels.pokes == 1
