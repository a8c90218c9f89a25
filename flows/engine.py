"""The one message path: load state -> safety and flow step -> save everything in ONE transaction.

A retried delivery (same channel + message id) is acknowledged and not handled again. The
replies are written to the outbox in the same transaction as the new state, so a crash
either loses nothing or leaves nothing half-done; bot/ sends the outbox afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.exc import IntegrityError

from flows import conversation, phrases
from flows.context import FlowContext
from flows.messages import Inbound, Outbound
from flows.state import (AttachEvidence, CaseView, EraseMyData, EscalateCase, OpenCase, RecordFeedback, RecordRating,
                         RecordUnanswered, RelayToCase, State, StepResult, Turn, UpdateCase, WithdrawCase)
from storage import inbox, privacy, repo
from storage.db import unit_of_work
from storage.models import Case, utcnow

log = logging.getLogger(__name__)
MAX_TEXT = 10_000
_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\t"} | {0x7F: None}


def clean_text(text: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL; none carries meaning in a chat) and lone surrogates."""
    return text.translate(_CONTROL).encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True)
class Handled:
    duplicate: bool
    replies: tuple[Outbound, ...] = ()
    outbox_ids: tuple[int, ...] = ()
    intent: str | None = None
    case_number: str | None = None
    case_opened: bool = False
    previous_inbound_at: dt.datetime | None = None  # when the person last wrote before this message
    case_escalated: bool = False  # an open case became an emergency with this message


def _buttons(out: Outbound) -> list[dict[str, str]]:
    return [{"label": b.label, "payload": b.payload} for b in out.buttons]


class Engine:
    def __init__(self, db: SqlEngine, ctx: FlowContext, sla_minutes: Mapping[str, int],
                 on_case_event: Callable[[str, str], None] | None = None, messages_per_minute: int = 20) -> None:
        self.db = db
        self.ctx = ctx
        self.sla_minutes = dict(sla_minutes)
        self.messages_per_minute = messages_per_minute
        # called after each handled message with (inbound, result, seconds): metrics, live queue
        self.observers: list[Callable[[Inbound, Handled, float], None]] = []
        self.on_case_event = on_case_event  # (kind, case_number) after commit: live queue, staff chat

    def handle(self, inbound: Inbound, inbox_id: int | None = None) -> Handled:
        """Handle one delivery; `inbox_id` is its inbox row, dequeued in the same transaction."""
        inbound = dataclasses.replace(inbound, text=clean_text(inbound.text)[:MAX_TEXT],
                                      display_name=clean_text(inbound.display_name)[:200],
                                      message_ref=clean_text(inbound.message_ref)[:200])
        dedupe_key = inbound.dedupe_key
        started = time.perf_counter()
        try:
            result = self._handle(inbound, dedupe_key, inbox_id)
        except IntegrityError:
            if not self._seen(dedupe_key, inbox_id):
                raise  # not a duplicate: the caller answers 5xx and the channel redelivers; nothing is lost
            result = Handled(duplicate=True)  # a copy of this delivery committed first, at the same moment
        for observe in self.observers:
            observe(inbound, result, time.perf_counter() - started)
        if result.case_number and self.on_case_event and result.case_opened:
            self.on_case_event("created", result.case_number)
        elif result.case_number and self.on_case_event and result.case_escalated:
            self.on_case_event("escalated", result.case_number)  # officers hear of new danger in an open case
        return result

    def _seen(self, dedupe_key: str, inbox_id: int | None) -> bool:
        with unit_of_work(self.db) as s:
            seen = repo.inbound_seen(s, dedupe_key=dedupe_key)
            if seen and inbox_id is not None:
                inbox.done(s, item_id=inbox_id)
            return seen

    def _handle(self, inbound: Inbound, dedupe_key: str, inbox_id: int | None) -> Handled:
        with unit_of_work(self.db) as s:
            if inbox_id is not None:
                inbox.done(s, item_id=inbox_id)
            contact = repo.contact_for_update(s, urn=inbound.urn, channel=inbound.channel, address=inbound.user_ref,
                                              display_name=inbound.display_name)
            if repo.inbound_seen(s, dedupe_key=dedupe_key):
                return Handled(duplicate=True)
            conv = repo.conversation_of(s, contact_id=contact.id)  # type: ignore[arg-type]
            media = [{"kind": m.kind, "ref": m.ref, "content_type": m.content_type} for m in inbound.media]
            repo.insert_inbound(s, conversation_id=conv.id, text=conversation.as_seen(inbound.text, conv.slots or {}),  # type: ignore[arg-type]
                                dedupe_key=dedupe_key, media=media)
            previous_inbound_at = contact.last_inbound_at
            contact.last_inbound_at = inbound.received_at.astimezone(dt.UTC)
            case = repo.latest_case(s, contact_id=contact.id)  # type: ignore[arg-type]
            view = CaseView(case.number, case.status,
                            repo.officer_name(s, case.assignee_id) if case.assignee_id else None,
                            repo.aware(case.sla_due_at), case.category) if case else None
            turn = Turn(inbound, State(conv.flow, conv.step, dict(conv.slots or {})), view, utcnow())
            try:
                if self._flooding(s, conv.id, turn):  # type: ignore[arg-type]
                    step = self._slow_down(turn)
                else:
                    step = conversation.handle(turn, self.ctx)
            except Exception:
                # a bug in a flow must not leave the person without an answer or lose the message
                log.exception("flow step failed; answering with the fallback and opening a case")
                step = self._fallback_step()
            was_urgent = case.priority == "emergency" if case is not None else True
            case, opened = self._apply(s, step, contact, conv.id, case)  # type: ignore[arg-type]
            escalated = not opened and not was_urgent and case is not None and case.priority == "emergency"
            number = case.number if case else ""
            outbox_ids: list[int] = []
            replies: list[Outbound] = []
            for out in step.replies:
                out = dataclasses.replace(out, text=out.text.replace("{case_number}", number))
                outbox_ids.append(repo.insert_reply(s, conversation_id=conv.id, contact=contact,  # type: ignore[arg-type]
                                                    text=out.text, buttons=_buttons(out), intent=step.intent))
                replies.append(out)
            conv.flow, conv.step, conv.slots, conv.updated_at = (step.state.flow, step.state.step,
                                                                  step.state.slots, utcnow())
            s.add(conv)
            return Handled(False, tuple(replies), tuple(outbox_ids), step.intent, case.number if case else None,
                           opened, previous_inbound_at, escalated)

    def _flooding(self, s, conversation_id: int, turn: Turn) -> bool:  # type: ignore[no-untyped-def]
        """Too many messages this minute, and none of them signals danger (danger is never held back)."""
        since = turn.now - dt.timedelta(minutes=1)
        if repo.inbound_count_since(s, conversation_id=conversation_id, since=since) <= self.messages_per_minute:
            return False
        return not self.ctx.read(turn.inbound.text).is_emergency

    def _slow_down(self, turn: Turn) -> StepResult:
        """Keep the state, store the message, and say so once a minute rather than answering each one."""
        state = turn.state
        noticed = state.slots.get("_rate_notice_at")
        if noticed and turn.now - dt.datetime.fromisoformat(noticed) < dt.timedelta(minutes=1):
            return StepResult([], state)
        state.slots["_rate_notice_at"] = turn.now.isoformat()
        return StepResult([Outbound(phrases.RATE_LIMITED)], state)

    def _fallback_step(self) -> StepResult:
        contacts = phrases.contact_lines(dict(self.ctx.values.get("contacts", {})), self.ctx.emergency_contacts)
        effect = OpenCase(category="other", priority="high", emergency=False,
                          summary="Pesan tidak bisa diproses otomatis; mohon periksa transkrip.")
        return StepResult([Outbound(phrases.ERROR_FALLBACK.format(contacts=contacts))], State("case", "open"),
                          [effect], intent="report")

    def _apply(self, s, step: StepResult, contact, conversation_id: int, case: Case | None):  # type: ignore[no-untyped-def]
        opened = False
        for effect in step.effects:
            if isinstance(effect, OpenCase):
                if case is not None and case.status in repo.OPEN_STATUSES and not effect.separate:
                    # the same matter told again joins the open case
                    repo.add_case_event(s, case_id=case.id, kind="message", actor="user", detail=effect.summary)
                    if effect.emergency:
                        repo.escalate_case(s, case=case, sla_minutes=self.sla_minutes["emergency"],
                                           detail=effect.summary)
                    continue
                case = repo.open_case(s, contact_id=contact.id, conversation_id=conversation_id,
                                      category=effect.category, priority=effect.priority, emergency=effect.emergency,
                                      summary=effect.summary, intake=effect.intake, consent_share=effect.consent_share,
                                      safe_to_reply=effect.safe_to_reply,
                                      sla_minutes=self.sla_minutes[effect.priority])
                opened = True
            elif isinstance(effect, UpdateCase) and case is not None and case.status in repo.OPEN_STATUSES:
                repo.update_intake(s, case=case, answers=effect.intake)
            elif isinstance(effect, WithdrawCase) and case is not None and case.status in repo.OPEN_STATUSES:
                repo.close_case(s, case=case, actor="user", reason=effect.reason)
            elif isinstance(effect, EscalateCase) and case is not None:
                repo.escalate_case(s, case=case, sla_minutes=self.sla_minutes["emergency"], detail=effect.summary,
                                   category=effect.category)
            elif isinstance(effect, RelayToCase) and case is not None:
                if case.status == "waiting":
                    case.status = "claimed" if case.assignee_id else "new"
                    repo.add_case_event(s, case_id=case.id, kind="status", actor="user", detail=case.status)
            elif isinstance(effect, AttachEvidence) and case is not None:
                repo.attach_evidence(s, case_id=case.id, kind=effect.kind, ref=effect.ref,  # type: ignore[arg-type]
                                     content_type=effect.content_type)
            elif isinstance(effect, RecordFeedback):
                repo.record_feedback(s, conversation_id=conversation_id, entry_id=effect.entry_id,
                                     helpful=effect.helpful)
            elif isinstance(effect, RecordUnanswered):
                repo.record_unanswered(s, conversation_id=conversation_id, text=effect.text,
                                       best_entry_id=effect.best_entry_id, confidence=effect.confidence)
            elif isinstance(effect, EraseMyData):
                privacy.erase_contact(s, contact_id=contact.id)
            elif isinstance(effect, RecordRating):
                repo.record_rating(s, contact_id=contact.id, case_number=effect.case_number, rating=effect.rating)
        return case, opened
