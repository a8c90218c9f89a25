"""Conversation state and what a step returns. Plain data: stored as-is in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flows.messages import Inbound, Outbound


class Flow(StrEnum):
    """Where a conversation is. String values: they are what the database stores."""

    MENU = "menu"
    FAQ = "faq"
    LICENCE = "licence"
    REPORT = "report"
    CASE = "case"  # a case is open: messages go to its officer
    SAFETY = "safety"  # the safety question waits for its answer
    PRIVACY = "privacy"  # "hapus data saya" waits for its confirmation
    RATING = "rating"  # a resolved case waits for its 1-5 rating


class Step(StrEnum):
    """The step within a flow; the report intake's steps are named after the slot each fills."""

    START = "start"
    ASK = "ask"
    ANSWERED = "answered"
    SUGGESTED = "suggested"
    FALLBACK = "fallback"
    RESULT = "result"
    OPEN = "open"
    CONFIRM = "confirm"
    WHAT = "what"
    WHERE = "where"
    SAFE_NOW = "safe_now"
    SAFE_REPLY = "safe_reply"
    SAFE_CONTACT = "safe_contact"
    WHO = "who"
    CONSENT = "consent"
    SAME_OR_NEW = "same_or_new"
    WITHDRAW = "withdraw"


@dataclass
class State:
    flow: Flow = Flow.MENU
    step: Step = Step.START
    slots: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # plain strings are accepted (tests, the stored resume point) and checked here
        self.flow, self.step = Flow(self.flow), Step(self.step)

    @classmethod
    def load(cls, flow: str, step: str, slots: dict[str, Any] | None) -> State:
        """The state as stored; one this version no longer knows starts at the menu, keeping its slots."""
        try:
            return cls(Flow(flow), Step(step), dict(slots or {}))
        except ValueError:
            return cls(slots=dict(slots or {}))


@dataclass(frozen=True)
class CaseView:
    """What the flows may know of the person's latest case (loaded by the engine)."""

    number: str
    status: str
    assignee: str | None = None
    due_at: dt.datetime | None = None  # when an officer is due to answer (the SLA)
    category: str = "other"

    @property
    def is_open(self) -> bool:
        return self.status in ("new", "claimed", "waiting")


@dataclass(frozen=True)
class Turn:
    inbound: Inbound
    state: State
    case: CaseView | None
    now: dt.datetime


# Side effects a step asks for; the engine carries them out in the same transaction.
@dataclass(frozen=True)
class OpenCase:
    category: str
    priority: str  # emergency | high | normal
    emergency: bool
    summary: str
    intake: dict[str, Any] = field(default_factory=dict)
    consent_share: bool | None = None
    safe_to_reply: bool | None = None
    separate: bool = False  # another problem of a person with an open case: a case of its own


@dataclass(frozen=True)
class EscalateCase:
    """New danger told in an open case: raise it to emergency and tell the officers; `category`
    when what was told now is more serious than the case's category (never downward)."""

    summary: str
    category: str | None = None


@dataclass(frozen=True)
class UpdateCase:
    """An intake answer for the open case, stored as it comes (and in its audit trail)."""

    intake: dict[str, Any]


@dataclass(frozen=True)
class WithdrawCase:
    """The reporter withdrew the open case: it is kept, closed with this reason."""

    reason: str


@dataclass(frozen=True)
class RelayToCase:
    """A message for the officers of the open case (it is already in the message log)."""

    text: str


@dataclass(frozen=True)
class RecordFeedback:
    entry_id: str
    helpful: bool


@dataclass(frozen=True)
class RecordUnanswered:
    text: str
    best_entry_id: str | None
    confidence: float


@dataclass(frozen=True)
class RecordRating:
    case_number: str
    rating: int


@dataclass(frozen=True)
class AttachEvidence:
    kind: str
    ref: str
    content_type: str


@dataclass(frozen=True)
class EraseMyData:
    """The person asked for their data to be deleted ("hapus data saya") and confirmed it."""


Effect = (EraseMyData | OpenCase | UpdateCase | WithdrawCase | EscalateCase | RelayToCase | RecordFeedback
          | RecordUnanswered | RecordRating | AttachEvidence)


@dataclass
class StepResult:
    replies: list[Outbound]
    state: State
    effects: list[Effect] = field(default_factory=list)
    intent: str | None = None
    entry_id: str | None = None  # the knowledge-base entry the replies answer with (the dashboard counts them)
