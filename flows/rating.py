"""The 1-5 rating asked when an officer resolves a case: the question, the state the chat waits
in, and the answer's step."""

from __future__ import annotations

from flows import phrases
from flows.messages import Outbound
from flows.state import Flow, RecordRating, State, Step, StepResult, Turn
from storage.cases import RatingPrompt


def awaiting(case_number: str) -> State:
    """The chat waits for the rating of this case; "1" to "5" or a pressed button answers."""
    return State(Flow.RATING, Step.ASK, {"case_number": case_number,
                                         "_buttons": [b.payload for b in phrases.RATING_BUTTONS]})


def prompt() -> RatingPrompt:
    """What storage/cases.py `resolve` sends and stores: plain values, the case number to fill in."""
    waiting = awaiting("{case_number}")
    return RatingPrompt(phrases.RATING_ASK, tuple({"label": b.label, "payload": b.payload}
                                                  for b in phrases.RATING_BUTTONS),
                        waiting.flow.value, waiting.step.value, waiting.slots)


def answer(turn: Turn, value: int) -> StepResult:
    number = str(turn.state.slots.get("case_number", ""))
    return StepResult([Outbound(phrases.RATING_THANKS, (phrases.TO_MENU,))], State(), [RecordRating(number, value)])


def typed(turn: Turn, norm: str) -> StepResult | None:
    """A rating typed as a number; anything else is not an answer (the router decides)."""
    return answer(turn, int(norm)) if norm.isascii() and norm.isdigit() and 1 <= int(norm) <= 5 else None
