"""A new emergency reaches an open queue page without a reload and blinks its title until claimed. Real Chromium."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.web.app import create_app
from storage import cases
from storage.db import unit_of_work
from storage.models import Case, Officer
from tests.bot.console_util import LOCKED_IN, add_staff
from tests.browser import browser, needs_chromium, running
from tests.conftest import Chat

pytestmark = [needs_chromium, pytest.mark.browser]

MARK = "(!) "
BLINKING = f"() => document.title.startsWith('{MARK}')"
STEADY = f"() => !document.title.startsWith('{MARK}')"


def test_the_queue_shows_a_new_emergency_live_and_blinks_until_it_is_claimed(settings, service) -> None:
    ani_id = add_staff(service, "ani", password="kata-sandi-ani")
    Chat(service).say("saya mau bicara dengan petugas")  # an ordinary case already in the queue
    with running(create_app(settings, service)) as base, browser() as b:
        ctx = b.new_context(viewport={"width": 390, "height": 844})
        ctx.grant_permissions(["notifications"], origin=base)
        page = ctx.new_page()
        page.goto(f"{base}/console")
        page.fill("input[name=username]", "ani")
        page.fill("input[name=password]", "kata-sandi-ani")
        page.click("button[type=submit]")
        page.locator("#queue-rows tr.case-row").first.wait_for(timeout=10_000)
        page.click("#alerts-on")  # sound and notifications need a click first
        page.wait_for_selector("html[data-alerts=live]", timeout=10_000)
        assert page.locator("#queue-rows tr.emergency").count() == 0
        reloads: list[str] = []
        page.on("framenavigated", lambda frame: reloads.append(frame.url) if frame == page.main_frame else None)

        Chat(service).say(LOCKED_IN)
        with unit_of_work(service.db) as s:
            case = s.exec(select(Case).order_by(col(Case.id).desc())).first()
            number, case_id = case.number, case.id

        row = page.locator(f'#queue-rows tr.emergency.unclaimed[data-case="{number}"]')
        row.wait_for(timeout=10_000)
        assert reloads == []  # the row came in place: the page was not loaded again
        page.wait_for_function(BLINKING, timeout=10_000)
        assert number in page.title()
        page.wait_for_function(STEADY, timeout=10_000)  # ... and off again: it blinks
        page.wait_for_function(BLINKING, timeout=10_000)
        banner = page.locator("#alert-banner")
        assert banner.is_visible() and number in banner.inner_text()
        page.locator("p.counts .badge.darurat", has_text="Darurat 1").wait_for(timeout=10_000)  # the counts follow

        with unit_of_work(service.db) as s:  # a colleague claims it (elsewhere)
            cases.claim(s, case_id=case_id, officer=s.get(Officer, ani_id))
        page.locator(f'#queue-rows tr.emergency[data-case="{number}"]:not(.unclaimed)').wait_for(timeout=10_000)
        banner.wait_for(state="hidden", timeout=10_000)
        page.wait_for_selector("html[data-blinking='0']", state="attached", timeout=10_000)  # the blinking stopped
        assert not page.title().startswith(MARK)
        ctx.close()
