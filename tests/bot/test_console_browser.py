"""A person in danger writes in the web chat; an officer answers from the console. Real headless Chromium."""

from __future__ import annotations

import pytest

from bot.web.app import create_app
from tests.bot.console_util import LOCKED_IN, add_staff
from tests.browser import browser, needs_chromium, running
from tests.conftest import Chat

pytestmark = [needs_chromium, pytest.mark.browser]
REPLY = "Kami petugas Migrant Center. Kami sudah menghubungi KJRI Johor Bahru. Apakah Anda aman sekarang?"


def test_officer_answers_an_emergency_from_the_console(settings, service) -> None:
    add_staff(service, "ani", password="kata-sandi-ani", role="officer")
    Chat(service).say("saya mau bicara dengan petugas")  # an ordinary case already waiting in the queue
    with running(create_app(settings, service)) as base, browser() as b:
        officer_ctx, user_ctx = b.new_context(), b.new_context()
        console = officer_ctx.new_page()
        console.goto(f"{base}/console")
        console.fill("input[name=username]", "ani")
        console.fill("input[name=password]", "kata-sandi-ani")
        console.click("button[type=submit]")
        console.locator("#queue-rows tr.case-row").first.wait_for(timeout=10_000)
        assert console.locator("#queue-rows tr.emergency").count() == 0

        # the person writes from the web chat page while the officer's queue is open
        chat = user_ctx.new_page()
        chat.goto(f"{base}/try")
        chat.locator(".msg.bot").first.wait_for(timeout=10_000)
        chat.fill("#text", LOCKED_IN)
        chat.click("#send")
        chat.get_by_text("DARURAT", exact=False).first.wait_for(timeout=10_000)

        # the queue refreshes itself (3 s polling): the emergency appears on top, marked
        top = console.locator("#queue-rows tr.case-row").first
        console.locator("#queue-rows tr.emergency").first.wait_for(timeout=10_000)
        assert "emergency" in (top.get_attribute("class") or "")
        assert "DARURAT" in top.inner_text()
        number = top.get_attribute("data-case")
        assert number and number.startswith("MC-")

        top.locator("a").click()
        console.get_by_role("heading", name=number).wait_for(timeout=10_000)
        # issue 15: before claiming, an officer sees the summary only; the transcript once the case is theirs
        assert LOCKED_IN in console.locator(".summary-box").inner_text()
        assert console.locator(".transcript").count() == 0
        console.click("#claim")
        console.get_by_text("Kasus sudah Anda ambil.").wait_for(timeout=10_000)
        assert LOCKED_IN in console.locator(".transcript").inner_text()
        console.fill("#reply-text", REPLY)
        console.click("#send-reply")
        console.get_by_text("Balasan masuk antrean kirim.").wait_for(timeout=10_000)

        # the web chat polls every 2 s and shows the officer's answer
        chat.locator(".msg.bot", has_text=REPLY).wait_for(timeout=10_000)

        console.reload()
        trail = console.locator("ol.events li")
        kinds = [trail.nth(i).get_attribute("data-kind") for i in range(trail.count())]
        for kind in ("created", "viewed", "claimed", "replied"):
            assert kind in kinds, kinds
        assert console.locator("#case-status").get_attribute("data-status") == "waiting"
        officer_ctx.close()
        user_ctx.close()
