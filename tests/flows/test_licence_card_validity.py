"""A licence that no longer holds is never shown with a validity date that reads as an all-clear."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from flows import licence
from tests.conftest import Chat

# the shipped sample registry (fictional): each of these keeps an end date years ahead
REVOKED = ("PT Contoh Bahari Sejahtera", "18-11-2033")
SUSPENDED = ("PT Contoh Utama Karsa Dinamika", "18-09-2031")
ACTIVE = ("PT Sinar Jaya Tenaga Mandiri", "01-05-2031")


@pytest.mark.parametrize("name, until, status", [(*REVOKED, "dicabut"), (*SUSPENDED, "diskorsing")])
def test_a_revoked_or_suspended_card_says_so_and_shows_no_end_date(chat: Chat, name, until, status) -> None:
    chat.say(f"cek {name}")
    text = chat.text()
    assert name in text and f"Status izin: {status}" in text
    assert "Berlaku sampai" not in text and until not in text
    assert not re.search(r"\d{2}-\d{2}-20(2[7-9]|3\d)", text)  # no future date at all on the card


def test_an_expired_card_says_when_it_ran_out(service) -> None:  # type: ignore[no-untyped-def]
    name, until = ACTIVE
    later = dataclasses.replace(service.ctx, today=lambda: dt.date(2031, 6, 1))
    (reply,) = licence.check(f"cek {name}", later).replies
    assert "KEDALUWARSA" in reply.text
    assert f"Masa berlaku habis: {until}" in reply.text and "Berlaku sampai" not in reply.text


def test_an_active_card_still_shows_until_when(chat: Chat) -> None:
    name, until = ACTIVE
    chat.say(f"cek {name}")
    assert f"Berlaku sampai: {until}" in chat.text()


def test_a_job_offer_naming_a_revoked_agency_shows_no_end_date(service) -> None:  # type: ignore[no-untyped-def]
    name, until = REVOKED
    offer = (f"Lowongan kerja ke Arab Saudi lewat {name}, gaji 8 juta, berangkat cepat, "
             "biaya pendaftaran 5 juta transfer ke rekening pribadi. Minat hubungi admin.")
    (reply,) = licence.check(offer, service.ctx).replies
    assert name in reply.text and until not in reply.text and "Berlaku sampai" not in reply.text
