"""Report intake: a few skippable questions, then a case for the officers."""

from __future__ import annotations

from typing import Any

from flows import phrases
from flows.messages import Outbound
from flows.signals import Signals
from flows.state import OpenCase, State, StepResult

# step -> (question, buttons, slot it fills)
STEPS: list[tuple[str, str, tuple, str]] = [
    ("what", phrases.INTAKE_START, (phrases.SKIP,), "what"),
    ("where", phrases.INTAKE_WHERE, (phrases.SKIP,), "where"),
    ("who", phrases.INTAKE_WHO, (phrases.SKIP,), "who"),
    ("safe_now", phrases.INTAKE_SAFE_NOW, (phrases.YES, phrases.NO, phrases.SKIP), "safe_now"),
    ("safe_reply", phrases.INTAKE_SAFE_REPLY, (phrases.YES, phrases.NO, phrases.SKIP), "safe_reply"),
    ("consent", phrases.INTAKE_CONSENT, (phrases.YES, phrases.NO, phrases.SKIP), "consent"),
]
_YES = {"yes", "ya", "iya", "aman", "boleh", "setuju", "oke", "y", "yup", "bisa"}
_NO = {"no", "tidak", "tidak aman", "jangan", "tidak boleh", "n", "belum"}
HIGH_CATEGORIES = {"trafficking", "violence", "passport", "lost_contact", "stranded"}


def priority_for(category: str, emergency: bool) -> str:
    if emergency:
        return "emergency"
    return "high" if category in HIGH_CATEGORIES else "normal"


def _ask(step_index: int, slots: dict[str, Any]) -> StepResult:
    step, question, buttons, _ = STEPS[step_index]
    return StepResult([Outbound(question, buttons)], State("report", step, slots), intent="report")


def start(first_text: str | None, sig: Signals | None) -> StepResult:
    """Begin the intake; a first message that already tells what happened skips that question."""
    slots: dict[str, Any] = {}
    if first_text and sig is not None and sig.is_report:
        slots = {"what": first_text[:2000], "category": sig.category}
        return _ask(1, slots)
    return _ask(0, slots)


def yes_no(text: str) -> bool | None:
    t = text.strip().lower()
    if t in _YES:
        return True
    if t in _NO or t.startswith("tidak"):
        return False
    return None


def step(state: State, text: str, payload: str | None, sig: Signals) -> StepResult:
    slots = dict(state.slots)
    index = next((i for i, s in enumerate(STEPS) if s[0] == state.step), 0)
    _, _, _, slot = STEPS[index]
    skipped = payload == "skip" or text.strip().lower() in {"lewati", "skip", "-"}
    if not skipped:
        if slot in ("safe_now", "safe_reply", "consent"):
            slots[slot] = yes_no(payload or text)
        else:
            slots[slot] = text[:2000]
            if slot == "what" and sig.is_report:
                slots["category"] = sig.category
    if index + 1 < len(STEPS):
        return _ask(index + 1, slots)
    return finish(slots)


def finish(slots: dict[str, Any]) -> StepResult:
    from flows.signals import read

    what = slots.get("what") or ""
    sig = read(" ".join(str(slots.get(k) or "") for k in ("what", "who")))
    category = slots.get("category") or (sig.category if sig.is_report else "other")
    emergency = sig.is_emergency or slots.get("safe_now") is False
    effect = OpenCase(
        category=category,
        priority=priority_for(category, emergency),
        emergency=emergency,
        summary=what[:500] or "(tidak diisi)",
        intake={k: slots.get(k) for k in ("what", "where", "who", "safe_now", "safe_reply", "consent")},
        consent_share=slots.get("consent"),
        safe_to_reply=slots.get("safe_reply"),
    )
    reply = Outbound(phrases.INTAKE_DONE, (phrases.TO_MENU,))
    return StepResult([reply], State("case", "open"), [effect], intent="report")
