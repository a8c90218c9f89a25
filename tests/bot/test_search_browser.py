"""An officer searches for a case in real headless Chromium: by phone, then filters and pages."""

from __future__ import annotations

import re

import pytest

from bot.web.app import create_app
from tests.bot.console_util import add_staff
from tests.bot.people_util import make_case
from tests.browser import browser, needs_chromium, running, sign_in

pytestmark = [needs_chromium, pytest.mark.browser]


def test_a_supervisor_finds_a_case_by_phone_and_pages_through_a_filter(settings, service) -> None:
    add_staff(service, "sri", password="kata-sandi-sri", role="supervisor")
    wanted = make_case(service, urn="whatsapp:+6281200000071", text="adik saya hilang kontak di Sarawak",
                       category="lost_contact", priority="high")
    for i in range(54):  # more than a page of 50
        make_case(service, urn=f"telegram:7300000{i:02d}", text=f"gaji dipotong agen {i}", category="wages")
    with running(create_app(settings, service)) as base, browser() as b:
        page = b.new_context().new_page()  # type: ignore[attr-defined]
        page.goto(f"{base}/console/cari")
        sign_in(page, service, "sri", "kata-sandi-sri")  # with the supervisor's second factor
        page.locator("#search-q").wait_for(timeout=10_000)

        page.fill("#search-q", "0812-0000-0071")  # typed the way people write it
        page.click("#search-go")
        page.locator("#search-count").wait_for(timeout=10_000)
        rows = page.locator("#search-rows tr.case-row")
        assert rows.count() == 1 and rows.first.get_attribute("data-case") == wanted.number
        assert "+6281200000071" in rows.first.inner_text()

        page.fill("#search-q", "")
        page.select_option("select[name=kategori]", "wages")
        page.click("#search-go")
        page.locator("#search-count").wait_for(timeout=10_000)
        assert page.locator("#search-count").get_attribute("data-total") == "54"
        assert rows.count() == 50
        first_page = {rows.nth(i).get_attribute("data-case") for i in range(rows.count())}
        page.click("#next-page")
        page.wait_for_url(re.compile(r"halaman=2"))
        assert rows.count() == 4
        assert not first_page & {rows.nth(i).get_attribute("data-case") for i in range(rows.count())}
        assert page.locator("select[name=kategori]").input_value() == "wages"  # the filter is kept

        page.click("#search-rows tr.case-row a >> nth=0")
        page.locator("#case-status").wait_for(timeout=10_000)
        assert "/console/cases/" in page.url
