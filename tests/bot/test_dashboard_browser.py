"""The dashboard in real headless Chromium: every chart is drawn, nothing breaks the page's
Content-Security-Policy, and at phone width the page does not spill sideways."""

from __future__ import annotations

import pytest

from bot.web.app import create_app
from tests.bot import dashboard_seed as seed
from tests.bot.console_util import add_staff
from tests.browser import browser, needs_chromium, running, sign_in

pytestmark = [needs_chromium, pytest.mark.browser]

CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('img.chart')).map(
    img => ({complete: img.complete, width: img.naturalWidth, height: img.naturalHeight, shown: img.clientWidth}))"""


def test_supervisor_sees_the_charts_drawn_at_desktop_and_phone_width(settings, service) -> None:  # type: ignore[no-untyped-def]
    seed.seed(service.db, settings.placeholder_values(), service.ctx.kb)
    add_staff(service, "kepala", password="kata-sandi-kepala", role="supervisor")
    with running(create_app(settings, service)) as base, browser() as b:
        for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
            context = b.new_context(viewport=viewport)
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda msg, sink=problems: sink.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/console/ringkasan?dari=2026-11-01&sampai=2026-11-30")
            sign_in(page, service, "kepala", "kata-sandi-kepala")
            page.get_by_role("heading", name="Ringkasan layanan").wait_for(timeout=10_000)
            page.wait_for_load_state("load")
            charts = page.evaluate(CHARTS_DRAWN)
            assert len(charts) == 11
            for chart in charts:
                # decoded SVG has a size; one that failed to load or parse has none
                assert chart["complete"] and chart["width"] > 0 and chart["height"] > 0, chart
                assert 0 < chart["shown"] <= viewport["width"], chart
            assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
            # the numbers are there as tables, headed for screen readers
            assert page.locator("#sla table.figures th[scope=col]").count() == 7
            assert page.locator("#negara_tujuan table.figures tbody tr").count() == len(seed.countries())
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"page wider than the {viewport['width']} px screen by {overflow} px"
            context.close()
