"""FAQ answers: confident answer with related questions, candidates when unsure, honest fallback."""

from __future__ import annotations

from flows import phrases
from flows.context import FlowContext
from flows.messages import Button, Outbound
from flows.state import Effect, Flow, RecordFeedback, RecordUnanswered, State, Step, StepResult
from knowledge.faq_index import Hit
from knowledge.kb import Entry


def more_button(entry: Entry) -> Button:
    return Button(phrases.MORE_LABEL, phrases.MORE_PREFIX + entry.id)


def answer(entry: Entry, ctx: FlowContext) -> StepResult:
    """The short first message; its details wait behind "Selengkapnya" (first, so it is "1" on WhatsApp)."""
    more = (more_button(entry),) if entry.more else ()
    return _reply(ctx.render(entry.answer), entry, ctx, more)


def details(entry: Entry, ctx: FlowContext) -> StepResult:
    """What "Selengkapnya" shows: the entry's details, then the same feedback question."""
    if not entry.more:
        return answer(entry, ctx)
    return _reply(ctx.render(entry.more), entry, ctx)


def _reply(text: str, entry: Entry, ctx: FlowContext, first: tuple[Button, ...] = ()) -> StepResult:
    related = [e for e in (ctx.kb.entry(r) for r in entry.related[:3]) if e is not None]
    buttons = (*first, phrases.FEEDBACK_YES, phrases.FEEDBACK_NO,
               *(Button(e.question, f"faq:{e.id}") for e in related), phrases.TO_MENU)
    return StepResult([Outbound(f"{text}\n\n{phrases.HELPFUL_Q}", buttons)],
                      State(Flow.FAQ, Step.ANSWERED, {"entry_id": entry.id}), intent="faq", entry_id=entry.id)


def suggest(text: str, hits: list[Hit]) -> StepResult:
    buttons = tuple(Button(h.entry.question, f"faq:{h.entry.id}") for h in hits[:3]) + (phrases.NONE_OF_THESE,)
    # the question is kept: "none of these" records it for the curators, not the button's code
    return StepResult([Outbound(phrases.DID_YOU_MEAN, buttons)],
                      State(Flow.FAQ, Step.SUGGESTED, {"question": text[:500]}),
                      intent="faq")


def cannot_answer(text: str, hits: list[Hit], lang: str = "id") -> StepResult:
    best = hits[0] if hits else None
    effect = RecordUnanswered(text[:2000], best.entry.id if best else None, best.confidence if best else 0.0)
    reply = Outbound(phrases.t("CANNOT_ANSWER", lang), phrases.buttons((phrases.ASK_HUMAN, phrases.TO_MENU), lang))
    return StepResult([reply], State(Flow.FAQ, Step.FALLBACK, {"question": text[:500]}), [effect],
                      intent="out_of_scope")


def respond(text: str, intent: str, hits: list[Hit], ctx: FlowContext, lang: str = "id") -> StepResult:
    """The reply to a free question that the router judged `faq` or `out_of_scope`."""
    if intent == "faq" and hits:
        top = hits[0]
        runner_up = hits[1].confidence if len(hits) > 1 else 0.0
        if top.confidence >= ctx.thresholds.answer and top.confidence - runner_up >= ctx.thresholds.margin:
            return answer(top.entry, ctx)
        close = [h for h in hits if h.confidence >= ctx.thresholds.suggest]
        if close:
            return suggest(text, close)
    return cannot_answer(text, hits, lang)


def feedback(state: State, helpful: bool) -> StepResult:
    entry_id = state.slots.get("entry_id")
    effects: list[Effect] = [RecordFeedback(entry_id, helpful)] if entry_id else []
    if helpful:
        return StepResult([Outbound(phrases.THANKS_FEEDBACK + " " + phrases.MENU_AGAIN, phrases.MAIN_MENU_BUTTONS)],
                          State(), effects)
    return StepResult([Outbound(phrases.SORRY_FEEDBACK, (phrases.ASK_HUMAN, phrases.TO_MENU))], State(), effects)
