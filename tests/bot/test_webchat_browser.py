"""The web chat in real headless Chromium: chat, reload, come back, an officer's answer, a failed send."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlmodel import col, select

from bot.web.app import create_app
from storage import cases, officers
from storage.db import unit_of_work
from storage.models import Case, MessageLog
from tests.browser import browser, needs_chromium, running

pytestmark = [needs_chromium, pytest.mark.browser]
WAIT = 10_000
TEXT = "halo, saya mau tanya"


@contextmanager
def chat_page(settings, service) -> Iterator[tuple[str, object, object]]:  # type: ignore[no-untyped-def]
    """The app on loopback and a fresh browser profile; yields (base URL, context, page)."""
    with running(create_app(settings, service)) as base, browser() as b:
        context = b.new_context()
        page = context.new_page()
        yield base, context, page
        context.close()


def open_chat(page, base: str) -> None:  # type: ignore[no-untyped-def]
    """Open /try and wait until the page has asked for the history."""
    with page.expect_response(lambda r: "/try/api/messages" in r.url and r.request.method == "GET"):
        page.goto(f"{base}/try")


def bubbles(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(kind, text) of every message on screen after the welcome."""
    out = []
    for el in page.locator("#log .msg:not(#welcome)").all():
        cls = el.get_attribute("class") or ""
        kind = next(k for k in ("officer", "notice", "user", "bot") if k in cls.split())
        out.append((kind, el.inner_text()))
    return out


def log_count(service) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(service.db) as s:
        return len(list(s.exec(select(MessageLog.id))))


def test_chat_survives_a_reload_and_a_new_tab_with_the_session_only_in_a_cookie(settings, service) -> None:
    with chat_page(settings, service) as (base, context, page):
        errors: list[str] = []
        urls: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        context.on("request", lambda r: urls.append(r.url))

        open_chat(page, base)
        page.get_by_role("button", name="Tanya prosedur kerja ke luar negeri").wait_for(timeout=WAIT)
        assert log_count(service) == 0  # opening the page said nothing on the person's behalf
        assert context.cookies() == []

        page.fill("#text", "halo")
        page.click("#send")
        page.locator(".msg.bot:not(#welcome)").wait_for(timeout=WAIT)
        assert page.input_value("#text") == ""
        page.get_by_role("button", name="Tanya prosedur kerja ke luar negeri").click()  # the reply's menu
        page.get_by_text("Silakan tulis pertanyaan").wait_for(timeout=WAIT)
        before = bubbles(page)
        assert [k for k, _ in before] == ["user", "bot", "user", "bot"]
        assert before[0][1] == "halo" and before[2][1] == "Tanya prosedur kerja ke luar negeri"  # not "menu:faq"

        page.reload()
        page.get_by_text("Silakan tulis pertanyaan").wait_for(timeout=WAIT)
        assert bubbles(page) == before

        page.close()  # the tab is closed; the person comes back later
        again = context.new_page()
        again.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        open_chat(again, base)
        again.get_by_text("Silakan tulis pertanyaan").wait_for(timeout=WAIT)
        assert bubbles(again) == before

        (cookie,) = context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/try"
        assert again.evaluate("document.cookie") == ""  # scripts cannot read it
        assert urls and not [u for u in urls if cookie["value"] in u or "session" in u.lower()]
        assert all(u.startswith(base) for u in urls)
        assert errors == []  # the CSP blocks nothing the page needs


def test_officer_answer_is_labelled_and_its_phone_numbers_are_tappable(settings, service) -> None:
    with chat_page(settings, service) as (base, _, page):
        open_chat(page, base)
        page.fill("#text", "saya mau bicara dengan petugas")
        page.click("#send")
        page.get_by_text("sudah kami teruskan ke petugas").wait_for(timeout=WAIT)
        with unit_of_work(service.db) as s:
            ani = officers.add_officer(s, username="ani", password_hash="unused", role="officer")
            case = s.exec(select(Case).order_by(col(Case.id).desc())).first()
            cases.reply_as_officer(s, case_id=case.id, officer=ani,  # as the console does
                                   text="Halo, saya petugas. Silakan telepon 0811-8080-141 atau +62 21 2924 4800.")

        officer = page.locator(".msg.officer")
        officer.wait_for(timeout=WAIT)  # arrives by polling
        assert officer.locator(".who").inner_text() == "Petugas"
        assert [a.get_attribute("href") for a in officer.locator("a").all()] == ["tel:08118080141",
                                                                                 "tel:+622129244800"]
        assert "ani" not in officer.inner_text()
        # styled apart from the bot's replies
        bot_bg = page.locator(".msg.bot:not(.officer)").last.evaluate("e => getComputedStyle(e).backgroundColor")
        assert officer.evaluate("e => getComputedStyle(e).backgroundColor") != bot_bg
        # the bot's own replies link their hotlines too; the case number is not a phone number
        assert page.locator(".msg.bot:not(.officer) a[href^='tel:']").count() >= 1
        assert not page.locator("a[href*='2026']").count()

        page.reload()
        page.locator(".msg.officer .who", has_text="Petugas").wait_for(timeout=WAIT)


def test_a_failed_send_keeps_the_text_and_offers_to_try_again(settings, service) -> None:
    with chat_page(settings, service) as (base, _, page):
        open_chat(page, base)

        def fail_posts(route) -> None:  # type: ignore[no-untyped-def]
            route.abort() if route.request.method == "POST" else route.continue_()

        page.route("**/try/api/messages*", fail_posts)
        page.fill("#text", TEXT)
        page.click("#send")
        retry = page.get_by_role("button", name="Coba lagi")
        retry.wait_for(timeout=WAIT)
        assert page.input_value("#text") == TEXT
        assert [k for k, _ in bubbles(page)] == ["notice"]  # no bubble pretends the message went
        assert log_count(service) == 0

        page.unroute("**/try/api/messages*")
        retry.click()
        page.locator(".msg.bot:not(#welcome)").wait_for(timeout=WAIT)
        assert page.input_value("#text") == ""
        assert page.locator(".notice").count() == 0
        assert [t for k, t in bubbles(page) if k == "user"] == [TEXT]


def test_a_welcome_button_opens_the_chosen_service(settings, service) -> None:
    with chat_page(settings, service) as (base, _, page):
        open_chat(page, base)
        page.get_by_role("button", name="Tanya prosedur kerja ke luar negeri").click()
        page.get_by_text("Silakan tulis pertanyaan").wait_for(timeout=5_000)
