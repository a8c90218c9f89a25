"""The web chat in real headless Chromium: open the page, chat, press a button."""

import pytest

from bot.app import create_app
from tests.browser import browser, needs_chromium, running

pytestmark = [needs_chromium, pytest.mark.browser]


def test_chat_in_a_real_browser(settings, service) -> None:
    with running(create_app(settings, service)) as base, browser() as b:
        page = b.new_page()
        page.goto(f"{base}/try")
        # the page greets by itself with the menu
        page.get_by_role("button", name="Tanya prosedur kerja ke luar negeri").wait_for(timeout=10_000)
        page.get_by_role("button", name="Tanya prosedur kerja ke luar negeri").click()
        page.get_by_text("Silakan tulis pertanyaan").wait_for(timeout=10_000)
        page.fill("#text", "gimana cara daftar jadi pmi yg resmi?")
        page.click("#send")
        page.get_by_text("Apakah jawaban ini membantu?").wait_for(timeout=10_000)
        page.get_by_role("button", name="Ya, membantu").click()
        page.get_by_text("Terima kasih atas masukannya").wait_for(timeout=10_000)
        bubbles = page.locator(".msg.bot").all_inner_texts()
        assert len(bubbles) >= 4
