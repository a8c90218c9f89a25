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

from flows import faq, licence, phrases, report, router, signals
from flows.context import FlowContext
from flows.messages import Outbound
from flows.state import (AttachEvidence, EraseMyData, EscalateCase, OpenCase, RecordRating, RelayToCase, State,
                         StepResult, Turn, WithdrawCase)
from knowledge.job_offer import destinations
from knowledge.language import is_english
from knowledge.normalise import normalise

_MENU_WORDS = {"menu", "start", "mulai", "kembali", "menu utama", "main menu", "home", "awal"}
_MENU_PAYLOADS = {"menu", phrases.MENU_FAQ, phrases.MENU_LICENCE, phrases.MENU_REPORT, phrases.MENU_HUMAN}
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
_COUNTRY_CODES = (("+60", "Malaysia"), ("+65", "Singapura"), ("+852", "Hong Kong"), ("+886", "Taiwan"),
                  ("+62", "Indonesia"))
_IN_INDONESIA = re.compile(r"\b(indonesia|kampung|desa|batam|tanjung ?pinang|karimun|bintan|sekupang|tanjung balai|"
                           r"dideportasi|deportasi|pulang ke indonesia|tanah air)\b")
_RELATIVE = re.compile(r"\b(adik|kakak|suami|istri|anak|ibu|bapak|ayah|teman|keponakan|sepupu|saudara|tetangga|"
                       r"ipar|mertua|pacar|bojo)( (perempuan|laki laki|kandung|sekamar))? (saya|kami|aku)\b")
# the writer is in it too: the message starts with "saya ..." or asks help for themself
_FIRST_PERSON_HARM = re.compile(r"^(saya|aku|kami)\b|\b(tolong|bantu|help) (saya|aku|kami)\b")


def main_menu(ctx: FlowContext, text: str | None = None) -> StepResult:
    reply = Outbound(text or phrases.greeting(ctx.service_name), phrases.MAIN_MENU_BUTTONS)
    return StepResult([reply], State(), intent="greeting")


def _contacts(ctx: FlowContext, turn: Turn, text: str) -> str:
    """The emergency contacts for where the person in danger is."""
    return phrases.contact_lines(dict(ctx.values.get("contacts", {})), ctx.contact_keys(place_of(turn, text)))


def place_of(turn: Turn, text: str) -> str | None:
    """Where the person in danger is: a country named in the message or the report, a Kepri port
    or Indonesia named without a foreign country, else the country of the WhatsApp number."""
    told = " ".join((text, str(turn.state.slots.get("where") or ""), str(turn.state.slots.get("what") or "")))
    named = destinations(told)
    if named:
        return named[0]
    if _IN_INDONESIA.search(normalise(told)):
        return "Indonesia"
    if turn.inbound.channel == "whatsapp":
        return next((country for code, country in _COUNTRY_CODES if turn.inbound.user_ref.startswith(code)), None)
    return None


def about_someone_else(text: str) -> bool:
    """A report told about a relative or friend: the reply speaks to the reporter."""
    norm = normalise(text)
    return bool(_RELATIVE.search(norm)) and not _FIRST_PERSON_HARM.search(norm)


def as_seen(text: str, slots: dict) -> str:
    """What a message meant to the person, for the transcript: a pressed or numbered button is
    shown by its label ("2 (Cek izin perusahaan)"), not by its internal code."""
    offered: list[str] = slots.get("_buttons") or []
    labels: list[str] = slots.get("_labels") or []
    payload = _button_payload(text, State(slots=slots))
    if payload is None or payload not in offered or len(labels) != len(offered):
        return text
    label = labels[offered.index(payload)]
    return label if text.strip() == payload else f"{text.strip()} ({label})"


def _button_payload(text: str, state: State) -> str | None:
    offered: list[str] = state.slots.get("_buttons") or []
    t = text.strip().rstrip(".")
    if t.isascii() and t.isdigit() and 1 <= int(t) <= len(offered):  # "²" is a digit to Python, not a number
        return offered[int(t) - 1]
    if t in offered or t in _MENU_PAYLOADS or t.startswith(phrases.MORE_PREFIX):
        # Telegram callback data and web buttons come back as the payload; the main menu's and an
        # answer's "Selengkapnya" work in any state: a page or chat may show them from long ago
        return t
    return None


def emergency(turn: Turn, sig: signals.Signals, ctx: FlowContext, text: str | None = None) -> StepResult:
    text = turn.inbound.text if text is None else text
    contacts = _contacts(ctx, turn, text)
    if turn.case is not None and turn.case.is_open:
        reply = Outbound(phrases.t("EMERGENCY_AGAIN", _lang(turn)).format(case_number=turn.case.number,
                                                                          contacts=contacts))
        upward = sig.category if report.more_serious(sig.category, turn.case.category) else None
        return StepResult([reply], State("case", "open"), [EscalateCase(text[:500], upward), RelayToCase(text)],
                          intent="report")
    effect = OpenCase(category=sig.category, priority="emergency", emergency=True, summary=text[:500],
                      intake={"what": text[:2000]})
    template = phrases.t("EMERGENCY_OTHER" if about_someone_else(text) else "EMERGENCY", _lang(turn))
    reply = Outbound(template.format(contacts=contacts, case_number="{case_number}"))
    return StepResult([reply], State("case", "open"), [effect], intent="report")


def safety_question(turn: Turn, ctx: FlowContext) -> StepResult:
    """Possible danger: ask before guessing either way; the message waits for the answer."""
    state = turn.state
    resume = {"flow": state.flow, "step": state.step,
              "slots": {k: v for k, v in state.slots.items() if not k.startswith("_")}}
    effects: list = []
    if turn.case is not None and turn.case.is_open:
        effects.append(RelayToCase(turn.inbound.text))  # the officer sees it whatever the answer
    reply = Outbound(phrases.t("SAFETY_QUESTION", _lang(turn)).format(contacts=_contacts(ctx, turn, turn.inbound.text)),
                     phrases.buttons((phrases.SAFETY_YES, phrases.SAFETY_NO), _lang(turn)))
    slots = {"text": turn.inbound.text[:2000], "resume": resume}
    return StepResult([reply], State("safety", "ask", slots), effects, intent="report")


def safety_answer(turn: Turn, ctx: FlowContext, in_danger: bool | None) -> StepResult:
    """The answer to the safety question: an emergency, or the held message handled as usual."""
    held = str(turn.state.slots.get("text", ""))
    resume = turn.state.slots.get("resume") or {}
    previous = State(resume.get("flow", "menu"), resume.get("step", "start"),
                     {**(resume.get("slots") or {}), "_lang": _lang(turn)})
    if in_danger:
        return emergency(Turn(turn.inbound, previous, turn.case, turn.now), ctx.read(held), ctx, text=held)
    again = Turn(dataclasses.replace(turn.inbound, text=held), previous, turn.case, turn.now)
    result = _step(again, ctx, ask_safety=False)
    if in_danger is None:
        # not an answer but a new message: the held one is never dropped (a report still opens its
        # case), and the new one is then handled in the state the held one left
        then = _step(Turn(turn.inbound, result.state, turn.case, turn.now), ctx)
        result = StepResult(result.replies + then.replies, then.state, result.effects + then.effects,
                            then.intent or result.intent)
    return result


def open_human_case(turn: Turn, ctx: FlowContext) -> StepResult:
    if turn.case is not None and turn.case.is_open:
        return relay(turn)
    effect = OpenCase(category="other", priority="normal", emergency=False,
                      summary=turn.inbound.text[:500] or "Minta bicara dengan petugas", intake={"what": turn.inbound.text})
    reply = Outbound(phrases.t("HUMAN_QUEUED", _lang(turn)).format(case_number="{case_number}",
                                                                   contacts=_contacts(ctx, turn, turn.inbound.text)))
    return StepResult([reply], State("case", "open"), [effect], intent="human")


def status(turn: Turn) -> StepResult:
    if turn.case is None:
        return StepResult([Outbound(phrases.STATUS_NONE, (phrases.REPORT, phrases.TO_MENU))], turn.state)
    who = f" Petugas: {turn.case.assignee}." if turn.case.assignee else ""
    text = phrases.STATUS_LINE.format(case_number=turn.case.number, status=phrases.STATUS_LABELS.get(
        turn.case.status, turn.case.status), assignee=who)
    return StepResult([Outbound(text)], turn.state)


def route_free_text(turn: Turn, ctx: FlowContext, sig: signals.Signals) -> StepResult:
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
    if not normalise(text).strip():
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
    return StepResult([Outbound(text)], State("case", "open", {"last_ack": last}), [RelayToCase(turn.inbound.text)],
                      intent="report")


def _by_payload(payload: str, turn: Turn, ctx: FlowContext, sig: signals.Signals) -> StepResult | None:
    if payload == "menu":
        return main_menu(ctx, phrases.MENU_AGAIN)
    if payload == phrases.MENU_FAQ:
        return StepResult([Outbound(phrases.ASK_QUESTION, (phrases.TO_MENU,))], State("faq", "ask"), intent="faq")
    if payload == phrases.MENU_LICENCE:
        return StepResult([Outbound(phrases.ASK_AGENCY, (phrases.TO_MENU,))], State("licence", "ask"),
                          intent="licence_check")
    if payload in (phrases.MENU_REPORT, "licence:report"):
        prefilled = ({"category": "illegal_recruiter", "who": turn.state.slots.get("query", "")}
                     if payload == "licence:report" else {})
        if turn.case is not None and turn.case.is_open:
            return report.same_or_new(turn.case.number, prefilled)  # one person may have several problems
        return report.start(None, None, prefilled, _lang(turn))
    if payload == "report:same" and turn.case is not None and turn.case.is_open:
        return StepResult([Outbound(phrases.WRITE_TO_CASE.format(case_number=turn.case.number))],
                          State("case", "open"), intent="report")
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
    if payload == "privacy:erase" and turn.state.flow == "privacy":
        return StepResult([Outbound(phrases.ERASE_DONE, (phrases.TO_MENU,))], State(), [EraseMyData()])
    if payload.startswith("rate:") and turn.state.flow == "rating":
        return rating(turn, int(payload[5:]))
    return None


def rating(turn: Turn, value: int) -> StepResult:
    number = turn.state.slots.get("case_number", "")
    return StepResult([Outbound(phrases.RATING_THANKS, (phrases.TO_MENU,))], State(),
                      [RecordRating(number, value)])


def _step(turn: Turn, ctx: FlowContext, ask_safety: bool = True) -> StepResult:
    state = turn.state
    text = turn.inbound.text.strip()
    norm = normalise(text)
    payload = _button_payload(text, state)
    sig = ctx.read(text)
    evidence = turn.inbound.media

    if sig.is_emergency:
        if state.flow == "report" and state.step in report.ANSWER_STEPS and not sig.rule_report:
            # a short answer to our own question ("nomor adik saya …") is not what the models learned
            # from: only an explicit danger phrase escalates at once, the models' suspicion is asked
            return safety_question(turn, ctx)
        return emergency(turn, sig, ctx)
    if state.flow == "safety":
        answer = {"safety:yes": True, "safety:no": False}.get(payload or "", report.yes_no(text))
        return safety_answer(turn, ctx, answer)
    if ask_safety and sig.safety_check and payload is None:
        return safety_question(turn, ctx)
    if state.flow == "report" and state.step == "withdraw":
        choice = {"report:withdraw": True, "report:continue": False}.get(payload or "", report.yes_no(text))
        if choice is not None:
            return report.withdraw_answer(state, choice)
    if norm in _CANCEL_WORDS and state.flow == "report" and "what" in state.slots:
        return report.ask_withdraw(state)  # the case exists already: withdrawing it is a decision
    if norm in _MENU_WORDS or norm in _CANCEL_WORDS:
        return main_menu(ctx, phrases.CANCELLED + " " + phrases.MENU_AGAIN if norm in _CANCEL_WORDS else None)
    if _STATUS.match(norm):
        return status(turn)
    if _ERASE.search(norm) and not sig.question:
        return StepResult([Outbound(phrases.ERASE_CONFIRM, (phrases.ERASE_YES, phrases.TO_MENU))],
                          State("privacy", "confirm"))
    if payload is not None:
        by_payload = _by_payload(payload, turn, ctx, sig)
        if by_payload is not None:
            return by_payload
    if turn.case is not None and turn.case.is_open and (state.flow == "case" or evidence):
        return relay(turn)
    if state.flow == "rating" and norm.isdigit() and 1 <= int(norm) <= 5:
        return rating(turn, int(norm))
    if state.flow == "report" and state.step == "same_or_new" and turn.case is not None and turn.case.is_open:
        return relay(turn)  # typed on instead of choosing: more about the open case
    if state.flow == "report" and report.only_asking(norm):
        # "aku gk mau lapor, cm nanya": the case opened by the misunderstanding is withdrawn, the question answered
        withdrawn = [WithdrawCase("bukan laporan")] if "what" in state.slots else []
        answered = route_free_text(Turn(turn.inbound, State(), None, turn.now), ctx, sig)
        answered.effects[:0] = withdrawn
        return answered
    if state.flow == "report":
        return report.step(state, text, payload, sig, _contacts(ctx, turn, text))
    if not text and evidence:
        return report.start(None, None, lang=_lang(turn))
    if state.flow == "faq" and state.step == "ask" and norm:
        route = router.classify(text, ctx, sig)
        if route.intent in ("faq", "out_of_scope"):
            # the person chose "ask about procedures": a question the models are unsure about is given
            # the benefit of the doubt, one they clearly place elsewhere is not
            hits = list(route.hits)
            sure_elsewhere = route.intent == "out_of_scope" and route.confidence >= OUT_OF_SCOPE_SURE
            intent = "faq" if hits and hits[0].confidence >= ctx.thresholds.suggest and not sure_elsewhere \
                else "out_of_scope"
            return faq.respond(text, intent, hits, ctx, _lang(turn))
    if state.flow == "faq" and state.step == "answered" and norm in _MORE_WORDS:
        entry = ctx.kb.entry(str(state.slots.get("entry_id", "")))
        if entry is not None:  # "selengkapnya" typed instead of pressed
            return faq.details(entry, ctx)
    if state.flow == "licence" and state.step == "ask" and norm:
        return licence.check(text, ctx)
    if norm in _REPORT_WORDS:
        return _by_payload(phrases.MENU_REPORT, turn, ctx, sig)  # type: ignore[return-value]
    if norm in _LICENCE_WORDS:
        return _by_payload(phrases.MENU_LICENCE, turn, ctx, sig)  # type: ignore[return-value]
    return route_free_text(turn, ctx, sig)


def _lang(turn: Turn) -> str:
    return str(turn.state.slots.get("_lang", "id"))


def handle(turn: Turn, ctx: FlowContext) -> StepResult:
    """The next step of this conversation."""
    english = is_english(turn.inbound.text)
    lang = "en" if english else "id" if english is False else turn.state.slots.get("_lang", "id")
    turn.state.slots["_lang"] = lang  # a "2" or "ok" keeps the language the person wrote in before
    state = turn.state
    idle = state.slots.get("_at")
    if idle and turn.now - dt.datetime.fromisoformat(idle) > ctx.idle_reset and state.flow not in ("case", "rating"):
        # a half-done intake loses nothing: its case is open already, and messages keep going to it
        fresh = State("case", "open") if turn.case is not None and turn.case.is_open else State()
        fresh.slots["_lang"] = lang
        turn = Turn(turn.inbound, fresh, turn.case, turn.now)
    result = _step(turn, ctx)
    for m in turn.inbound.media:
        result.effects.append(AttachEvidence(m.kind, m.ref, m.content_type))
    # remember what was offered, so "2" next turn means the second button
    buttons = result.replies[-1].buttons if result.replies else ()
    result.state.slots["_buttons"] = [b.payload for b in buttons]
    result.state.slots["_labels"] = [b.label for b in buttons]
    result.state.slots["_at"] = turn.now.isoformat()
    result.state.slots["_lang"] = lang
    return result

