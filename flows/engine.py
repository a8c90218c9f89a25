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

from flows import buttons, conversation, phrases
from flows.context import FlowContext
from flows.messages import Inbound, Outbound
from flows.signals import Signals
from flows.state import (AttachEvidence, CaseView, Effect, EraseMyData, EscalateCase, Flow, OpenCase, RecordFeedback,
                         RecordRating, RecordUnanswered, RelayToCase, State, Step, StepResult, Turn, UpdateCase,
                         WithdrawCase)
from storage import cases, conversations, inbox, privacy, repo
from storage.conversations import Database, Transaction, TurnRows
from storage.errors import DuplicateKey
from storage.models import Case, utcnow

log = logging.getLogger(__name__)
MAX_TEXT = 10_000
_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\t"} | {0x7F: None}


def clean(text: str) -> str:
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
    def __init__(self, db: Database, ctx: FlowContext, sla_minutes: Mapping[str, int],
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
        inbound = dataclasses.replace(inbound, text=clean(inbound.text)[:MAX_TEXT],
                                      display_name=clean(inbound.display_name)[:200],
                                      message_ref=clean(inbound.message_ref)[:200])
        dedupe_key = inbound.dedupe_key
        started = time.perf_counter()
        # the message is read once per turn, before the transaction: the models take longer than the
        # database work, and the person's row stays locked for the database work only
        try:
            sig: Signals | None = self.ctx.read(inbound.text.strip())
        except Exception:
            log.exception("reading the message failed; answering with the fallback and opening a case")
            sig = None
        try:
            result = self._handle(inbound, dedupe_key, inbox_id, sig)
        except DuplicateKey:
            if not conversations.seen(self.db, dedupe_key=dedupe_key, done_inbox_id=inbox_id):
                raise  # not a duplicate: the caller answers 5xx and the channel redelivers; nothing is lost
            result = Handled(duplicate=True)  # a copy of this delivery committed first, at the same moment
        for observe in self.observers:
            observe(inbound, result, time.perf_counter() - started)
        if result.case_number and self.on_case_event and result.case_opened:
            self.on_case_event("created", result.case_number)
        elif result.case_number and self.on_case_event and result.case_escalated:
            self.on_case_event("escalated", result.case_number)  # officers hear of new danger in an open case
        return result

    def _handle(self, inbound: Inbound, dedupe_key: str, inbox_id: int | None, sig: Signals | None) -> Handled:
        with conversations.transaction(self.db) as s:
            if inbox_id is not None:
                inbox.done(s, item_id=inbox_id)
            rows = conversations.begin_turn(s, urn=inbound.urn, channel=inbound.channel, address=inbound.user_ref,
                                            display_name=inbound.display_name, dedupe_key=dedupe_key,
                                            received_at=inbound.received_at)
            if rows is None:
                return Handled(duplicate=True)
            media = [{"kind": m.kind, "ref": m.ref, "content_type": m.content_type} for m in inbound.media]
            repo.insert_inbound(s, conversation_id=rows.conversation_id, dedupe_key=dedupe_key, media=media,
                                text=buttons.as_seen(inbound.text, rows.slots))
            latest = rows.case
            view = (CaseView(latest.number, latest.status, latest.assignee, latest.due_at, latest.category)
                    if latest else None)
            turn = Turn(inbound, State.load(rows.flow, rows.step, rows.slots), view, utcnow())
            try:
                if sig is None:
                    step = self._fallback_step()
                elif self._flooding(s, rows.conversation_id, turn, sig):
                    step = self._slow_down(turn)
                else:
                    step = conversation.handle(turn, self.ctx, sig)
            except Exception:
                # a bug in a flow must not leave the person without an answer or lose the message
                log.exception("flow step failed; answering with the fallback and opening a case")
                step = self._fallback_step()
            was_urgent = latest.priority == "emergency" if latest is not None else True
            case, opened = self._apply(s, step, rows, conversations.case_of(s, rows) if step.effects else None)
            escalated = not opened and not was_urgent and case is not None and case.priority == "emergency"
            number = case.number if case else latest.number if latest else ""
            outbox_ids: list[int] = []
            replies: list[Outbound] = []
            for out in step.replies:
                out = dataclasses.replace(out, text=out.text.replace("{case_number}", number))
                outbox_ids.append(repo.insert_reply(s, conversation_id=rows.conversation_id,
                                                    contact_id=rows.contact_id, channel=rows.channel,
                                                    address=rows.address, text=out.text, buttons=_buttons(out),
                                                    intent=step.intent, entry_id=step.entry_id))
                replies.append(out)
            conversations.save_state(s, conversation_id=rows.conversation_id, flow=step.state.flow.value,
                                     step=step.state.step.value, slots=step.state.slots)
            return Handled(False, tuple(replies), tuple(outbox_ids), step.intent, number or None,
                           opened, rows.previous_inbound_at, escalated)

    def _flooding(self, s: Transaction, conversation_id: int, turn: Turn, sig: Signals) -> bool:
        """Too many messages this minute, and none of them signals danger (danger is never held back)."""
        since = turn.now - dt.timedelta(minutes=1)
        if conversations.messages_since(s, conversation_id=conversation_id, since=since) <= self.messages_per_minute:
            return False
        return not sig.is_emergency

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
        return StepResult([Outbound(phrases.ERROR_FALLBACK.format(contacts=contacts))], State(Flow.CASE, Step.OPEN),
                          [effect], intent="report")

    def _apply(self, s: Transaction, step: StepResult, rows: TurnRows, case: Case | None) -> tuple[Case | None, bool]:
        """Carry out the step's effects on the person's latest case and records; True when a case opened."""
        opened = False
        for effect in step.effects:
            is_open = case is not None and case.status in repo.OPEN_STATUSES
            if isinstance(effect, OpenCase):
                if case is not None and is_open and not effect.separate:
                    # the same matter told again joins the open case
                    assert case.id is not None
                    repo.add_case_event(s, case_id=case.id, kind="message", actor="user", detail=effect.summary)
                    if effect.emergency:
                        repo.escalate_case(s, case=case, sla_minutes=self.sla_minutes["emergency"],
                                           detail=effect.summary)
                    continue
                case = repo.open_case(s, contact_id=rows.contact_id, conversation_id=rows.conversation_id,
                                      category=effect.category, priority=effect.priority, emergency=effect.emergency,
                                      summary=effect.summary, intake=effect.intake, consent_share=effect.consent_share,
                                      safe_to_reply=effect.safe_to_reply,
                                      sla_minutes=self.sla_minutes[effect.priority])
                opened = True
            elif case is None:
                self._record(s, effect, rows)
            elif isinstance(effect, UpdateCase):
                if is_open:
                    repo.update_intake(s, case=case, answers=effect.intake)
            elif isinstance(effect, WithdrawCase):
                if is_open:
                    repo.close_case(s, case=case, actor="user", reason=effect.reason)
            elif isinstance(effect, EscalateCase):
                repo.escalate_case(s, case=case, sla_minutes=self.sla_minutes["emergency"], detail=effect.summary,
                                   category=effect.category)
            elif isinstance(effect, RelayToCase):
                cases.person_wrote(s, case=case)
            elif isinstance(effect, AttachEvidence):
                assert case.id is not None
                repo.attach_evidence(s, case_id=case.id, kind=effect.kind, ref=effect.ref,
                                     content_type=effect.content_type)
            else:
                self._record(s, effect, rows)
        return case, opened

    def _record(self, s: Transaction, effect: Effect, rows: TurnRows) -> None:
        """The effects that need no case (those that do are dropped when the person has none)."""
        if isinstance(effect, RecordFeedback):
            repo.record_feedback(s, conversation_id=rows.conversation_id, entry_id=effect.entry_id,
                                 helpful=effect.helpful)
        elif isinstance(effect, RecordUnanswered):
            repo.record_unanswered(s, conversation_id=rows.conversation_id, text=effect.text,
                                   best_entry_id=effect.best_entry_id, confidence=effect.confidence)
        elif isinstance(effect, EraseMyData):
            privacy.erase_contact(s, contact_id=rows.contact_id)
        elif isinstance(effect, RecordRating):
            repo.record_rating(s, contact_id=rows.contact_id, case_number=effect.case_number, rating=effect.rating)
