"""The decision policy on the models' probabilities, table-driven: danger bands (emergency,
safety question, nothing) and FAQ bands (answer, choices, honest fallback). The models are
replaced by a fixed reading, so each row tests the policy alone; the safety question is
checked in every conversation state."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from flows import conversation, phrases, router
from flows.context import FlowContext
from flows.messages import Inbound
from flows.signals import DangerBands, Understanding
from flows.state import CaseView, EscalateCase, OpenCase, RelayToCase, State, Turn
from knowledge.nlu import Reading

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
BANDS = DangerBands(high=0.6, low=0.25)
NEUTRAL = "xq pesan uji tanpa kata kunci"  # no rule fires on it: only the reading decides


class FixedModels:
    """Stands in for the trained models: every message reads the same."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def read(self, text: str) -> Reading:
        return self.reading

    def read_many(self, texts: list[str]) -> list[Reading]:
        return [self.reading for _ in texts]


def reading(intent: str = "report", intent_p: float = 0.9, danger_p: float = 0.0,
            entries: tuple[tuple[str, float], ...] = ()) -> Reading:
    return Reading(intent, intent_p, {intent: intent_p}, danger_p, "confinement", entries, "wages", 0.8)


def with_reading(ctx: FlowContext, r: Reading) -> FlowContext:
    return dataclasses.replace(ctx, understanding=Understanding(FixedModels(r), BANDS))  # type: ignore[arg-type]


def turn(text: str, state: State | None = None, case: CaseView | None = None) -> Turn:
    return Turn(Inbound("telegram", "u1", "m1", text), state or State(), case, NOW)


@pytest.mark.parametrize(("danger_p", "emergency", "safety"), [
    (0.95, True, False),
    (0.60, True, False),  # the high threshold itself opens the case
    (0.59, False, True),
    (0.25, False, True),  # the low threshold itself asks
    (0.24, False, False),
    (0.0, False, False),
])
def test_danger_bands(ctx: FlowContext, danger_p: float, emergency: bool, safety: bool) -> None:
    c = with_reading(ctx, reading("report", 0.9, danger_p))
    route = router.classify(NEUTRAL, c)
    assert (route.emergency, route.signals.safety_check) == (emergency, safety)
    step = conversation.handle(turn(NEUTRAL), c)
    opened = [e for e in step.effects if isinstance(e, OpenCase)]
    if emergency:
        assert opened and opened[0].emergency and opened[0].priority == "emergency"
    elif safety:
        assert not opened and step.replies[0].text.startswith("Apakah Anda dalam bahaya sekarang?")
        assert [b.payload for b in step.replies[0].buttons] == ["safety:yes", "safety:no"]


@pytest.mark.parametrize("text", ["tolong", "TOLONG!!", "help", "sos", "darurat", "tolong saya", "Help me"])
def test_a_bare_call_for_help_gets_the_safety_question(ctx: FlowContext, text: str) -> None:
    c = with_reading(ctx, reading("out_of_scope", 0.9, 0.05))
    step = conversation.handle(turn(text), c)
    assert [b.payload for b in step.replies[0].buttons] == ["safety:yes", "safety:no"]
    question = "Are you in danger right now?" if text.lower().startswith("help") else "Apakah Anda dalam bahaya sekarang?"
    assert step.replies[0].text.startswith(question)  # in the writer's language
    assert "belum bisa menjawab" not in step.replies[0].text


@pytest.mark.parametrize(("top", "runner_up", "outcome"), [
    (0.90, 0.05, "answer"),
    (0.56, 0.10, "answer"),
    (0.56, 0.54, "choices"),  # too close to the runner-up to be sure
    (0.40, 0.20, "choices"),
    (0.21, 0.10, "choices"),
    (0.15, 0.10, "fallback"),
])
def test_faq_bands(ctx: FlowContext, top: float, runner_up: float, outcome: str) -> None:
    entries = (("paspor-cara-buat", top), ("paspor-masa-berlaku", runner_up))
    c = with_reading(ctx, reading("faq", 0.9, 0.0, entries))
    step = conversation.handle(turn(NEUTRAL), c)
    reply = step.replies[0]
    if outcome == "answer":
        assert reply.text.startswith(c.render(c.kb.entry("paspor-cara-buat").answer)[:40])
    elif outcome == "choices":
        assert reply.text == phrases.DID_YOU_MEAN
        assert reply.buttons[0].payload == "faq:paspor-cara-buat"
    else:
        assert reply.text == phrases.CANNOT_ANSWER


STATES = [
    (State(), None),
    (State("faq", "ask"), None),
    (State("faq", "answered", {"entry_id": "paspor-cara-buat"}), None),
    (State("licence", "ask"), None),
    (State("report", "where", {"what": "gaji belum dibayar"}), None),
    (State("case", "open"), CaseView("MC-1", "claimed", "petugas1")),
    (State("rating", "ask", {"case_number": "MC-1"}), CaseView("MC-1", "resolved")),
]


@pytest.mark.parametrize(("state", "case"), STATES, ids=[f"{s.flow}-{s.step}" for s, _ in STATES])
def test_the_safety_question_comes_in_every_state_and_yes_opens_an_emergency(ctx: FlowContext, state: State,
                                                                           case: CaseView | None) -> None:
    c = with_reading(ctx, reading("report", 0.7, 0.4))
    asked = conversation.handle(turn(NEUTRAL, state, case), c)
    assert asked.replies[0].text.startswith("Apakah Anda dalam bahaya sekarang?")
    if case is not None and case.is_open:
        assert RelayToCase(NEUTRAL) in asked.effects  # the officer reads it whatever the answer
    calm = with_reading(ctx, reading("out_of_scope", 0.9, 0.0))
    yes = conversation.handle(turn("1", asked.state, case), calm)
    if case is not None and case.is_open:
        assert any(isinstance(e, EscalateCase) for e in yes.effects)
    else:
        opened = [e for e in yes.effects if isinstance(e, OpenCase)]
        assert opened and opened[0].emergency and opened[0].summary == NEUTRAL


def test_no_to_the_safety_question_handles_the_held_message_as_usual(ctx: FlowContext) -> None:
    c = with_reading(ctx, reading("faq", 0.8, 0.3, (("paspor-cara-buat", 0.9),)))
    asked = conversation.handle(turn(NEUTRAL), c)
    no = conversation.handle(turn("2", asked.state), c)
    assert not any(isinstance(e, OpenCase) for e in no.effects)
    assert no.state.flow == "faq" and no.state.slots.get("entry_id") == "paspor-cara-buat"


def test_no_during_an_intake_returns_to_the_intake(ctx: FlowContext) -> None:
    c = with_reading(ctx, reading("report", 0.8, 0.3))
    asked = conversation.handle(turn("Johor Bahru", State("report", "where", {"what": "gaji telat"})), c)
    no = conversation.handle(turn("tidak", asked.state), c)
    assert no.state.flow == "report" and no.state.slots["where"] == "Johor Bahru"


@pytest.mark.parametrize("step", ["where", "who", "safe_contact"])
def test_the_models_alone_do_not_escalate_a_short_intake_answer_they_ask(ctx: FlowContext, step: str) -> None:
    c = with_reading(ctx, reading("report", 0.9, 0.95))
    state = State("report", step, {"what": "gaji belum dibayar", "category": "wages"})
    asked = conversation.handle(turn(NEUTRAL, state, CaseView("MC-1", "new")), c)
    assert asked.replies[0].text.startswith("Apakah Anda dalam bahaya sekarang?")
    assert not any(isinstance(e, (OpenCase, EscalateCase)) for e in asked.effects)
    explicit = conversation.handle(turn("saya dikunci di kamar oleh majikan", state, CaseView("MC-1", "new")), c)
    assert any(isinstance(e, EscalateCase) for e in explicit.effects)  # a danger phrase still escalates at once


def test_a_new_message_instead_of_an_answer_never_drops_the_held_report(ctx: FlowContext) -> None:
    c = with_reading(ctx, reading("report", 0.9, 0.3))
    asked = conversation.handle(turn("paspor saya dipegang agen", State()), c)
    assert asked.replies[0].text.startswith("Apakah Anda dalam bahaya sekarang?")
    calm = with_reading(ctx, reading("report", 0.9, 0.0))  # the held report, read again, is no danger now
    moved_on = conversation.handle(turn("Kuala Lumpur", asked.state), calm)
    assert any(isinstance(e, OpenCase) and e.summary == "paspor saya dipegang agen" for e in moved_on.effects)
