"""The web chat at /try through FastAPI's TestClient."""

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app


@pytest.fixture
def client(settings, service):
    with TestClient(create_app(settings, service)) as c:
        yield c


def send(client, text, session="sess-abcdef12", message_id=""):
    return client.post("/try/api/messages", json={"session": session, "text": text, "message_id": message_id})


def test_page_is_served_with_its_script(client) -> None:
    r = client.get("/try")
    assert r.status_code == 200
    assert "webchat.js" in r.text
    assert client.get("/static/webchat.js").status_code == 200


def test_greeting_returns_menu_buttons(client) -> None:
    r = send(client, "halo")
    assert r.status_code == 200
    reply = r.json()["replies"][0]
    assert [b["payload"] for b in reply["buttons"]] == ["menu:faq", "menu:licence", "menu:report", "menu:human"]


def test_button_payload_is_accepted_as_text(client) -> None:
    send(client, "halo")
    reply = send(client, "menu:faq").json()["replies"][0]
    assert "tulis pertanyaan" in reply["text"]


def test_retried_post_with_the_same_message_id_is_handled_once(client) -> None:
    first = send(client, "halo", message_id="abc123").json()
    again = send(client, "halo", message_id="abc123").json()
    assert first["replies"] and again == {"duplicate": True, "replies": []}


def test_poll_returns_only_messages_after_the_given_id(client) -> None:
    send(client, "halo")
    send(client, "apa syarat jadi pmi")
    msgs = client.get("/try/api/messages", params={"session": "sess-abcdef12", "after": 0}).json()["messages"]
    assert len(msgs) == 2
    later = client.get("/try/api/messages", params={"session": "sess-abcdef12", "after": msgs[0]["id"]}).json()
    assert [m["id"] for m in later["messages"]] == [msgs[1]["id"]]


@pytest.mark.parametrize("body", [
    {"session": "x", "text": "halo"},  # session too short
    {"session": "bad session!!", "text": "halo"},
    {"text": "halo"},
    {"session": "sess-abcdef12", "text": "x" * 5000},
])
def test_malformed_requests_get_4xx(client, body) -> None:
    assert 400 <= client.post("/try/api/messages", json=body).status_code < 500


def test_non_json_and_oversized_bodies_get_4xx(client) -> None:
    assert client.post("/try/api/messages", content=b"\xff\xfe", headers={"content-type": "application/json"}).status_code == 422
    big = b"{" + b" " * (300 * 1024) + b"}"
    assert client.post("/try/api/messages", content=big, headers={"content-type": "application/json"}).status_code == 413


def test_health_endpoints(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_metrics_count_messages_and_read_cases_from_the_database(client) -> None:
    send(client, "halo")
    send(client, "tolong saya dikurung majikan", session="sess-other-123")
    body = client.get("/metrics").text
    assert 'helpdesk_messages_total{channel="web",direction="in"} 2.0' in body
    assert 'helpdesk_open_cases{priority="emergency"} 1.0' in body
    assert "helpdesk_handling_seconds_bucket" in body
    assert "helpdesk_outbox_backlog" in body


def test_metrics_show_deliveries_waiting_in_the_inbox(client) -> None:
    from bot.inbox import accept
    from flows.messages import Inbound

    assert "helpdesk_inbox_backlog 0.0" in client.get("/metrics").text
    accept(client.app.state.service.db, Inbound("whatsapp", "+62811", "SM1", "halo"))  # no channel runs to take it
    body = client.get("/metrics").text
    assert "helpdesk_inbox_backlog 1.0" in body
    age = next(line for line in body.splitlines() if line.startswith("helpdesk_inbox_oldest_seconds "))
    assert float(age.split()[1]) > 0


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(client) -> None:
    def chunks():
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post("/try/api/messages", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
