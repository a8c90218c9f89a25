"""Flow steps called directly: state + Inbound in, replies + new state + effects out. No database.

Each conversation is carried from turn to turn by `Talk`, as the engine would store it: the
state goes through its stored form (plain strings and JSON-like slots) between two turns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from bot.service import load_sample_registry
from bot.settings import load_settings
from flows import conversation, phrases, rating
from flows.context import FlowContext
from flows.messages import Inbound, MediaRef, Outbound
from flows.signals import Understanding
from flows.state import (AttachEvidence, CaseView, EscalateCase, Flow, OpenCase, RecordFeedback, RecordRating, State,
                         Step, StepResult, Turn, UpdateCase)
from knowledge.agencies import AgencyIndex, verdict_for
from tests.conftest import ROOT

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


class Talk:
    """One person's conversation, step by step, with the state kept between turns as the engine stores it."""

    def __init__(self, ctx: FlowContext, channel: str = "whatsapp", user: str = "+6281234567890") -> None:
        self.ctx, self.channel, self.user = ctx, channel, user
        self.stored: tuple[str, str, dict[str, Any]] = ("menu", "start", {})
        self.case: CaseView | None = None
        self.now = NOW
        self.result: StepResult | None = None

    def say(self, text: str, media: tuple[MediaRef, ...] = ()) -> StepResult:
        self.now += dt.timedelta(minutes=1)
        turn = Turn(Inbound(self.channel, self.user, f"m{self.now.timestamp()}", text, media), State.load(*self.stored),
                    self.case, self.now)
        result = conversation.handle(turn, self.ctx)
        self.stored = (result.state.flow.value, result.state.step.value, result.state.slots)
        self.result = result
        return result

    @property
    def state(self) -> State:
        return State.load(*self.stored)

    @property
    def reply(self) -> Outbound:
        assert self.result is not None and self.result.replies
        return self.result.replies[-1]

    def payloads(self) -> list[str]:
        return [b.payload for b in self.reply.buttons]

    def effects(self, kind: type) -> list[Any]:
        assert self.result is not None
        return [e for e in self.result.effects if isinstance(e, kind)]


@pytest.fixture
def talk(ctx: FlowContext) -> Talk:
    return Talk(ctx)


# --- the menu ------------------------------------------------------------------------------------


def test_a_greeting_gets_the_menu_and_its_number_picks_the_button(talk: Talk) -> None:
    talk.say("halo")
    assert talk.payloads() == [b.payload for b in phrases.MAIN_MENU_BUTTONS]
    assert (talk.state.flow, talk.state.step) == (Flow.MENU, Step.START)
    second = phrases.MAIN_MENU_BUTTONS[1].payload
    talk.say("2")  # WhatsApp has no buttons: the number answers
    expected = conversation.handle(Turn(Inbound("whatsapp", "x", "y", second), State(), None, NOW), talk.ctx)
    assert talk.reply == expected.replies[-1]
    assert talk.state.flow == expected.state.flow and talk.state.flow != Flow.MENU


def test_menu_and_cancel_words_work_in_any_flow(talk: Talk) -> None:
    talk.say(phrases.MENU_LICENCE)
    assert talk.state.flow == Flow.LICENCE
    talk.say("menu")
    assert (talk.state.flow, talk.payloads()) == (Flow.MENU, [b.payload for b in phrases.MAIN_MENU_BUTTONS])


# --- FAQ -----------------------------------------------------------------------------------------


def _entry_with_details(ctx: FlowContext) -> Any:
    return next(e for e in ctx.kb.entries if e.more)


def test_an_faq_answer_is_short_and_selengkapnya_shows_the_details(talk: Talk) -> None:
    entry = _entry_with_details(talk.ctx)
    talk.say(f"faq:{entry.id}")
    assert talk.reply.text.startswith(talk.ctx.render(entry.answer))
    assert talk.payloads()[0] == phrases.MORE_PREFIX + entry.id  # first: "1" on WhatsApp
    assert (talk.state.flow, talk.state.step, talk.state.slots["entry_id"]) == (Flow.FAQ, Step.ANSWERED, entry.id)
    talk.say("selengkapnya")  # typed instead of pressed
    assert talk.reply.text.startswith(talk.ctx.render(entry.more))
    assert phrases.MORE_PREFIX + entry.id not in talk.payloads()  # the details are shown: no second "more"


def test_the_number_of_selengkapnya_shows_the_details_and_feedback_is_recorded(talk: Talk) -> None:
    entry = _entry_with_details(talk.ctx)
    talk.say(f"faq:{entry.id}")
    talk.say("1")
    assert talk.reply.text.startswith(talk.ctx.render(entry.more))
    talk.say(str(talk.payloads().index("fb:yes") + 1))
    assert talk.effects(RecordFeedback) == [RecordFeedback(entry.id, True)]
    assert talk.state.flow == Flow.MENU


# --- the safety question -------------------------------------------------------------------------


class CountingModels:
    """The real models, counting how often a message is read."""

    def __init__(self, models: Any) -> None:
        self.models, self.reads = models, 0

    def read(self, text: str) -> Any:
        self.reads += 1
        return self.models.read(text)

    def read_many(self, texts: list[str]) -> list[Any]:
        self.reads += len(texts)
        return list(self.models.read_many(texts))


def counting(ctx: FlowContext) -> tuple[FlowContext, CountingModels]:
    assert ctx.understanding is not None
    models = CountingModels(ctx.understanding.models)
    understanding = Understanding(models, ctx.understanding.bands)  # type: ignore[arg-type]  # a stand-in
    return dataclasses.replace(ctx, understanding=understanding), models


def test_a_bare_call_for_help_asks_and_yes_opens_an_emergency_case(talk: Talk) -> None:
    talk.say("tolong saya")
    assert talk.payloads() == ["safety:yes", "safety:no"]
    assert (talk.state.flow, talk.state.slots["text"]) == (Flow.SAFETY, "tolong saya")
    assert not talk.effects(OpenCase)  # nothing guessed before the answer
    talk.say("ya")
    opened = talk.effects(OpenCase)
    assert len(opened) == 1 and opened[0].emergency and opened[0].priority == "emergency"
    assert opened[0].summary == "tolong saya"  # the held message is the report
    assert (talk.state.flow, talk.state.step) == (Flow.CASE, Step.OPEN)


def test_no_to_the_safety_question_handles_the_held_message_where_it_was_asked(talk: Talk) -> None:
    talk.say(phrases.MENU_FAQ)
    talk.say("tolong")
    assert talk.state.flow == Flow.SAFETY
    talk.say("safety:no")
    assert not any(e.emergency for e in talk.effects(OpenCase))
    assert talk.state.flow != Flow.SAFETY


def test_a_message_is_read_once_per_turn_when_the_caller_read_it(ctx: FlowContext) -> None:
    c, models = counting(ctx)
    text = "gaji saya belum dibayar tiga bulan oleh majikan"
    sig = c.read(text)
    models.reads = 0
    conversation.handle(Turn(Inbound("telegram", "u", "m", text), State(), None, NOW), c, sig)
    assert models.reads == 0


def test_answering_the_safety_question_reads_only_the_held_message_again(ctx: FlowContext) -> None:
    c, models = counting(ctx)
    asked = conversation.handle(Turn(Inbound("telegram", "u", "m1", "tolong"), State(), None, NOW), c)
    assert asked.state.flow == Flow.SAFETY
    other = "bagaimana cara membuat paspor"  # not an answer: the held one, then this one
    sig = c.read(other)
    models.reads = 0
    conversation.handle(Turn(Inbound("telegram", "u", "m2", other), asked.state, None, NOW), c, sig)
    assert models.reads == 1


# --- the report intake and consent ---------------------------------------------------------------


def test_the_intake_opens_the_case_first_then_stores_each_answer(talk: Talk) -> None:
    talk.say(phrases.MENU_REPORT)
    assert (talk.state.flow, talk.state.step) == (Flow.REPORT, Step.WHAT)
    assert not talk.effects(OpenCase)
    talk.say("gaji saya tidak dibayar enam bulan oleh majikan di Johor")
    opened = talk.effects(OpenCase)
    assert len(opened) == 1 and not opened[0].emergency
    assert "Johor" in opened[0].intake.get("what", "")
    asked: list[Step] = []
    answers = {Step.WHERE: "Johor Bahru", Step.SAFE_NOW: "ya", Step.SAFE_REPLY: "ya", Step.WHO: "PT Maju",
               Step.CONSENT: "ya"}
    while talk.state.flow == Flow.REPORT:
        step = talk.state.step
        asked.append(step)
        talk.say(answers.get(step, "lewati"))
        if step == Step.CONSENT:
            assert talk.effects(UpdateCase) == [UpdateCase({"consent": True})]
        elif step == Step.SAFE_NOW:
            assert talk.effects(UpdateCase) == [UpdateCase({"safe_now": True})]
            assert not talk.effects(EscalateCase)
    assert asked[-1] == Step.CONSENT  # consent is asked last, before the case is left to the officers
    assert Step.SAFE_CONTACT not in asked  # asked only when replying is not safe
    assert (talk.state.flow, talk.state.step) == (Flow.CASE, Step.OPEN)
    assert not talk.effects(OpenCase)  # one case: the answers only enrich it


def test_not_safe_now_escalates_and_not_safe_to_reply_asks_for_a_safe_contact(talk: Talk) -> None:
    talk.say(phrases.MENU_REPORT)
    talk.say("agen menahan paspor saya")
    while talk.state.step != Step.SAFE_NOW:
        talk.say("lewati")
    talk.say("tidak")
    assert talk.effects(EscalateCase)
    assert talk.state.step == Step.SAFE_REPLY
    talk.say("tidak")
    assert talk.effects(UpdateCase) == [UpdateCase({"safe_reply": False})]
    assert talk.state.step == Step.SAFE_CONTACT


def test_consent_refused_is_stored_as_no(talk: Talk) -> None:
    talk.say(phrases.MENU_REPORT)
    talk.say("paspor saya ditahan agen")
    while talk.state.step != Step.CONSENT:
        talk.say("lewati")
    talk.say("tidak")
    assert talk.effects(UpdateCase) == [UpdateCase({"consent": False})]
    assert talk.state.flow == Flow.CASE


def test_a_photo_in_an_open_case_is_attached_to_it(talk: Talk) -> None:
    talk.case = CaseView("MC-2026-00001", "claimed", "Ani")
    talk.stored = ("case", "open", {})
    talk.say("", media=(MediaRef("photo", "file-1", "image/jpeg"),))
    assert talk.effects(AttachEvidence) == [AttachEvidence("photo", "file-1", "image/jpeg")]
    assert "MC-2026-00001" in talk.reply.text


# --- the licence check ---------------------------------------------------------------------------


@pytest.fixture
def registry_ctx(ctx: FlowContext) -> FlowContext:
    agencies = load_sample_registry(load_settings(ROOT / "config.yaml", env={}))
    return dataclasses.replace(ctx, agencies=AgencyIndex(agencies), today=lambda: NOW.date())


def _agency(ctx: FlowContext, verdict: str) -> Any:
    assert ctx.agencies is not None
    return next(a for a in ctx.agencies.agencies if verdict_for(a, NOW.date()) == verdict)


def test_the_licence_check_shows_a_licensed_agency_with_its_number(registry_ctx: FlowContext) -> None:
    talk = Talk(registry_ctx)
    talk.say(phrases.MENU_LICENCE)
    assert (talk.state.flow, talk.state.step) == (Flow.LICENCE, Step.ASK)
    agency = _agency(registry_ctx, "licensed")
    talk.say(agency.name)
    assert talk.reply.text.startswith("✅") and agency.licence_no in talk.reply.text
    assert "licence:report" not in talk.payloads()
    assert (talk.state.flow, talk.state.step) == (Flow.LICENCE, Step.RESULT)


def test_a_revoked_agency_can_be_reported_with_the_agency_filled_in(registry_ctx: FlowContext) -> None:
    talk = Talk(registry_ctx)
    agency = _agency(registry_ctx, "revoked")
    talk.say(phrases.MENU_LICENCE)
    talk.say(agency.name)
    assert talk.reply.text.startswith("⛔") and "licence:report" in talk.payloads()
    talk.say("licence:report")
    assert (talk.state.flow, talk.state.step) == (Flow.REPORT, Step.WHAT)
    assert talk.state.slots["category"] == "illegal_recruiter"
    assert agency.name in talk.state.slots["who"]


def test_without_a_registry_the_check_says_so_and_offers_an_officer(talk: Talk) -> None:
    talk.ctx = dataclasses.replace(talk.ctx, agencies=None)
    talk.say(phrases.MENU_LICENCE)
    talk.say("PT Apa Saja Sejahtera")
    assert phrases.ASK_HUMAN.payload in talk.payloads()
    assert talk.state.flow == Flow.MENU


# --- the rating ----------------------------------------------------------------------------------


def _resolved(talk: Talk, number: str) -> None:
    """The chat as storage/cases.py `resolve` leaves it, from the prompt flows built."""
    prompt = rating.prompt()
    slots = {k: v.replace("{case_number}", number) if isinstance(v, str) else v for k, v in prompt.slots.items()}
    talk.stored, talk.case = (prompt.flow, prompt.step, slots), CaseView(number, "resolved")


@pytest.mark.parametrize(("answer", "value"), [("4", 4), ("rate:5", 5), ("1", 1)])
def test_a_rating_is_recorded_for_the_resolved_case(talk: Talk, answer: str, value: int) -> None:
    _resolved(talk, "MC-2026-00042")
    assert talk.state.flow == Flow.RATING
    talk.say(answer)
    assert talk.effects(RecordRating) == [RecordRating("MC-2026-00042", value)]
    assert talk.state.flow == Flow.MENU


@pytest.mark.parametrize("answer", ["9", "0", "bagus sekali pelayanannya"])
def test_what_is_not_a_rating_is_not_recorded_as_one(talk: Talk, answer: str) -> None:
    _resolved(talk, "MC-2026-00042")
    talk.say(answer)
    assert talk.effects(RecordRating) == []
    assert talk.reply.text  # still answered


# --- the state table -----------------------------------------------------------------------------


def test_stored_states_keep_their_strings_and_an_unknown_one_starts_at_the_menu() -> None:
    assert State.load("report", "safe_now", {"what": "x"}) == State(Flow.REPORT, Step.SAFE_NOW, {"what": "x"})
    assert State.load("report", "safe_now", {}).flow == "report"  # str-valued: stored values do not change
    assert State.load("retired_flow", "start", {"_lang": "en"}) == State(Flow.MENU, Step.START, {"_lang": "en"})
    with pytest.raises(ValueError):
        State("nonsense", "start")


def test_every_flow_step_in_the_table_is_reachable_by_a_stored_state() -> None:
    for flow, step in conversation.STEPS:
        state = State.load(flow.value, (step or Step.START).value, {})
        assert state.flow == flow
