"""Short answers first: the details of an FAQ entry come behind "Selengkapnya", in any channel and any state."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from bot.service import build_service
from flows import phrases
from knowledge.kb import KnowledgeBase
from storage.db import unit_of_work
from storage.models import Feedback
from tests.conftest import Chat

QUESTION = "syarat jd TKW apa aja"
DETAILS = "Langkah lengkapnya ada di sini. Telepon {contacts.kp2mi_callcentre}.\nDasar: UU 18/2017."


def _entry_of_last_answer(service, chat: Chat) -> str:
    with unit_of_work(service.db) as s:
        return s.exec(select(Feedback)).all()[-1].entry_id


@pytest.fixture
def entry_id(service) -> str:
    """The entry the real models answer QUESTION with (whatever its id is today)."""
    chat = Chat(service)
    chat.say(QUESTION)
    assert "Ya, membantu" in chat.labels(), chat.text()
    chat.press("Ya, membantu")
    return _entry_of_last_answer(service, chat)


def _with_details(ctx, entry_id: str, more: str):
    """The same knowledge base where one entry has (or lacks) details."""
    entries = tuple(dataclasses.replace(e, more=more) if e.id == entry_id else e for e in ctx.kb.entries)
    return dataclasses.replace(ctx, kb=KnowledgeBase(ctx.kb.topics, entries))


@pytest.fixture
def detailed(settings, ctx, entry_id):
    svc = build_service(settings, ctx=_with_details(ctx, entry_id, DETAILS))
    yield svc
    svc.db.dispose()


def test_the_answer_offers_the_details_first_and_they_end_with_the_feedback_question(detailed, entry_id) -> None:
    chat = Chat(detailed)
    chat.say(QUESTION)
    assert chat.labels()[:3] == [phrases.MORE_LABEL, "Ya, membantu", "Tidak membantu"]
    assert "Langkah lengkapnya" not in chat.text()
    chat.press(phrases.MORE_LABEL)
    text = chat.text()
    assert "Langkah lengkapnya ada di sini" in text and "Dasar: UU 18/2017." in text
    assert "0800-1000" in text and "{contacts" not in text  # placeholders filled from config.yaml
    assert text.endswith(phrases.HELPFUL_Q)
    assert phrases.MORE_LABEL not in chat.labels()
    assert chat.labels()[:2] == ["Ya, membantu", "Tidak membantu"] and chat.labels()[-1] == "Menu utama"
    chat.press("Tidak membantu")
    with unit_of_work(detailed.db) as s:
        votes = [(f.entry_id, f.helpful) for f in s.exec(select(Feedback)).all()]
    assert votes[-1] == (entry_id, False)


def test_an_old_details_button_works_in_another_state(detailed, entry_id) -> None:
    chat = Chat(detailed)
    chat.say("halo")
    chat.say("2")  # the licence check now waits for a company name
    assert "nama perusahaan" in chat.text()
    chat.say(phrases.MORE_PREFIX + entry_id)  # Telegram sends the pressed button's payload
    assert "Langkah lengkapnya ada di sini" in chat.text()
    assert chat.labels()[:2] == ["Ya, membantu", "Tidak membantu"]


def test_typing_selengkapnya_after_an_answer_shows_its_details(detailed) -> None:
    chat = Chat(detailed, channel="whatsapp", user="+60198765432")
    chat.say(QUESTION)
    chat.say("Selengkapnya!")
    assert "Langkah lengkapnya ada di sini" in chat.text()


def test_details_of_an_unknown_entry_are_an_honest_fallback(chat: Chat) -> None:
    chat.say(phrases.MORE_PREFIX + "no-such-entry")
    assert "belum bisa menjawab" in chat.text()


def test_an_entry_without_details_offers_no_button(settings, ctx, entry_id) -> None:
    svc = build_service(settings, ctx=_with_details(ctx, entry_id, ""))
    try:
        chat = Chat(svc)
        chat.say(QUESTION)
        assert phrases.MORE_LABEL not in chat.labels()
        chat.say(phrases.MORE_PREFIX + entry_id)  # an old button of an entry whose details were merged back
        assert chat.text().endswith(phrases.HELPFUL_Q)
    finally:
        svc.db.dispose()


def test_on_whatsapp_the_details_are_option_1_of_the_numbered_list(detailed) -> None:
    chat = Chat(detailed, channel="whatsapp", user="+60123456789")
    chat.say(QUESTION)
    plain = chat.last[-1].as_plain()
    assert f"\n1. {phrases.MORE_LABEL}\n" in plain
    chat.say("1")
    assert "Dasar: UU 18/2017." in chat.text()


def test_each_answer_is_logged_with_its_entry(service, entry_id) -> None:
    """The dashboard counts FAQ topics by the entry logged with each bot answer."""
    from storage.models import MessageLog

    chat = Chat(service)
    chat.say(QUESTION)
    if phrases.MORE_LABEL in chat.labels():
        chat.press(phrases.MORE_LABEL)  # the details are logged with the same entry
    with unit_of_work(service.db) as s:
        rows = s.exec(select(MessageLog).where(MessageLog.direction == "out", MessageLog.intent == "faq")).all()
    answers = [r for r in rows if r.text.endswith(phrases.HELPFUL_Q)]
    assert answers and all(r.entry_id == entry_id for r in answers)
