"""One step of a conversation: state + inbound message -> replies, new state, effects. No I/O.

Order of checks for every message (DESIGN.md, "safety first"):
1. the number of a button offered last turn is read as that button;
2. danger signs, whatever the state: emergency guidance and an emergency case; possible
   danger: the safety question ("are you in danger now?"), then the message is handled as
   the answer says;
3. global commands (menu, batal, status laporan) work in every state;
4. while a case is open, messages go to its officer;
5. the current flow's step, or, at the menu, the router's decision.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Callable, Mapping

from flows import buttons, faq, licence, phrases, rating, report, router, signals
from flows.about import about_someone_else, place_of
from flows.context import FlowContext
from flows.messages import Outbound
from flows.state import (AttachEvidence, Effect, EraseMyData, EscalateCase, Flow, OpenCase, RelayToCase, State, Step,
                         StepResult, Turn, WithdrawCase)
from knowledge.language import is_english

_MENU_WORDS = {"menu", "start", "mulai", "kembali", "menu utama", "main menu", "home", "awal"}
_CANCEL_WORDS = {"batal", "batalkan", "cancel", "stop", "berhenti", "keluar"}
_STATUS = re.compile(r"^(status|cek status|status laporan|status kasus|laporan saya|bagaimana laporan saya)\b")
_REPORT_WORDS = {"lapor", "laporan", "melapor", "mau lapor", "ingin melapor", "buat laporan", "minta tolong", "tolong"}
_ERASE = re.compile(r"\b(hapus|hapuskan|menghapus|delete)\b.{0,20}\b(data|akun|pesan|riwayat)\b.{0,10}\b(saya|kami)\b")
_LICENCE_WORDS = {"cek", "cek izin", "cek pt", "cek perusahaan", "cek agen", "cek p3mi"}
_MORE_WORDS = {"selengkapnya", "lengkapnya", "lebih lengkap", "lebih lanjut", "detail", "detailnya", "rincian",
               "rinciannya", "info lengkap", "more", "details"}
_THANKS = re.compile(r"\b(terima kasih|thank you|thanks|thx|matur nuwun|suwun|nuhun|makasih)\b")
ACK_EVERY = dt.timedelta(minutes=10)
OUT_OF_SCOPE_SURE = 0.6

def main_menu(ctx: FlowContext, text: str | None = None) -> StepResult:
    reply = Outbound(text or phrases.greeting(ctx.service_name), phrases.MAIN_MENU_BUTTONS)
    return StepResult([reply], State(), intent="greeting")


def _contacts(ctx: FlowContext, turn: Turn, text: str) -> str:
    """The emergency contacts for where the person in danger is."""
    return phrases.contact_lines(dict(ctx.values.get("contacts", {})), ctx.contact_keys(place_of(turn, text)))


def emergency(turn: Turn, sig: signals.Signals, ctx: FlowContext, text: str | None = None) -> StepResult:
    """Danger now: emergency guidance at once and an emergency case (or the open case raised to one)."""
    text = turn.inbound.text if text is None else text
    contacts = _contacts(ctx, turn, text)
    if turn.case is not None and turn.case.is_open:
        reply = Outbound(phrases.t("EMERGENCY_AGAIN", _lang(turn)).format(case_number=turn.case.number,
                                                                          contacts=contacts))
        upward = sig.category if report.more_serious(sig.category, turn.case.category) else None
        return StepResult([reply], State(Flow.CASE, Step.OPEN), [EscalateCase(text[:500], upward), RelayToCase(text)],
                          intent="report")
    effect = OpenCase(category=sig.category, priority="emergency", emergency=True, summary=text[:500],
                      intake={"what": text[:2000]})
    template = phrases.t("EMERGENCY_OTHER" if about_someone_else(text) else "EMERGENCY", _lang(turn))
    reply = Outbound(template.format(contacts=contacts, case_number="{case_number}"))
    return StepResult([reply], State(Flow.CASE, Step.OPEN), [effect], intent="report")


def safety_question(turn: Turn, ctx: FlowContext) -> StepResult:
    """Possible danger: ask before guessing either way; the message waits for the answer."""
    state = turn.state
    resume = {"flow": state.flow.value, "step": state.step.value,
              "slots": {k: v for k, v in state.slots.items() if not k.startswith("_")}}
    effects: list[Effect] = []
    if turn.case is not None and turn.case.is_open:
        effects.append(RelayToCase(turn.inbound.text))  # the officer sees it whatever the answer
    reply = Outbound(phrases.t("SAFETY_QUESTION", _lang(turn)).format(contacts=_contacts(ctx, turn, turn.inbound.text)),
                     phrases.buttons((phrases.SAFETY_YES, phrases.SAFETY_NO), _lang(turn)))
    slots = {"text": turn.inbound.text[:2000], "resume": resume}
    return StepResult([reply], State(Flow.SAFETY, Step.ASK, slots), effects, intent="report")


def safety_answer(turn: Turn, ctx: FlowContext, sig: signals.Signals, in_danger: bool | None) -> StepResult:
    """The answer to the safety question: an emergency, or the held message handled as usual.

    `sig` is what this message (the answer) says; the held message is read once, here."""
    held = str(turn.state.slots.get("text", ""))
    resume = turn.state.slots.get("resume") or {}
    previous = State.load(resume.get("flow", Flow.MENU), resume.get("step", Step.START),
                          {**(resume.get("slots") or {}), "_lang": _lang(turn)})
    held_sig = ctx.read(held.strip())
    if in_danger:
        return emergency(Turn(turn.inbound, previous, turn.case, turn.now), held_sig, ctx, text=held)
    again = Turn(dataclasses.replace(turn.inbound, text=held), previous, turn.case, turn.now)
    result = _step(again, ctx, held_sig, ask_safety=False)
    if in_danger is None:
        # not an answer but a new message: the held one is never dropped (a report still opens its
        # case), and the new one is then handled in the state the held one left
        then = _step(Turn(turn.inbound, result.state, turn.case, turn.now), ctx, sig)
        result = StepResult(result.replies + then.replies, then.state, result.effects + then.effects,
                            then.intent or result.intent)
    return result


def open_human_case(turn: Turn, ctx: FlowContext) -> StepResult:
    if turn.case is not None and turn.case.is_open:
        return relay(turn)
    effect = OpenCase(category="other", priority="normal", emergency=False,
                      summary=turn.inbound.text[:500] or "Minta bicara dengan petugas",
                      intake={"what": turn.inbound.text})
    reply = Outbound(phrases.t("HUMAN_QUEUED", _lang(turn)).format(case_number="{case_number}",
                                                                   contacts=_contacts(ctx, turn, turn.inbound.text)))
    return StepResult([reply], State(Flow.CASE, Step.OPEN), [effect], intent="human")


def status(turn: Turn) -> StepResult:
    if turn.case is None:
        return StepResult([Outbound(phrases.STATUS_NONE, (phrases.REPORT, phrases.TO_MENU))], turn.state)
    who = f" Petugas: {turn.case.assignee}." if turn.case.assignee else ""
    text = phrases.STATUS_LINE.format(case_number=turn.case.number, status=phrases.STATUS_LABELS.get(
        turn.case.status, turn.case.status), assignee=who)
    return StepResult([Outbound(text)], turn.state)


def route_message(turn: Turn, ctx: FlowContext, sig: signals.Signals) -> StepResult:
    """A message outside any flow question: decide with the router."""
    text = turn.inbound.text
    route = router.classify(text, ctx, sig)
    if route.intent == "greeting":
        if _THANKS.search(sig.text):  # thanks closes a topic; the whole menu again would be noise
            return StepResult([Outbound(phrases.YOU_ARE_WELCOME, (phrases.TO_MENU,))], State(), intent="greeting")
        return main_menu(ctx)
    if route.intent == "human":
        return open_human_case(turn, ctx)
    if route.intent == "report":
        if turn.case is not None and turn.case.is_open:
            return relay(turn)
        return report.start(text, sig, lang=_lang(turn))
    if route.intent == "licence_check":
        return licence.check(text, ctx)
    if not sig.text.strip():
        return main_menu(ctx, phrases.NOT_UNDERSTOOD)
    return faq.respond(text, route.intent, list(route.hits), ctx, _lang(turn))


def relay(turn: Turn) -> StepResult:
    """While a case is open the officer answers; every message still gets a reply from the bot:
    the first says who has it and when they are due, later ones within a few minutes one short line."""
    assert turn.case is not None
    last = turn.state.slots.get("last_ack")
    if not last or turn.now - dt.datetime.fromisoformat(last) >= ACK_EVERY:
        due = phrases.due_in(turn.case.due_at - turn.now, _lang(turn)) if turn.case.due_at else ""
        text = phrases.t("CASE_FORWARDED", _lang(turn)).format(case_number=turn.case.number, due=due)
        last = turn.now.isoformat()
    else:
        text = phrases.t("CASE_FORWARDED_SHORT", _lang(turn))
    return StepResult([Outbound(text)], State(Flow.CASE, Step.OPEN, {"last_ack": last}),
                      [RelayToCase(turn.inbound.text)],
                      intent="report")


def _by_payload(payload: str, turn: Turn, ctx: FlowContext, sig: signals.Signals) -> StepResult | None:
    if payload == "menu":
        return main_menu(ctx, phrases.MENU_AGAIN)
    if payload == phrases.MENU_FAQ:
        return StepResult([Outbound(phrases.ASK_QUESTION, (phrases.TO_MENU,))], State(Flow.FAQ, Step.ASK), intent="faq")
    if payload == phrases.MENU_LICENCE:
        return StepResult([Outbound(phrases.ASK_AGENCY, (phrases.TO_MENU,))], State(Flow.LICENCE, Step.ASK),
                          intent="licence_check")
    if payload in (phrases.MENU_REPORT, "licence:report"):
        prefilled = ({"category": "illegal_recruiter", "who": turn.state.slots.get("query", "")}
                     if payload == "licence:report" else {})
        if turn.case is not None and turn.case.is_open:
            return report.same_or_new(turn.case.number, prefilled)  # one person may have several problems
        return report.start(None, None, prefilled, _lang(turn))
    if payload == "report:same" and turn.case is not None and turn.case.is_open:
        return StepResult([Outbound(phrases.WRITE_TO_CASE.format(case_number=turn.case.number))],
                          State(Flow.CASE, Step.OPEN), intent="report")
    if payload == "report:new":
        return report.start(None, None, {**turn.state.slots.get("prefilled", {}), "_separate": True}, _lang(turn))
    if payload == phrases.MENU_HUMAN:
        return open_human_case(turn, ctx)
    if payload.startswith("faq:"):
        entry = ctx.kb.entry(payload[4:])
        if entry is not None:
            return faq.answer(entry, ctx)
        return faq.cannot_answer(turn.state.slots.get("question", turn.inbound.text), [])
    if payload.startswith(phrases.MORE_PREFIX):
        entry = ctx.kb.entry(payload[len(phrases.MORE_PREFIX):])
        if entry is not None:
            return faq.details(entry, ctx)
        return faq.cannot_answer(turn.state.slots.get("question", turn.inbound.text), [], _lang(turn))
    if payload in ("fb:yes", "fb:no"):
        return faq.feedback(turn.state, payload == "fb:yes")
    if payload.startswith("licence:no:"):
        return licence.check(payload[len("licence:no:"):], ctx)
    if payload == "privacy:erase" and turn.state.flow == Flow.PRIVACY:
        return StepResult([Outbound(phrases.ERASE_DONE, (phrases.TO_MENU,))], State(), [EraseMyData()])
    if payload.startswith("rate:") and turn.state.flow == Flow.RATING:
        return rating.answer(turn, int(payload[5:]))
    return None


# --- the current flow's step: (flow, step) -> handler; step None: any step of the flow ---------------
# A handler returns None when the message is not an answer to its question (the router decides then).

Handler = Callable[[Turn, FlowContext, signals.Signals, str | None], StepResult | None]


def _rating_answer(turn: Turn, ctx: FlowContext, sig: signals.Signals, payload: str | None) -> StepResult | None:
    return rating.typed(turn, sig.text)


def _report_answer(turn: Turn, ctx: FlowContext, sig: signals.Signals, payload: str | None) -> StepResult:
    state, text, norm = turn.state, turn.inbound.text.strip(), sig.text
    if state.step == Step.SAME_OR_NEW and turn.case is not None and turn.case.is_open:
        return relay(turn)  # typed on instead of choosing: more about the open case
    if report.only_asking(norm):
        # "aku gk mau lapor, cm nanya": the case opened by the misunderstanding is withdrawn, the question answered
        withdrawn: list[Effect] = [WithdrawCase("bukan laporan")] if "what" in state.slots else []
        answered = route_message(Turn(turn.inbound, State(), None, turn.now), ctx, sig)
        answered.effects[:0] = withdrawn
        return answered
    return report.step(state, text, payload, sig, _contacts(ctx, turn, text))


def _faq_question(turn: Turn, ctx: FlowContext, sig: signals.Signals, payload: str | None) -> StepResult | None:
    text = turn.inbound.text.strip()
    if not sig.text:
        return None
    route = router.classify(text, ctx, sig)
    if route.intent not in ("faq", "out_of_scope"):
        return None
    # the person chose "ask about procedures": a question the models are unsure about is given
    # the benefit of the doubt, one they clearly place elsewhere is not
    hits = list(route.hits)
    sure_elsewhere = route.intent == "out_of_scope" and route.confidence >= OUT_OF_SCOPE_SURE
    intent = "faq" if hits and hits[0].confidence >= ctx.thresholds.suggest and not sure_elsewhere else "out_of_scope"
    return faq.respond(text, intent, hits, ctx, _lang(turn))


def _faq_more(turn: Turn, ctx: FlowContext, sig: signals.Signals, payload: str | None) -> StepResult | None:
    if sig.text not in _MORE_WORDS:
        return None
    entry = ctx.kb.entry(str(turn.state.slots.get("entry_id", "")))
    return faq.details(entry, ctx) if entry is not None else None  # "selengkapnya" typed instead of pressed


def _licence_query(turn: Turn, ctx: FlowContext, sig: signals.Signals, payload: str | None) -> StepResult | None:
    return licence.check(turn.inbound.text.strip(), ctx) if sig.text else None


STEPS: Mapping[tuple[Flow, Step | None], Handler] = {
    (Flow.RATING, None): _rating_answer,
    (Flow.REPORT, None): _report_answer,
    (Flow.FAQ, Step.ASK): _faq_question,
    (Flow.FAQ, Step.ANSWERED): _faq_more,
    (Flow.LICENCE, Step.ASK): _licence_query,
}


def _step(turn: Turn, ctx: FlowContext, sig: signals.Signals, ask_safety: bool = True) -> StepResult:
    """The order of checks of the module docstring; `sig` is what `turn.inbound` says."""
    state = turn.state
    text = turn.inbound.text.strip()
    norm = sig.text
    payload = buttons.payload_of(text, state.slots)
    evidence = turn.inbound.media

    if sig.is_emergency:
        if state.flow == Flow.REPORT and state.step in report.ANSWER_STEPS and not sig.rule_report:
            # a short answer to our own question ("nomor adik saya …") is not what the models learned
            # from: only an explicit danger phrase escalates at once, the models' suspicion is asked
            return safety_question(turn, ctx)
        return emergency(turn, sig, ctx)
    if state.flow == Flow.SAFETY:
        answer = {"safety:yes": True, "safety:no": False}.get(payload or "", report.yes_no(text))
        return safety_answer(turn, ctx, sig, answer)
    if ask_safety and sig.safety_check and payload is None:
        return safety_question(turn, ctx)
    if state.flow == Flow.REPORT and state.step == Step.WITHDRAW:
        choice = {"report:withdraw": True, "report:continue": False}.get(payload or "", report.yes_no(text))
        if choice is not None:
            return report.withdraw_answer(state, choice)
    if norm in _CANCEL_WORDS and state.flow == Flow.REPORT and "what" in state.slots:
        return report.ask_withdraw(state)  # the case exists already: withdrawing it is a decision
    if norm in _MENU_WORDS or norm in _CANCEL_WORDS:
        return main_menu(ctx, phrases.CANCELLED + " " + phrases.MENU_AGAIN if norm in _CANCEL_WORDS else None)
    if _STATUS.match(norm):
        return status(turn)
    if _ERASE.search(norm) and not sig.question:
        return StepResult([Outbound(phrases.ERASE_CONFIRM, (phrases.ERASE_YES, phrases.TO_MENU))],
                          State(Flow.PRIVACY, Step.CONFIRM))
    if payload is not None:
        by_payload = _by_payload(payload, turn, ctx, sig)
        if by_payload is not None:
            return by_payload
    if turn.case is not None and turn.case.is_open and (state.flow == Flow.CASE or evidence):
        return relay(turn)
    handler = STEPS.get((state.flow, state.step)) or STEPS.get((state.flow, None))
    answered = handler(turn, ctx, sig, payload) if handler is not None else None
    if answered is not None:
        return answered
    if not text and evidence:
        return report.start(None, None, lang=_lang(turn))
    if norm in _REPORT_WORDS:
        return _menu_choice(phrases.MENU_REPORT, turn, ctx, sig)
    if norm in _LICENCE_WORDS:
        return _menu_choice(phrases.MENU_LICENCE, turn, ctx, sig)
    return route_message(turn, ctx, sig)


def _menu_choice(payload: str, turn: Turn, ctx: FlowContext, sig: signals.Signals) -> StepResult:
    """A main-menu choice typed as a word ("lapor", "cek"): always has a step."""
    chosen = _by_payload(payload, turn, ctx, sig)
    assert chosen is not None, payload
    return chosen


def _lang(turn: Turn) -> str:
    return str(turn.state.slots.get("_lang", "id"))


def handle(turn: Turn, ctx: FlowContext, sig: signals.Signals | None = None) -> StepResult:
    """The next step of this conversation. `sig`: what the caller read in the message already
    (the engine reads it once per turn); read here when not given."""
    sig = sig if sig is not None else ctx.read(turn.inbound.text.strip())
    english = is_english(turn.inbound.text)
    lang = "en" if english else "id" if english is False else turn.state.slots.get("_lang", "id")
    turn.state.slots["_lang"] = lang  # a "2" or "ok" keeps the language the person wrote in before
    state = turn.state
    idle = state.slots.get("_at")
    if idle and turn.now - dt.datetime.fromisoformat(idle) > ctx.idle_reset and state.flow not in (Flow.CASE,
                                                                                                  Flow.RATING):
        # a half-done intake loses nothing: its case is open already, and messages keep going to it
        fresh = State(Flow.CASE, Step.OPEN) if turn.case is not None and turn.case.is_open else State()
        fresh.slots["_lang"] = lang
        turn = Turn(turn.inbound, fresh, turn.case, turn.now)
    result = _step(turn, ctx, sig)
    for m in turn.inbound.media:
        result.effects.append(AttachEvidence(m.kind, m.ref, m.content_type))
    # remember what was offered, so "2" next turn means the second button
    offered = result.replies[-1].buttons if result.replies else ()
    result.state.slots["_buttons"] = [b.payload for b in offered]
    result.state.slots["_labels"] = [b.label for b in offered]
    result.state.slots["_at"] = turn.now.isoformat()
    result.state.slots["_lang"] = lang
    return result
