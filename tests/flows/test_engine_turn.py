"""The engine's transaction around a flow step, on a real database: all of a turn or none of it,
and the message read once per turn."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlmodel import select

from bot.service import Service
from flows.engine import Engine
from flows.messages import Inbound
from flows.signals import Understanding
from storage import repo
from storage.db import unit_of_work
from storage.models import Case, Conversation, MessageLog, Outbox
from tests.conftest import Chat

REPORT = "majikan tidak membayar gaji saya enam bulan"


def rows(service: Service) -> dict[str, int]:
    with unit_of_work(service.db) as s:
        return {m.__name__: repo.count(s, m) for m in (MessageLog, Outbox, Case)}


def test_a_report_turn_commits_the_message_the_case_the_reply_and_the_state_together(service: Service) -> None:
    chat = Chat(service, channel="whatsapp", user="+628111")
    chat.say("menu:report")
    before = rows(service)
    chat.say(REPORT)
    after = rows(service)
    assert after["Case"] == before["Case"] + 1
    assert after["MessageLog"] == before["MessageLog"] + 1 + len(chat.last)  # the message and each reply
    assert after["Outbox"] == before["Outbox"] + len(chat.last)
    with unit_of_work(service.db) as s:
        conv = s.exec(select(Conversation)).one()
        case = s.exec(select(Case)).one()
    assert (conv.flow, conv.step) == ("report", "where")  # stored as the plain strings they always were
    assert case.number in chat.text()  # the reply names the case opened in the same transaction


def test_a_failure_while_applying_the_effects_leaves_nothing_of_the_turn(service: Service) -> None:
    # no SLA for any priority: opening the case fails after the message was logged and the step ran
    broken = Engine(service.db, service.ctx, sla_minutes={})
    chat = Chat(service, channel="whatsapp", user="+628222")
    chat.say("menu:report")
    before = rows(service)
    with pytest.raises(KeyError):
        broken.handle(Inbound("whatsapp", "+628222", "SM-broken", REPORT))
    assert rows(service) == before
    with unit_of_work(service.db) as s:
        assert s.exec(select(Conversation)).one().step == "what"  # the state did not move either
    chat.say(REPORT, message_ref="SM-broken")  # the channel's retry is handled as new: nothing was kept
    assert rows(service)["Case"] == before["Case"] + 1


class CountingModels:
    def __init__(self, models: Any) -> None:
        self.models, self.reads = models, 0

    def read(self, text: str) -> Any:
        self.reads += 1
        return self.models.read(text)


def test_the_models_read_each_message_once_also_when_the_person_floods(service: Service) -> None:
    assert service.ctx.understanding is not None
    models = CountingModels(service.ctx.understanding.models)
    ctx = dataclasses.replace(service.ctx, understanding=Understanding(models, service.ctx.understanding.bands))  # type: ignore[arg-type]
    engine = Engine(service.db, ctx, service.settings.sla_minutes.model_dump(), messages_per_minute=2)
    for i, text in enumerate(["halo", "apa itu P3MI", "cara buat paspor", "gaji saya belum dibayar", "halo lagi"]):
        before = models.reads
        engine.handle(Inbound("telegram", "flood", f"m{i}", text))
        assert models.reads - before == 1, text  # flood check and flow step share one reading
