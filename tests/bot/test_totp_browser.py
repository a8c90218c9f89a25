"""The second factor and the case record in real headless Chromium: a supervisor enrols from the page
(the test reads the key off it and computes the code with pyotp), signs in again with a code, and
reads a filled-in case record at phone width (the screenshot in docs/screenshots/)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyotp
import pytest
from sqlmodel import select

from bot.web.app import create_app
from bot.web.console_pages import CATEGORY_LABELS
from storage import case_record, partners
from storage.db import unit_of_work
from storage.models import Agency, Officer
from tests.bot.console_util import add_staff
from tests.bot.people_util import make_case
from tests.browser import browser, needs_chromium, running

pytestmark = [needs_chromium, pytest.mark.browser]

# a test never writes into the repository: set HELPDESK_SCREENSHOTS=docs/screenshots to renew the picture
SCREENSHOT_NAME = "case-record-phone.png"
PHONE = {"width": 390, "height": 844}


def fill_record(service, case_id: int) -> None:  # type: ignore[no-untyped-def]
    """A case as an officer would have worked it: corrected, fields filled, referred."""
    with unit_of_work(service.db) as s:
        kepala = s.exec(select(Officer).where(Officer.username == "kepala")).one()
        agency = s.exec(select(Agency).where(Agency.status == "dicabut")).first()
        assert agency is not None
        case_record.reclassify(s, case_id=case_id, officer=kepala, category="trafficking", priority="emergency",
                               reason="Paspor ditahan dan pelapor dikunci", categories=tuple(CATEGORY_LABELS))
        case_record.save_record(s, case_id=case_id, officer=kepala, destination_country="Malaysia",
                                destination_city="Johor Bahru", employer="Kilang Sawit Maju",
                                agency=agency.name, agency_licence_key=agency.licence_key, passport_holder="employer",
                                ilo_indicators=["retention_of_documents", "restriction_of_movement",
                                                "withholding_of_wages"])
        partner = partners.list_partners(s, only_active=True)[0]
        referral = case_record.add_referral(s, case_id=case_id, officer=kepala, partner_id=partner.id,  # type: ignore[arg-type]
                                            referred_on=dt.date.today(), note="surat pengantar dikirim")
        case_record.set_referral_outcome(s, case_id=case_id, referral_id=referral.id, officer=kepala,  # type: ignore[arg-type]
                                         outcome="accepted", outcome_on=dt.date.today())


def test_supervisor_enrols_then_signs_in_with_a_code_and_reads_the_case_record_on_a_phone(settings, service,
                                                                                          tmp_path) -> None:
    add_staff(service, "kepala", password="kata-sandi-kepala", role="supervisor", totp=False)
    case = make_case(service, urn="whatsapp:+6281200000091", text="paspor saya ditahan majikan, saya dikunci",
                     category="passport", priority="high", intake={"what": "paspor ditahan", "where": "Johor"})
    fill_record(service, case.id)  # type: ignore[arg-type]
    with running(create_app(settings, service)) as base, browser() as b:
        context = b.new_context(viewport=PHONE)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{base}/console/cases/{case.id}")
        page.fill("input[name=username]", "kepala")
        page.fill("input[name=password]", "kata-sandi-kepala")
        page.click("button[type=submit]")

        # enrolment is mandatory for a supervisor: the QR code is drawn, the key is on the page
        page.locator("#totp-secret").wait_for(timeout=10_000)
        assert page.url.endswith("/console/login/daftar-2fa")
        qr = page.locator("#totp-qr svg").bounding_box()
        assert qr and qr["width"] >= 150 and qr["height"] >= 150
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.fill("#totp-code", pyotp.TOTP(secret).now())
        page.click("button[type=submit]")
        page.locator("#recovery-codes").wait_for(timeout=10_000)
        assert page.locator("#recovery-codes li").count() == 10
        page.click("#continue")
        page.locator("#data-kasus").wait_for(timeout=10_000)  # back where the sign-in started

        context.clear_cookies()  # another day: signed out
        page.goto(f"{base}/console/cases/{case.id}")
        page.fill("input[name=username]", "kepala")
        page.fill("input[name=password]", "kata-sandi-kepala")
        page.click("button[type=submit]")
        page.locator("#totp-code").wait_for(timeout=10_000)
        assert page.url.endswith("/console/login/kode")
        # the code the app shows next: the one used to enrol counts once only
        page.fill("#totp-code", pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)))
        page.click("button[type=submit]")
        page.locator("#data-kasus").wait_for(timeout=10_000)

        # the record at phone width: shown, with the agency's revoked licence marked, and nothing spilling sideways
        assert "Johor Bahru" in page.locator("#rec-city").inner_text()
        assert page.locator("#rec-agency .badge.licence-bad").is_visible()
        assert page.locator("#rec-ilo li").count() == 3
        assert page.locator("#rujukan .outcome.o-accepted").is_visible()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"case page wider than the phone by {overflow} px"
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

        page.locator("#data-kasus details.record-form summary").click()  # the edit form opened, as officers see it
        # page coordinates (bounding_box() is relative to the scrolled viewport)
        top, bottom = page.evaluate("""() => [document.querySelector('#klasifikasi').getBoundingClientRect().top,
                                              document.querySelector('#data-kasus').getBoundingClientRect().bottom]
                                             .map(y => y + window.scrollY)""")
        shot = Path(os.environ.get("HELPDESK_SCREENSHOTS") or tmp_path) / SCREENSHOT_NAME
        page.screenshot(path=str(shot), full_page=True,
                        clip={"x": 0, "y": top - 8, "width": PHONE["width"], "height": bottom - top + 16})
        context.close()
