"""The hotlines in config.yaml: whose number each is, and a chatbot never ahead of a real emergency number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import load_settings
from knowledge import kb as kb_module

ROOT = Path(__file__).resolve().parents[2]
NUMBER_THEN_QUALIFIER = re.compile(r"^\+?\d[\d /+-]*\d \((?P<who>[^()]+)\)$")  # "+852 … / +852 … (…)" too


@pytest.fixture(scope="module")
def settings():  # type: ignore[no-untyped-def]
    return load_settings(ROOT / "config.yaml", env={})


def _lists(settings) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {"emergency_contacts": settings.emergency_contacts,
            **{f"emergency_contacts_by_place.{p}": keys for p, keys in settings.emergency_contacts_by_place.items()}}


def _is_emergency_number(value: str) -> bool:
    return value.split(" ", 1)[0] in ("999", "995")


def test_every_number_in_an_emergency_list_says_whose_it_is(settings) -> None:  # type: ignore[no-untyped-def]
    for where, keys in _lists(settings).items():
        for key in keys:
            value = settings.contacts[key]
            m = NUMBER_THEN_QUALIFIER.match(value)
            assert m, f"{where}: {key} = {value!r} is not 'number (whose, qualifier)'"
            assert re.search(r"[A-Z]", m["who"]) or "polisi" in m["who"], f"{key}: {value!r} names nobody"


def test_the_call_centre_from_abroad_is_named_as_kp2mi(settings) -> None:  # type: ignore[no-untyped-def]
    assert "KP2MI" in settings.contacts["kp2mi_callcentre_abroad"]


def test_ksatria_is_a_complaint_chatbot_listed_after_the_emergency_number(settings) -> None:  # type: ignore
    value = settings.contacts["kjri_johor_bahru"]
    assert "KSATRIA" in value and "chatbot" in value.lower() and "pengaduan" in value
    for where, keys in _lists(settings).items():
        values = [settings.contacts[k] for k in keys]
        bots = [i for i, v in enumerate(values) if "chatbot" in v.lower()]
        emergency = [i for i, v in enumerate(values) if _is_emergency_number(v)]
        if bots and emergency:
            assert min(emergency) < min(bots), f"{where}: a chatbot is listed before {values[min(emergency)]!r}"


def test_no_answer_lists_a_chatbot_before_an_emergency_number(settings) -> None:  # type: ignore[no-untyped-def]
    contacts = settings.contacts
    bots = {k for k, v in contacts.items() if "chatbot" in v.lower()}
    urgent = {k for k, v in contacts.items() if _is_emergency_number(v)}
    for e in kb_module.load().entries:
        for part, text in (("answer", e.answer), ("more", e.more)):
            keys = [key for section, key in kb_module.PLACEHOLDER.findall(text) if section == "contacts"]
            first_bot = next((i for i, k in enumerate(keys) if k in bots), None)
            first_urgent = next((i for i, k in enumerate(keys) if k in urgent), None)
            if first_bot is not None and first_urgent is not None:
                assert first_urgent < first_bot, f"{e.id} ({part}) lists a chatbot before the emergency number"


def test_hong_kong_999_and_taiwan_1955_are_in_the_answers_for_those_places() -> None:
    kb = kb_module.load()
    assert "{contacts.hong_kong_emergency}" in kb.entry("kontak-darurat-hong-kong").answer
    assert "{contacts.taiwan_1955}" in kb.entry("kontak-darurat-taiwan").answer
    harassment = kb.entry("kekerasan-majikan-pelecehan").answer
    assert "{contacts.malaysia_emergency}" in harassment  # most users are in Malaysia
