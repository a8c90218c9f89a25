"""SQLModel tables. Times are timezone-aware UTC (SQLModel refuses naive datetimes)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel, col


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Contact(SQLModel, table=True):
    """A person as one channel knows them, keyed by URN (`whatsapp:+62…`, `telegram:123`, `web:…`)."""

    __tablename__ = "contact"
    id: Optional[int] = Field(default=None, primary_key=True)
    urn: str = Field(max_length=200, unique=True, index=True)
    channel: str = Field(max_length=20)
    address: str = Field(max_length=180)
    display_name: str = Field(default="", max_length=200)
    last_inbound_at: Optional[dt.datetime] = None
    erase_requested_at: Optional[dt.datetime] = None  # "hapus data saya" waiting for an open case to close
    created_at: dt.datetime = Field(default_factory=utcnow)
    # the person behind this address when an officer linked it to others (storage/people.py); None: on its own
    person_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)


class Conversation(SQLModel, table=True):
    """Where a contact is in the dialogue: flow, step and the slots collected so far."""

    __tablename__ = "conversation"
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True)
    flow: str = Field(default="menu", max_length=40)
    step: str = Field(default="start", max_length=40)
    slots: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow)


class MessageLog(SQLModel, table=True):
    """Every message in and out. `dedupe_key` (channel + message id) makes a retried inbound a no-op."""

    __tablename__ = "message_log"
    __table_args__ = (Index("ix_message_log_conversation_time", "conversation_id", "id"),
                      # the dashboard's counts by time (storage/dashboard.py): people's messages, FAQ replies
                      Index("ix_message_log_direction_time", "direction", "created_at", "conversation_id"),
                      Index("ix_message_log_intent_time", "intent", "created_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    direction: str = Field(max_length=3)  # in | out
    author: str = Field(default="bot", max_length=60)  # user | bot | officer:<username>
    dedupe_key: Optional[str] = Field(default=None, max_length=250, unique=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    buttons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    media: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    intent: Optional[str] = Field(default=None, max_length=30)
    entry_id: Optional[str] = Field(default=None, max_length=100)  # the KB entry a bot reply answered with
    created_at: dt.datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """A reply waiting to be sent, written in the same transaction as the state change."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    message_log_id: Optional[int] = Field(default=None, foreign_key="message_log.id")
    channel: str = Field(max_length=20)
    address: str = Field(max_length=180)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    buttons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)  # the statuses: storage/outbox.py
    tries: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    last_error: str = Field(default="", max_length=500)
    external_id: Optional[str] = Field(default=None, max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: Optional[dt.datetime] = None


class InboxItem(SQLModel, table=True):
    """A delivery acknowledged to its channel and not handled yet.

    The webhook writes it (a unique dedupe key drops a retried delivery) and answers at once;
    the inbox processor hands it to the engine, whose transaction deletes it. So nothing that
    was acknowledged is lost, and the row holds a person's message only until it is handled.
    `order_key` (the person's URN) keeps one person's messages in arrival order.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_order", "order_key", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=250, unique=True)
    order_key: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    urgent: bool = False  # signals danger: this person's line is handled before the others
    tries: int = 0
    claimed_by: Optional[str] = Field(default=None, max_length=60)
    claimed_until: Optional[dt.datetime] = None  # a worker that died lets go of its rows when this passes
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    last_error: str = Field(default="", max_length=300)
    received_at: dt.datetime = Field(default_factory=utcnow)


class Feedback(SQLModel, table=True):
    """"Apakah jawaban ini membantu?" — one row per answer a person rated."""

    __tablename__ = "feedback"
    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    entry_id: str = Field(max_length=100, index=True)
    helpful: bool
    created_at: dt.datetime = Field(default_factory=utcnow)


class UnansweredQuestion(SQLModel, table=True):
    """A question the knowledge base could not answer, listed for curators."""

    __tablename__ = "unanswered_question"
    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: Optional[int] = Field(default=None, foreign_key="conversation.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    best_entry_id: Optional[str] = Field(default=None, max_length=100)
    confidence: float = 0.0
    created_at: dt.datetime = Field(default_factory=utcnow)


class ImportBatch(SQLModel, table=True):
    """One import of the agency registry: which file, when, how many rows, who."""

    __tablename__ = "import_batch"
    id: Optional[int] = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=300)
    imported_at: dt.datetime = Field(default_factory=utcnow)
    row_count: int = 0
    imported_by: str = Field(default="", max_length=100)
    is_sample: bool = False


class Agency(SQLModel, table=True):
    """A registered placement agency (P3MI) as of the latest import batch."""

    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("batch_id", "licence_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    name: str = Field(max_length=300)
    licence_no: str = Field(max_length=120)
    licence_key: str = Field(max_length=120)  # normalised licence number
    status: str = Field(max_length=20)
    valid_until: dt.date
    address: str = Field(default="", sa_column=Column(Text, nullable=False))
    province: str = Field(default="", max_length=120)
    countries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    extra: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Officer(SQLModel, table=True):
    __tablename__ = "staff_user"
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=300)
    role: str = Field(default="officer", max_length=20)  # officer | supervisor | admin
    active: bool = True
    telegram_user_id: Optional[int] = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    # second factor (bot/web/totp.py): the base32 secret, set when enrolment starts; it counts only
    # once confirmed (totp_enabled_at). The last time step used refuses a replayed code.
    totp_secret: Optional[str] = Field(default=None, max_length=64)
    totp_enabled_at: Optional[dt.datetime] = None
    totp_last_step: Optional[int] = None

    @property
    def shown_name(self) -> str:
        """The name colleagues and reporters see: the display name, else the username."""
        return self.display_name or self.username


class StaffSession(SQLModel, table=True):
    """Server-side console session: the cookie holds only this random id."""

    __tablename__ = "staff_session"
    id: str = Field(primary_key=True, max_length=64)
    officer_id: int = Field(foreign_key="staff_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime


class Case(SQLModel, table=True):
    """A report taken by the bot and handled by officers."""

    __tablename__ = "support_case"
    # the queue reads this index only: genuine cases before flagged ones of the same priority
    __table_args__ = (Index("ix_case_queue", "status", "priority_rank", "suspected_spam", "sla_due_at"),
                      # the dashboard's cases opened / closed in a period (storage/dashboard.py)
                      Index("ix_case_created", "created_at"), Index("ix_case_resolved", "resolved_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(max_length=30, unique=True)  # MC-2026-00042
    contact_id: int = Field(foreign_key="contact.id", index=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    category: str = Field(default="other", max_length=30)
    priority: str = Field(default="normal", max_length=20)  # emergency | high | normal
    priority_rank: int = 2  # 0 emergency, 1 high, 2 normal: sorts the queue
    emergency: bool = False
    status: str = Field(default="new", max_length=20)  # new | claimed | waiting | resolved | closed
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    intake: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    consent_share: Optional[bool] = None
    safe_to_reply: Optional[bool] = None
    assignee_id: Optional[int] = Field(default=None, foreign_key="staff_user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    sla_due_at: dt.datetime = Field(default_factory=utcnow)
    claimed_at: Optional[dt.datetime] = None
    resolved_at: Optional[dt.datetime] = None
    sla_reminded_at: Optional[dt.datetime] = None
    escalated_at: Optional[dt.datetime] = None
    rating: Optional[int] = None
    telegram_thread_id: Optional[int] = None
    # "kemungkinan spam": opened over a web chat flood limit; a supervisor reviews it
    suspected_spam: bool = False
    # the status before a supervisor closed it as spam; reopening restores it (None: not closed as spam)
    spam_closed_from: Optional[str] = Field(default=None, max_length=20)
    # whole-case SLA (storage/case_sla.py): when a "waiting" case is due back in the queue
    follow_up_at: Optional[dt.datetime] = None
    # the last time a finished case was reopened: the resolution target counts from here
    reopened_at: Optional[dt.datetime] = None
    # marks of the reminders past first response; a mark older than the person's unanswered
    # message belongs to an earlier exchange, so the next one is reminded again
    next_response_reminded_at: Optional[dt.datetime] = None
    next_response_escalated_at: Optional[dt.datetime] = None
    resolution_reminded_at: Optional[dt.datetime] = None
    # "dibatasi": only the assignee and supervisors may open it (storage/access.py)
    restricted: bool = False


class CaseEvent(SQLModel, table=True):
    """The audit trail of a case: who did what, when."""

    __tablename__ = "case_event"
    # the first officer reply of a case, read by the dashboard without touching the rows
    __table_args__ = (Index("ix_case_event_case_kind_time", "case_id", "kind", "created_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    kind: str = Field(max_length=30)  # created viewed claimed assigned replied note status referral ...
    actor: str = Field(max_length=100)  # officer username, "bot" or "user"
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    """A photo, document or voice note a reporter sent, attached to their case."""

    __tablename__ = "evidence"
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    kind: str = Field(max_length=20)
    ref: str = Field(max_length=500)  # channel file id / URL
    content_type: str = Field(default="", max_length=100)
    stored_path: Optional[str] = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow)


class SchedulerLease(SQLModel, table=True):
    """Which process runs the scheduled jobs; renewed while alive."""

    __tablename__ = "scheduler_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=100)
    expires_at: dt.datetime


# --- people behind several addresses, restricted cases, saved views (issue 15) -------------------


class Person(SQLModel, table=True):
    """One person behind several channel addresses (a new SIM, another app, a relative's phone).

    Contacts point here through `contact.person_id` once an officer links them; the case page
    then lists the person's cases from every linked address.
    """

    __tablename__ = "person"
    id: Optional[int] = Field(default=None, primary_key=True)
    display_name: str = Field(default="", max_length=200)
    created_by: str = Field(default="", max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)


class PersonEvent(SQLModel, table=True):
    """The audit trail of a person: addresses linked and unlinked, risk flags set and removed."""

    __tablename__ = "person_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=30)  # merged unmerged flag_added flag_removed
    actor: str = Field(max_length=100)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class RiskFlag(SQLModel, table=True):
    """A warning about a person ("pernah jadi korban TPPO", "nomor dipinjam"), shown until it expires."""

    __tablename__ = "risk_flag"
    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=30)
    note: str = Field(default="", max_length=500)
    expires_at: Optional[dt.datetime] = None  # None: until removed
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)


class SavedView(SQLModel, table=True):
    """An officer's named search: the query string of the search page, kept per officer."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("officer_id", "name"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=80)
    query: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


# search (storage/case_search.py): an officer's own cases and the assignee filter; a phone number typed in
# the search box matched exactly against the address (newest first and date ranges use ix_case_created)
Index("ix_case_search_assignee", col(Case.assignee_id), col(Case.status))
Index("ix_contact_search_address", Contact.address)


# --- the editable case record, referral partners, canned replies, second factor (issue 15) -------


class CaseRecord(SQLModel, table=True):
    """What officers establish about a case beyond the bot's guess (storage/case_record.py)."""

    __tablename__ = "case_record"
    case_id: int = Field(foreign_key="support_case.id", primary_key=True)
    destination_country: str = Field(default="", max_length=80)
    destination_city: str = Field(default="", max_length=120)
    employer: str = Field(default="", max_length=200)
    # the agency as the registry named it when picked; the licence key finds it in later imports
    agency_name: str = Field(default="", max_length=300)
    agency_licence_no: str = Field(default="", max_length=120)
    agency_licence_key: str = Field(default="", max_length=120, index=True)
    passport_holder: str = Field(default="", max_length=20)  # self | employer | agency | other | unknown
    ilo_indicators: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(default="", max_length=100)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ReferralPartner(SQLModel, table=True):
    """Where officers refer cases: managed by admins in the console."""

    __tablename__ = "referral_partner"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(default="other", max_length=20)  # embassy | police | ngo | government | other
    country: str = Field(default="", max_length=80)
    contact: str = Field(default="", sa_column=Column(Text, nullable=False))
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)


class CaseReferral(SQLModel, table=True):
    """One referral of a case to a partner, and what came of it."""

    __tablename__ = "case_referral"
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    partner_id: int = Field(foreign_key="referral_partner.id", index=True)
    referred_on: dt.date
    outcome: str = Field(default="pending", max_length=20)  # pending accepted declined no_response done
    outcome_on: Optional[dt.date] = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)


class CannedReply(SQLModel, table=True):
    """A ready-made reply officers pick on the case page; admins edit the list."""

    __tablename__ = "canned_reply"
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)  # the form value; stable for the replies seeded by 0007
    title: str = Field(max_length=120)
    text: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0
    active: bool = True
    updated_by: str = Field(default="", max_length=100)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """A one-time code that replaces the authenticator once; only its SHA-256 is stored."""

    __tablename__ = "recovery_code"
    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="staff_user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: Optional[dt.datetime] = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class LoginChallenge(SQLModel, table=True):
    """A sign-in past its password, waiting for the second factor (or, for a supervisor or admin
    without one, for enrolment). The browser holds a random token; the row is keyed by its SHA-256."""

    __tablename__ = "login_challenge"
    id: str = Field(primary_key=True, max_length=64)
    officer_id: int = Field(foreign_key="staff_user.id", index=True)
    purpose: str = Field(max_length=10)  # code | enrol
    next_url: str = Field(default="/console", max_length=300)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
