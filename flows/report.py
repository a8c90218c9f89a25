"""Report intake, case first: the message that tells the problem opens the case at once, so the
officers see it whatever happens next; the questions that follow only enrich it, each answer
stored as it comes. Every question can be skipped, and one already answered is not asked."""

from __future__ import annotations

import re
from typing import Any

from flows import phrases
from flows.messages import Button, Outbound
from flows.signals import Signals
from flows.state import Effect, EscalateCase, Flow, OpenCase, State, Step, StepResult, UpdateCase, WithdrawCase
from knowledge.job_offer import destinations

# step -> (its question in phrases, buttons); each step fills the slot of its name
STEPS: list[tuple[str, str, tuple[Button, ...]]] = [
    ("what", "INTAKE_START", (phrases.SKIP,)),
    ("where", "INTAKE_WHERE", (phrases.SKIP,)),
    ("safe_now", "INTAKE_SAFE_NOW", (phrases.YES, phrases.NO, phrases.SKIP)),
    ("safe_reply", "INTAKE_SAFE_REPLY", (phrases.YES, phrases.NO, phrases.SKIP)),
    ("safe_contact", "INTAKE_SAFE_CONTACT", (phrases.SKIP,)),
    ("who", "INTAKE_WHO", (phrases.SKIP,)),
    ("consent", "INTAKE_CONSENT", (phrases.YES, phrases.NO, phrases.SKIP)),
]
_YES_NO_SLOTS = {"safe_now", "safe_reply", "consent"}
ANSWER_STEPS = frozenset({"where", "who", "safe_contact"})  # short answers to a specific question
_YES = {"yes", "ya", "iya", "aman", "boleh", "setuju", "oke", "y", "yup", "bisa"}
_NO = {"no", "tidak", "tidak aman", "jangan", "tidak boleh", "n", "belum"}
_SKIP_WORDS = {"lewati", "skip", "-"}
HIGH_CATEGORIES = {"trafficking", "violence", "passport", "lost_contact", "stranded"}
SAME = Button("Ya, masalah yang sama", "report:same")
NEW = Button("Bukan, masalah lain", "report:new")
_ONLY_ASKING = re.compile(r"\b((cuma|cuman|hanya|sekedar|sekadar|just) (mau |ingin |pengen )?(tanya|bertanya|nanya|menanyakan)|"
                          r"(tidak|bukan) (mau |ingin |pengen )?(lapor|melapor|laporan|bikin laporan))\b")
WITHDRAW = Button("Ya, batalkan laporan", "report:withdraw")
CONTINUE = Button("Tidak, lanjutkan", "report:continue")


# Case categories from the most to the least serious: a case's category only ever moves up.
SEVERITY = ("trafficking", "violence", "stranded", "passport", "lost_contact", "wages", "illegal_recruiter", "other")


def more_serious(new: str, current: str) -> bool:
    rank = {c: i for i, c in enumerate(SEVERITY)}
    return rank.get(new, len(SEVERITY)) < rank.get(current, len(SEVERITY))


def priority_for(category: str, emergency: bool) -> str:
    if emergency:
        return "emergency"
    return "high" if category in HIGH_CATEGORIES else "normal"


def yes_no(text: str) -> bool | None:
    t = text.strip().lower()
    if t in _YES:
        return True
    if t in _NO or t.startswith("tidak"):
        return False
    return None


def _needed(step: str, slots: dict[str, Any]) -> bool:
    if step in slots:
        return False  # answered, or told already in the report itself
    if step == "safe_contact":
        return slots.get("safe_reply") is False
    return True


def _next(slots: dict[str, Any], after: str | None, lead: str = "") -> StepResult:
    """The next question not yet answered, or the end of the intake."""
    names = [name for name, _, _ in STEPS]
    start = names.index(after) + 1 if after else 0
    lang = slots.get("_lang", "id")
    for name, question, buttons in STEPS[start:]:
        if _needed(name, slots):
            asked = phrases.t(question, lang)
            text = f"{lead}\n\n{asked}" if lead else asked
            return StepResult([Outbound(text, phrases.buttons(buttons, lang))], State(Flow.REPORT, Step(name), slots),
                              intent="report")
    return finish(slots, lead)


def only_asking(norm: str) -> bool:
    """ "aku gk mau lapor, cm nanya": the person wants an answer, not a report."""
    return bool(_ONLY_ASKING.search(norm))


def same_or_new(case_number: str, prefilled: dict[str, Any]) -> StepResult:
    """A person with an open case asks to report: the same matter, or another problem (a new case)."""
    return StepResult([Outbound(phrases.SAME_OR_NEW.format(case_number=case_number), (SAME, NEW))],
                      State(Flow.REPORT, Step.SAME_OR_NEW, {"prefilled": prefilled}), intent="report")


def _opening(what: str, sig: Signals | None, slots: dict[str, Any]) -> OpenCase:
    category = slots.get("category") or (sig.category if sig is not None and sig.is_report else "other")
    slots["category"] = category
    places = destinations(what)
    if places:
        slots["where"] = ", ".join(places)  # told in the report: the intake will not ask again
    return OpenCase(category=category, priority=priority_for(category, False), emergency=False, summary=what[:500],
                    intake=_known(slots), separate=bool(slots.get("_separate")))


def _known(slots: dict[str, Any]) -> dict[str, Any]:
    """What the case can carry from the start (a licence check may have named the agency)."""
    return {k: slots[k] for k in ("what", "where", "who") if slots.get(k)}


def start(first_text: str | None, sig: Signals | None, slots: dict[str, Any] | None = None,
          lang: str = "id") -> StepResult:
    """Begin a report. A first message that tells the problem opens the case now."""
    slots = {**(slots or {}), "_lang": lang}
    if first_text and sig is not None and sig.is_report:
        slots["what"] = first_text[:2000]
        opening = _opening(first_text, sig, slots)
        result = _next(slots, "what", phrases.t("CASE_OPENED", slots.get("_lang", "id")))
        result.effects.insert(0, opening)
        return result
    return _next(slots, None)


def step(state: State, text: str, payload: str | None, sig: Signals, contacts: str) -> StepResult:
    """One answer of the intake: stored on the case at once, then the next question."""
    slots = dict(state.slots)
    name = state.step if any(state.step == n for n, _, _ in STEPS) else "what"
    if payload == "skip" or text.strip().lower() in _SKIP_WORDS:
        slots[name] = None
        if name == "what":
            # nothing told yet: the case still opens, an officer can ask
            result = _next(slots, name, phrases.t("CASE_OPENED", slots.get("_lang", "id")))
            result.effects.insert(0, OpenCase(category=slots.get("category") or "other", priority="normal",
                                              emergency=False, summary=phrases.NOTHING_TOLD, intake=_known(slots),
                                              separate=bool(slots.get("_separate"))))
            return result
        return _next(slots, name)
    if name == "what":
        slots["what"] = text[:2000]
        opening = _opening(text, sig, slots)
        result = _next(slots, name, phrases.t("CASE_OPENED", slots.get("_lang", "id")))
        result.effects.insert(0, opening)
        return result
    value: Any = yes_no(payload or text) if name in _YES_NO_SLOTS else text[:2000]
    slots[name] = value
    effects: list[Effect] = [UpdateCase({name: value})]
    lead = ""
    if name == "safe_now" and value is False:
        effects.append(EscalateCase("Pelapor menjawab tidak aman saat ini"))
        lead = phrases.t("NOT_SAFE_NOW", slots.get("_lang", "id")).format(contacts=contacts)
    result = _next(slots, name, lead)
    result.effects[:0] = effects
    return result


def finish(slots: dict[str, Any], lead: str = "") -> StepResult:
    lang = slots.get("_lang", "id")
    done = phrases.t("INTAKE_DONE_NO_REPLY" if slots.get("safe_reply") is False else "INTAKE_DONE", lang)
    text = f"{lead}\n\n{done}" if lead else done
    return StepResult([Outbound(text, phrases.buttons((phrases.TO_MENU,), lang))], State(Flow.CASE, Step.OPEN),
                      intent="report")


def ask_withdraw(state: State) -> StepResult:
    """"batal" during the intake: the case exists already, so ask before withdrawing it."""
    slots = dict(state.slots)
    slots["_resume_step"] = state.step.value
    return StepResult([Outbound(phrases.WITHDRAW_Q, (WITHDRAW, CONTINUE))], State(Flow.REPORT, Step.WITHDRAW, slots),
                      intent="report")


def withdraw_answer(state: State, withdraw: bool) -> StepResult:
    slots = dict(state.slots)
    resume = slots.pop("_resume_step", "what")
    if withdraw:
        return StepResult([Outbound(phrases.WITHDRAWN, (phrases.TO_MENU,))], State(),
                          [WithdrawCase("dibatalkan pelapor")], intent="report")
    names = [name for name, _, _ in STEPS]
    previous = names[names.index(resume) - 1] if resume in names and names.index(resume) > 0 else None
    return _next(slots, previous)
