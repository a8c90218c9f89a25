"""The web chat at /try through FastAPI's TestClient: history, the session cookie, headers."""

import datetime as dt
import hashlib

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import col, select

from bot.web.app import create_app
from storage import cases, officers
from storage.db import unit_of_work
from storage.models import Case, Contact, MessageLog, Outbox

API = "/try/api/messages"
COOKIE = "mc_webchat"


@pytest.fixture
def client(settings, service):
    with TestClient(create_app(settings, service)) as c:
        yield c


def send(client, text, message_id="", after=0):
    return client.post(API, json={"text": text, "message_id": message_id, "after": after})


def history(client, after=0):
    return client.get(API, params={"after": after}).json()["messages"]


def set_cookie_header(response) -> str:
    headers = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie" and v.startswith(COOKIE)]
    assert len(headers) == 1, headers
    return headers[0]


def officer_replies(client, text: str) -> None:
    """An officer answers the latest case the way the console does (storage.cases.reply_as_officer)."""
    service = client.app.state.service
    with unit_of_work(service.db) as s:
        ani = officers.add_officer(s, username="ani", password_hash="unused", role="officer")
        case = s.exec(select(Case).order_by(col(Case.id).desc())).first()
        cases.reply_as_officer(s, case_id=case.id, officer=ani, text=text)


def rows(client, model) -> list:
    with unit_of_work(client.app.state.service.db) as s:
        return list(s.exec(select(model)))


# --- the page ------------------------------------------------------------------------------------


def test_page_is_served_with_its_script_and_security_headers(client) -> None:
    r = client.get("/try")
    assert r.status_code == 200
    assert '<script src="/static/webchat.js"' in r.text and "<script>" not in r.text  # no inline script
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert client.get("/static/webchat.js").status_code == 200


def test_opening_the_page_writes_nothing_and_sets_no_cookie(client) -> None:
    page = client.get("/try")
    assert "Tanya prosedur kerja ke luar negeri" in page.text  # the welcome menu, drawn without a message
    polled = client.get(API)
    assert polled.json() == {"messages": []}
    assert "set-cookie" not in page.headers and "set-cookie" not in polled.headers
    assert rows(client, Contact) == [] and rows(client, MessageLog) == []


# --- the session cookie --------------------------------------------------------------------------


def test_first_message_gets_a_random_session_in_a_strict_http_only_cookie(client, settings) -> None:
    r = send(client, "halo")
    header = set_cookie_header(r).lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/try" in header
    assert f"max-age={settings.privacy.retention_days * 86400}" in header  # the server enforces the idle limit
    assert "secure" not in header  # the public URL is not https here
    token = client.cookies[COOKIE]
    assert len(token) >= 22  # 128 bits at least (url-safe base64)
    # the database holds only the secret's hash: a copy of it does not open anyone's chat
    (contact,) = rows(client, Contact)
    assert contact.address == hashlib.sha256(token.encode()).hexdigest() and token not in contact.urn


def test_two_browsers_get_different_sessions(client) -> None:
    send(client, "halo")
    first = client.cookies[COOKIE]
    client.cookies.clear()
    send(client, "halo")
    assert client.cookies[COOKIE] != first and len(rows(client, Contact)) == 2


def test_cookie_is_secure_when_the_public_url_is_https(settings, service) -> None:
    https = settings.model_copy(update={"secrets": settings.secrets.model_copy(
        update={"public_url": "https://chat.example.org"})})
    with TestClient(create_app(https, service)) as c:
        assert "secure" in set_cookie_header(send(c, "halo")).lower()


def test_a_session_named_in_the_url_or_body_or_made_up_is_not_used(client) -> None:
    send(client, "apa syarat jadi pmi")
    token = client.cookies[COOKIE]
    client.cookies.clear()
    assert client.get(API, params={"session": token}).json() == {"messages": []}
    r = client.post(API, json={"session": token, "text": "halo"})
    assert r.json()["new_session"] is True and client.cookies[COOKIE] != token
    with TestClient(client.app, cookies={COOKIE: "A" * 43}) as forged:  # well-formed, but never issued here
        assert forged.get(API).json() == {"messages": [], "expired": True}
    with TestClient(client.app, cookies={COOKIE: "A" * 43}) as forged:
        r = send(forged, "halo")
        assert r.json()["new_session"] is True and "A" * 43 not in set_cookie_header(r)


def test_api_answers_are_never_cached(client) -> None:
    for r in (send(client, "halo"), client.get(API), client.post(API, json={"text": ""})):
        assert r.headers["cache-control"] == "no-store", r.status_code


def test_expired_session_starts_a_new_conversation(client, settings) -> None:
    idle = dt.timedelta(minutes=settings.webchat.session_idle_minutes)
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        send(client, "apa syarat jadi pmi")
        old = client.cookies[COOKIE]
        clock.shift(idle - dt.timedelta(minutes=1))
        assert len(history(client)) == 2  # not idle long enough yet
        clock.shift(dt.timedelta(minutes=2))
        r = client.get(API)
        assert r.json() == {"messages": [], "expired": True}
        assert 'max-age=0' in set_cookie_header(r).lower()  # the browser drops it
        r = send(client, "halo", after=999)
        assert r.json()["new_session"] is True and client.cookies[COOKIE] != old
        assert [m["text"] for m in history(client) if m["from"] == "user"] == ["halo"]
    assert len(rows(client, Contact)) == 2  # the old conversation stays for the officers


def test_an_officer_answer_keeps_the_session_alive(client, settings) -> None:
    idle = dt.timedelta(minutes=settings.webchat.session_idle_minutes)
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        send(client, "halo")
        send(client, "menu:human")
        clock.shift(idle - dt.timedelta(hours=1))
        officer_replies(client, "Halo, saya petugas. Ada yang bisa dibantu?")
        clock.shift(dt.timedelta(hours=2))  # idle since the person wrote, not since the answer
        assert history(client)[-1]["text"] == "Halo, saya petugas. Ada yang bisa dibantu?"


# --- the conversation ----------------------------------------------------------------------------


def test_greeting_returns_menu_buttons(client) -> None:
    r = send(client, "halo")
    assert r.status_code == 200
    reply = r.json()["replies"][0]
    assert [b["payload"] for b in reply["buttons"]] == ["menu:faq", "menu:licence", "menu:report", "menu:human"]


def test_history_after_a_reload_has_both_sides_in_order(client) -> None:
    send(client, "halo")
    send(client, "apa syarat jadi pmi")
    shown = history(client)  # what a reloaded page asks for
    assert [m["from"] for m in shown] == ["user", "bot", "user", "bot"]
    assert [shown[0]["text"], shown[2]["text"]] == ["halo", "apa syarat jadi pmi"]
    assert [m["id"] for m in shown] == sorted(m["id"] for m in shown)
    # coming back later in a new tab: only the cookie is carried over
    with TestClient(client.app, cookies={COOKIE: client.cookies[COOKIE]}) as later:
        assert history(later) == shown


def test_a_pressed_button_shows_as_its_label(client) -> None:
    send(client, "halo")
    reply = send(client, "menu:faq").json()["replies"][0]
    assert "tulis pertanyaan" in reply["text"]
    assert history(client)[-2] == {"id": history(client)[-2]["id"], "from": "user",
                                   "text": "Tanya prosedur kerja ke luar negeri"}


def test_send_answers_with_everything_after_the_browsers_last_message(client) -> None:
    send(client, "halo")
    last = history(client)[-1]["id"]
    body = send(client, "apa syarat jadi pmi", after=last).json()
    assert [m["from"] for m in body["messages"]] == ["user", "bot"]
    assert body["messages"][0]["text"] == "apa syarat jadi pmi" and body["new_session"] is False


def test_officer_reply_is_labelled_as_an_officer_and_marked_delivered(client) -> None:
    send(client, "halo")
    send(client, "menu:human")
    seen = history(client)[-1]["id"]
    officer_replies(client, "Kami sudah menghubungi KJRI. Telepon kami di 0811-8080-141.")
    new = history(client, after=seen)
    assert new == [{"id": new[0]["id"], "from": "officer", "buttons": [],
                    "text": "Kami sudah menghubungi KJRI. Telepon kami di 0811-8080-141."}]
    officer_row = [o for o in rows(client, Outbox) if o.text.startswith("Kami sudah")][0]
    assert officer_row.status == "delivered"  # the console sees that the browser has it


def test_retried_post_with_the_same_message_id_is_handled_once(client) -> None:
    first = send(client, "halo", message_id="abc123").json()
    again = send(client, "halo", message_id="abc123").json()
    assert first["replies"] and again["duplicate"] is True and again["replies"] == []
    # the retry still brings what the lost answer held, and the message is stored once
    assert again["messages"] == first["messages"]
    assert [m["from"] for m in history(client)] == ["user", "bot"]


def test_message_ids_of_one_browser_do_not_collide_with_anothers(client) -> None:
    send(client, "halo", message_id="same-id-1")
    client.cookies.clear()
    assert send(client, "halo", message_id="same-id-1").json()["duplicate"] is False


def test_poll_returns_only_messages_after_the_given_id(client) -> None:
    send(client, "halo")
    send(client, "apa syarat jadi pmi")
    msgs = history(client)
    later = history(client, after=msgs[1]["id"])
    assert [m["id"] for m in later] == [m["id"] for m in msgs[2:]]


@pytest.mark.parametrize("body", [
    {},
    {"text": ""},
    {"text": "x" * 5000},
    {"text": "halo", "after": -1},
    {"text": "halo", "message_id": "x" * 65},
])
def test_malformed_requests_get_4xx(client, body) -> None:
    assert 400 <= client.post(API, json=body).status_code < 500
    assert rows(client, MessageLog) == []


def test_non_json_and_oversized_bodies_get_4xx(client) -> None:
    assert client.post(API, content=b"\xff\xfe", headers={"content-type": "application/json"}).status_code == 422
    big = b"{" + b" " * (300 * 1024) + b"}"
    r = client.post(API, content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["cache-control"] == "no-store"


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(client) -> None:
    def chunks():
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post(API, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


# --- the rest of the app -------------------------------------------------------------------------


def test_health_endpoints(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def metrics(client) -> str:  # type: ignore[no-untyped-def]
    """/metrics as the machine itself reads it: without a token it answers loopback only."""
    return TestClient(client.app, client=("127.0.0.1", 50000)).get("/metrics").text


def test_metrics_count_messages_and_read_cases_from_the_database(client) -> None:
    send(client, "halo")
    client.cookies.clear()  # a second person
    send(client, "tolong saya dikurung majikan")
    body = metrics(client)
    assert 'helpdesk_messages_total{channel="web",direction="in"} 2.0' in body
    assert 'helpdesk_open_cases{priority="emergency"} 1.0' in body
    assert "helpdesk_handling_seconds_bucket" in body
    assert "helpdesk_outbox_backlog" in body


def test_metrics_show_deliveries_waiting_in_the_inbox(client) -> None:
    from bot.workers.inbox import accept
    from flows.messages import Inbound

    assert "helpdesk_inbox_backlog 0.0" in metrics(client)
    accept(client.app.state.service.db, Inbound("whatsapp", "+62811", "SM1", "halo"))  # no channel runs to take it
    body = metrics(client)
    assert "helpdesk_inbox_backlog 1.0" in body
    age = next(line for line in body.splitlines() if line.startswith("helpdesk_inbox_oldest_seconds "))
    assert float(age.split()[1]) > 0
