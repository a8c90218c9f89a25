"""Floods of the web chat cannot hide a real emergency: limits flag the flood's cases "kemungkinan
spam" (every flooder still gets the whole answer), the console queue pages but keeps real
emergencies on its first page, and supervisors close the flood as spam in bulk, reversibly."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import col, select

from bot.web.app import create_app
from bot.settings import Settings
from bot.settings_sections import WebChatFloodLimits
from bot.web.webchat_floods import FloodGuard
from flows import phrases
from storage.db import unit_of_work
from storage.models import Case, CaseEvent
from tests.bot.console_util import add_staff, csrf_of, login

API = "/try/api/messages"
FLOODER, PERSON = ("10.0.0.1", 40000), ("10.0.0.2", 123)
DANGER = ["tolong saya dikurung majikan", "tolong saya dipukul majikan setiap hari",
          "paspor saya diambil dan saya dikunci di rumah majikan", "saya disekap agen, tolong"]
REAL = "tolong saya dikunci di rumah majikan dan paspor saya diambil, saya takut"
GUIDANCE = phrases.EMERGENCY.split("\n")[0]  # "Keselamatan Anda yang utama."
NUMBER_RX = re.compile(r"MC-\d{4}-\d+")
TIGHT = WebChatFloodLimits(window_minutes=60, new_sessions_per_ip=2, new_sessions_total=50, cases_per_ip=2,
                           cases_per_session=1, cases_total=50)


def with_limits(settings: Settings, webchat: WebChatFloodLimits = TIGHT, page_size: int = 5) -> Settings:
    limits = settings.limits.model_copy(update={"webchat": webchat, "queue_page_size": page_size})
    return settings.model_copy(update={"limits": limits})


@pytest.fixture
def app(settings, service):  # type: ignore[no-untyped-def]
    return create_app(with_limits(settings), service)


def post_new_session(client: TestClient, text: str) -> dict:
    client.cookies.clear()  # a new browser, as a flood script makes it
    r = client.post(API, json={"text": text})
    assert r.status_code == 200, r.text
    return r.json()


def reply_text(body: dict) -> str:
    return "\n".join(r["text"] for r in body["replies"])


def all_cases(app) -> list[Case]:  # type: ignore[no-untyped-def]
    with unit_of_work(app.state.service.db) as s:
        rows = list(s.exec(select(Case).order_by(col(Case.id))))
        s.expunge_all()
        return rows


def shown_numbers(html: str) -> list[str]:
    return re.findall(r'data-case="([^"]+)"', html)


# --- the flood -----------------------------------------------------------------------------------


def test_a_flood_from_one_address_does_not_hide_a_real_emergency(settings, service) -> None:
    app = create_app(settings, service)  # the shipped config.yaml limits and page size
    limits, flood = settings.limits.webchat, 500
    started = time.perf_counter()
    missing_guidance = []
    with TestClient(app, client=FLOODER) as flooder:
        for i in range(flood):
            text = reply_text(post_new_session(flooder, DANGER[i % len(DANGER)]))
            if GUIDANCE not in text or settings.contacts["kemlu_pwni"] not in text:
                missing_guidance.append(i)
    seconds = time.perf_counter() - started
    with TestClient(app, client=PERSON) as person:
        real = post_new_session(person, REAL)
        assert GUIDANCE in reply_text(real)
        (number,) = set(NUMBER_RX.findall(reply_text(real)))
        add_staff(service, "sri", role="supervisor")
        login(person, "sri")
        queue, rows, data = person.get("/console").text, person.get("/console/queue/rows").text, \
            person.get("/console/queue.json").json()

    flood_cases = [c for c in all_cases(app) if c.number != number]
    flagged = sum(c.suspected_spam for c in flood_cases)
    figures = (f"{flood} posts in {seconds:.1f} s opened {len(flood_cases)} cases, {flagged} flagged as possible spam, "
               f"{len(flood_cases) - flagged} not; the queue shows {data['shown']} of {data['total']}")
    print(figures)
    assert not missing_guidance, f"no emergency guidance for posts {missing_guidance[:10]}… ({figures})"
    assert len(flood_cases) == flood and flood - flagged <= limits.cases_per_ip, figures
    assert number in shown_numbers(queue) and number in shown_numbers(rows), figures
    mine = [c for c in data["cases"] if c["number"] == number]
    assert mine and mine[0]["emergency"] and not mine[0]["suspected_spam"], figures
    assert data["page"] == 1 and data["total"] == flood + 1 and data["pages"] > 1, figures
    assert f"Menampilkan {data['shown']} dari {flood + 1} kasus" in queue
    assert f"{flagged} kasus terbuka ditandai kemungkinan spam" in queue


def test_a_real_emergency_after_a_flood_the_limits_missed_is_at_the_top(settings, service) -> None:
    """Limits far too generous: every fake emergency is genuine-looking; the newest are shown first."""
    loose = WebChatFloodLimits(new_sessions_per_ip=10_000, new_sessions_total=10_000, cases_per_ip=10_000,
                               cases_per_session=10_000, cases_total=10_000)
    app = create_app(with_limits(settings, loose, page_size=5), service)
    with TestClient(app, client=FLOODER) as flooder:
        for i in range(12):
            post_new_session(flooder, DANGER[i % len(DANGER)])
    with TestClient(app, client=PERSON) as person:
        (number,) = set(NUMBER_RX.findall(reply_text(post_new_session(person, REAL))))
        add_staff(service, "sri", role="supervisor")
        login(person, "sri")
        page = person.get("/console").text
        data = person.get("/console/queue.json").json()
    assert shown_numbers(page)[0] == number and len(shown_numbers(page)) == 13  # all 13 emergencies, newest first
    assert [c["number"] for c in data["cases"]][0] == number and data["pages"] == 1
    assert "Menampilkan 13 dari 13 kasus" in page and "terbaru di atas" in page


# --- the limits ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_sessions_over_the_per_address_limit_flag_their_cases() -> None:
    clock = Clock()
    guard = FloodGuard(TIGHT, clock)
    assert guard.session_started(ip="a", session="s1") == [] and guard.session_started(ip="a", session="s2") == []
    assert "sesi baru dari alamat yang sama" in guard.session_started(ip="a", session="s3")[0]
    assert guard.session_started(ip="b", session="s4") == []  # another address is not affected
    assert guard.case_opened(ip="a2", session="s3") == ["sesi ini dibuka melewati batas sesi baru"]
    clock.now += 3600  # the window has passed
    assert guard.session_started(ip="a", session="s5") == []


def test_cases_per_address_and_per_session() -> None:
    guard = FloodGuard(TIGHT, Clock())
    assert guard.case_opened(ip="a", session="s1") == []
    assert "kasus dari sesi ini" in guard.case_opened(ip="a", session="s1")[0]
    assert "kasus dari alamat yang sama" in guard.case_opened(ip="a", session="s2")[0]
    assert guard.case_opened(ip="b", session="s3") == []


def test_the_service_wide_budget_counts_only_what_passed_the_per_address_limits() -> None:
    limits = WebChatFloodLimits(new_sessions_per_ip=1, new_sessions_total=3, cases_per_ip=1, cases_per_session=1,
                                cases_total=3)
    guard = FloodGuard(limits, Clock())
    for i in range(100):  # one address flooding does not use up the budget
        guard.session_started(ip="flood", session=f"f{i}")
        guard.case_opened(ip="flood", session=f"f{i}")
    assert [guard.case_opened(ip=f"p{i}", session=f"p{i}") for i in range(2)] == [[], []]
    assert [guard.session_started(ip=f"p{i}", session=f"p{i}") for i in range(2)] == [[], []]
    # many addresses at once: the budget is what is left
    assert "seluruh layanan" in guard.case_opened(ip="p9", session="p9")[0]
    assert "seluruh layanan" in guard.session_started(ip="p9", session="p9")[0]


def test_the_limits_are_validated() -> None:
    with pytest.raises(ValidationError):
        WebChatFloodLimits(cases_per_session=5, cases_per_ip=2)
    with pytest.raises(ValidationError):
        WebChatFloodLimits(new_sessions_per_ip=10, new_sessions_total=5)
    with pytest.raises(ValidationError):
        WebChatFloodLimits(window_minutes=0)


def test_a_case_over_the_limit_is_flagged_and_audited_while_the_person_gets_the_whole_answer(app) -> None:
    with TestClient(app, client=FLOODER) as c:
        answers = [reply_text(post_new_session(c, DANGER[0])) for _ in range(4)]
    assert all(GUIDANCE in a and NUMBER_RX.search(a) for a in answers)
    made = all_cases(app)
    assert [c.suspected_spam for c in made] == [False, False, True, True]
    with unit_of_work(app.state.service.db) as s:
        trail = [e for e in s.exec(select(CaseEvent).where(CaseEvent.kind == "flagged_spam"))]
    assert [e.case_id for e in trail] == [made[2].id, made[3].id]
    assert all("melebihi" in e.detail and FLOODER[0] not in e.detail for e in trail)  # the address is not stored


def test_messages_that_open_no_case_are_never_flagged(app) -> None:
    with TestClient(app, client=FLOODER) as c:
        for _ in range(5):
            assert "Keselamatan" not in reply_text(post_new_session(c, "halo"))
    assert all_cases(app) == []


# --- the console queue ---------------------------------------------------------------------------


def flood(app, n: int = 8) -> list[Case]:  # type: ignore[no-untyped-def]
    with TestClient(app, client=FLOODER) as c:
        for i in range(n):
            post_new_session(c, DANGER[i % len(DANGER)])
    return all_cases(app)


def test_the_queue_pages_and_always_says_how_many_it_shows(app) -> None:
    made = flood(app)  # 2 genuine emergencies, 6 flagged; pages of 5
    add_staff(app.state.service, "ani")
    with TestClient(app) as c:
        login(c, "ani")
        first, second = c.get("/console").text, c.get("/console?halaman=2").text
        assert "Menampilkan 5 dari 8 kasus terbuka — halaman 1 dari 2" in first
        assert "Menampilkan 3 dari 8 kasus terbuka — halaman 2 dari 2" in second
        assert 'href="/console?halaman=2" rel="next"' in first and 'rel="prev"' in second
        assert shown_numbers(first) + shown_numbers(second) == [m.number for m in made]
        assert 'data-src="/console/queue/rows?halaman=2"' in second  # the live refresh keeps the page
        assert shown_numbers(c.get("/console/queue/rows?halaman=2").text) == shown_numbers(second)
        pages = [c.get("/console/queue.json", params={"halaman": n}).json() for n in (1, 2)]
        assert [(p["page"], p["pages"], p["total"], p["shown"]) for p in pages] == [(1, 2, 8, 5), (2, 2, 8, 3)]
        assert [x["suspected_spam"] for p in pages for x in p["cases"]] == [False] * 2 + [True] * 6
        flagged_only = c.get("/console?spam=1").text
        assert "Menampilkan 5 dari 6 kasus yang ditandai kemungkinan spam" in flagged_only
        # genuine emergency rows alert (the tab title counts them); flagged ones are marked instead
        assert first.count('class="case-row emergency unclaimed"') == 2
        assert first.count('class="case-row suspect unclaimed"') == 3 and "KEMUNGKINAN SPAM" in first


@pytest.mark.parametrize("query", ["halaman=0", "halaman=-1", "halaman=99999999999999999999", "semua=2", "spam=x"])
def test_bad_queue_parameters_are_4xx(app, query) -> None:
    add_staff(app.state.service, "ani")
    with TestClient(app) as c:
        login(c, "ani")
        for path in ("/console", "/console/queue/rows", "/console/queue.json"):
            assert c.get(f"{path}?{query}").status_code == 422, path


def test_supervisors_see_a_warning_with_the_count_of_flagged_cases_officers_do_not(app) -> None:
    flood(app)
    add_staff(app.state.service, "ani")
    add_staff(app.state.service, "sri", role="supervisor")
    with TestClient(app) as officer, TestClient(app) as boss:
        login(officer, "ani")
        login(boss, "sri")
        warning = "6 kasus terbuka ditandai kemungkinan spam"
        assert warning in boss.get("/console").text and warning in boss.get("/console/queue/rows").text
        assert boss.get("/console/queue.json").json()["flagged_open"] == 6
        assert warning not in officer.get("/console").text
        assert 'name="case_ids"' not in officer.get("/console?pilih=1").text  # no bulk selection for officers


# --- closing spam in bulk ------------------------------------------------------------------------


def bulk(client: TestClient, action: str, ids: list[int], token: str | None, **extra: str) -> Any:
    data: dict = {"action": action, "case_ids": [str(i) for i in ids], **extra}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/console/queue/bulk", data=data, follow_redirects=False)


def statuses(app) -> dict[int, tuple[str, bool]]:  # type: ignore[no-untyped-def]
    return {c.id: (c.status, c.suspected_spam) for c in all_cases(app)}  # type: ignore[misc]


def test_a_supervisor_closes_the_flood_as_spam_and_reopens_a_case(app) -> None:
    made = flood(app)
    flagged = [c.id for c in made if c.suspected_spam]
    add_staff(app.state.service, "sri", role="supervisor")
    with TestClient(app) as boss:
        login(boss, "sri")
        page = boss.get("/console?pilih=1&spam=1").text
        token = csrf_of(page)
        ticked = re.findall(r'name="case_ids" value="(\d+)"[^>]*checked', page)
        assert [int(i) for i in ticked] == flagged[:5]  # the first page of flagged cases, ready to close
        r = bulk(boss, "spam", flagged, token, spam="1")
        assert r.status_code == 303 and r.headers["location"] == "/console?spam=1&pilih=1&ok=spam&jumlah=6"
        assert "6 kasus ditutup sebagai spam" in boss.get(r.headers["location"]).text
        assert {i: s for i, s in statuses(app).items() if i in flagged} == dict.fromkeys(flagged, ("closed", True))
        assert "ditandai kemungkinan spam" not in boss.get("/console/queue/rows").text  # nothing open is flagged

        r = bulk(boss, "reopen", flagged[:1], token, semua="1")
        assert r.status_code == 303 and "ok=reopen&jumlah=1" in r.headers["location"]
        assert statuses(app)[flagged[0]] == ("new", False)
        assert flagged[0] in [c["id"] for c in boss.get("/console/queue.json").json()["cases"]]
    with unit_of_work(app.state.service.db) as s:
        events = list(s.exec(select(CaseEvent).where(col(CaseEvent.kind).in_(("closed_as_spam", "reopened")))))
    assert sorted(e.case_id for e in events if e.kind == "closed_as_spam") == flagged  # one event per case
    assert [(e.case_id, e.actor) for e in events if e.kind == "reopened"] == [(flagged[0], "sri")]


def test_bulk_actions_need_a_supervisor_and_the_csrf_token(app) -> None:
    made = flood(app, 3)
    ids = [c.id for c in made]
    add_staff(app.state.service, "ani")
    add_staff(app.state.service, "sri", role="supervisor")
    with TestClient(app) as officer, TestClient(app) as boss:
        officer_token, boss_token = login(officer, "ani"), login(boss, "sri")
        assert bulk(officer, "spam", ids, officer_token).status_code == 403
        assert bulk(boss, "spam", ids, None).status_code == 403
        assert bulk(boss, "spam", ids, "wrong-token").status_code == 403
        assert bulk(boss, "spam", ids, boss_token).status_code == 303
        before = statuses(app)
        assert bulk(officer, "reopen", ids, officer_token).status_code == 403
        assert statuses(app) == before
    with TestClient(app) as anonymous:
        assert bulk(anonymous, "spam", ids, "x").status_code == 401


@pytest.mark.parametrize("data", [{"action": "delete", "case_ids": ["1"]},
                                  {"action": "spam", "case_ids": ["99999999999999999999"]},
                                  {"action": "spam", "case_ids": ["0"]},
                                  {"action": "spam", "case_ids": ["x"]}])
def test_malformed_bulk_requests_are_4xx(app, data) -> None:
    flood(app, 1)
    add_staff(app.state.service, "sri", role="supervisor")
    with TestClient(app) as boss:
        token = login(boss, "sri")
        r = boss.post("/console/queue/bulk", data={**data, "csrf_token": token}, follow_redirects=False)
        assert 400 <= r.status_code < 500
    assert statuses(app) == {1: ("new", False)}


def test_nothing_selected_changes_nothing_and_says_so(app) -> None:
    flood(app, 1)
    add_staff(app.state.service, "sri", role="supervisor")
    with TestClient(app) as boss:
        token = login(boss, "sri")
        r = bulk(boss, "spam", [], token)
        assert r.status_code == 303 and "Tidak ada kasus yang diubah" in boss.get(r.headers["location"]).text
    assert statuses(app) == {1: ("new", False)}
