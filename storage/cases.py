"""Case lifecycle services: what officers do to a case, and the audit trail it leaves.

Lifecycle (one place, enforced here, not in the console):

    new ──claim/assign──▶ claimed ──reply──▶ waiting ──(person writes)──▶ claimed
     │                      │                   │
     └──────────────────────┴───────────────────┴──resolve──▶ resolved ──close──▶ closed
                                                   (close also from any open status)

Who may do what: any active staff member may view, claim an unassigned case, add a note;
the assignee, a supervisor or an admin may reply, refer and change the status; only a
supervisor or an admin assigns or reassigns. Anything else raises `CaseError`.

Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import func, union_all, update
from sqlmodel import Session, col, select

from storage import repo
from storage.models import Case, CaseEvent, Contact, Conversation, Evidence, MessageLog, Officer, Outbox, utcnow

STATUSES = ("new", "claimed", "waiting", "resolved", "closed")
OPEN_STATUSES = repo.OPEN_STATUSES
CLOSED_STATUSES = ("resolved", "closed")
PRIORITIES = ("emergency", "high", "normal")
RANK_PRIORITY = {rank: priority for priority, rank in repo.PRIORITY_RANK.items()}
SUPERVISOR_ROLES = ("supervisor", "admin")
REFERRAL_TARGETS = ("embassy", "police", "ngo")
# for error messages officers read (the console has its own labels)
STATUS_NAMES = {"new": "baru", "claimed": "ditangani", "waiting": "menunggu balasan", "resolved": "selesai",
                "closed": "ditutup"}
MAX_REPLY = 4000
MAX_NOTE = 4000
TRANSCRIPT_LIMIT = 1000

# The allowed status changes; "claimed" from "new" needs an assignee (claim/assign).
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"claimed", "resolved", "closed"}),
    "claimed": frozenset({"waiting", "resolved", "closed"}),
    "waiting": frozenset({"claimed", "resolved", "closed"}),
    "resolved": frozenset({"closed"}),
    "closed": frozenset(),
}


class CaseError(Exception):
    """An illegal transition, or an action the officer's role may not take. The message is for officers."""


class CaseForbidden(CaseError):
    """The officer's role (or not being the assignee) does not allow this action."""


class CaseNotFound(CaseError):
    """No case with that id."""


@dataclass(frozen=True)
class RatingPrompt:
    """The question sent when a case is resolved. The text may hold `{case_number}`.

    Passed in by the caller (bot/ builds it from flows.phrases) because storage imports
    nothing of ours.
    """

    text: str
    buttons: tuple[dict[str, str], ...]


@dataclass
class CaseDetail:
    """Everything the case page shows, loaded in one place."""

    case: Case
    contact: Contact
    assignee: Officer | None
    transcript: list[MessageLog]
    delivery: dict[int, Outbox]  # message_log id -> its outbox row
    undelivered: list[Outbox]
    evidence: list[Evidence]
    events: list[CaseEvent]
    notes: list[CaseEvent] = field(default_factory=list)


# --- helpers -------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    """Aware UTC, as the tables store it; a naive value is taken to be UTC already."""
    if now is None:
        return utcnow()
    return now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)


def _active(officer: Officer) -> Officer:
    if not officer.active:
        raise CaseForbidden("Akun petugas ini sudah dinonaktifkan.")
    return officer


def _is_supervisor(officer: Officer) -> bool:
    return officer.role in SUPERVISOR_ROLES


def _may_act(case: Case, officer: Officer) -> None:
    """Reply, refer and status changes belong to the assignee or a supervisor."""
    _active(officer)
    if _is_supervisor(officer) or (case.assignee_id is not None and case.assignee_id == officer.id):
        return
    if case.assignee_id is None:
        raise CaseForbidden("Ambil kasus ini dulu sebelum menanganinya.")
    raise CaseForbidden("Kasus ini ditangani petugas lain; hanya petugas itu atau supervisor yang boleh.")


def _event(session: Session, case: Case, kind: str, actor: str, detail: str = "",
           now: dt.datetime | None = None) -> CaseEvent:
    event = CaseEvent(case_id=case.id, kind=kind, actor=actor, detail=detail,  # type: ignore[arg-type]
                      created_at=_now(now))
    session.add(event)
    return event


def _move(session: Session, case: Case, new: str, actor: str, note: str = "") -> None:
    old = case.status
    if new not in TRANSITIONS.get(old, frozenset()):
        names = STATUS_NAMES.get(old, old), STATUS_NAMES.get(new, new)
        raise CaseError(f"Status tidak bisa diubah dari '{names[0]}' ke '{names[1]}'.")
    case.status = new
    _event(session, case, "status", actor, f"{old} → {new}" + (f": {note}" if note else ""))


def _open(case: Case) -> None:
    if case.status not in OPEN_STATUSES:
        raise CaseError(f"Kasus {case.number} sudah {STATUS_NAMES.get(case.status, case.status)}; "
                        "tindakan ini hanya untuk kasus terbuka.")


def _text(value: str, limit: int, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise CaseError(f"{what} tidak boleh kosong.")
    if len(value) > limit:
        raise CaseError(f"{what} terlalu panjang (maksimal {limit} karakter).")
    return value


# --- reading -------------------------------------------------------------------------------------


def get_case(session: Session, *, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"Kasus #{case_id} tidak ditemukan.")
    return case


def queue(session: Session, *, include_closed: bool = False, limit: int = 200) -> list[Case]:
    """Cases by priority rank, then SLA due time (most urgent first).

    The cost follows `limit`, not the number of cases: per status, an index-only range scan
    of ix_case_queue (status, priority_rank, sla_due_at; the row id rides along) stops after
    `limit` keys; the database merges those few and the winning rows are loaded by id. A
    plain `status IN (…) ORDER BY` would read and sort every open case.
    """
    statuses = STATUSES if include_closed else OPEN_STATUSES
    order = (col(Case.priority_rank), col(Case.sla_due_at), col(Case.id))
    runs = [select(Case.id, Case.priority_rank, Case.sla_due_at).where(Case.status == status)
            .order_by(*order).limit(limit).subquery() for status in statuses]
    merged = union_all(*(select(*run.c) for run in runs)).subquery()
    ids = list(session.exec(select(merged.c.id).order_by(merged.c.priority_rank, merged.c.sla_due_at, merged.c.id)
                            .limit(limit)))
    if not ids:
        return []
    by_id = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def officers_by_id(session: Session, ids: Sequence[int | None]) -> dict[int, Officer]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {o.id: o for o in session.exec(select(Officer).where(col(Officer.id).in_(wanted)))}  # type: ignore[misc]


def transcript(session: Session, *, case_id: int) -> list[MessageLog]:
    """The whole conversation of the case's contact, oldest first (the latest TRANSCRIPT_LIMIT messages)."""
    case = get_case(session, case_id=case_id)
    rows = session.exec(select(MessageLog).where(MessageLog.conversation_id == case.conversation_id)
                        .order_by(col(MessageLog.id).desc()).limit(TRANSCRIPT_LIMIT))
    return list(reversed(list(rows)))


def events(session: Session, *, case_id: int) -> list[CaseEvent]:
    return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))))


def evidence(session: Session, *, case_id: int) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.id))))


def undelivered(session: Session, *, case_id: int) -> list[Outbox]:
    """Messages to the case's contact that the adapters gave up on."""
    case = get_case(session, case_id=case_id)
    return list(session.exec(select(Outbox).where(Outbox.contact_id == case.contact_id,
                                                  Outbox.status == "undelivered").order_by(col(Outbox.id))))


def record_view(session: Session, *, case_id: int, officer: Officer) -> None:
    """Every opening of a case page is in its audit trail (DESIGN.md, decision 9)."""
    case = get_case(session, case_id=case_id)
    _event(session, case, "viewed", _active(officer).username)


def detail(session: Session, *, case_id: int, officer: Officer) -> CaseDetail:
    """The case page's data; records the `viewed` event."""
    record_view(session, case_id=case_id, officer=officer)
    session.flush()
    case = get_case(session, case_id=case_id)
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    messages = transcript(session, case_id=case_id)
    out_ids = [m.id for m in messages if m.direction == "out"]
    delivery: dict[int, Outbox] = {}
    if out_ids:
        for row in session.exec(select(Outbox).where(col(Outbox.message_log_id).in_(out_ids))):
            delivery[row.message_log_id] = row  # type: ignore[index]
    trail = events(session, case_id=case_id)
    return CaseDetail(case=case, contact=contact,
                      assignee=session.get(Officer, case.assignee_id) if case.assignee_id else None,
                      transcript=messages, delivery=delivery, undelivered=undelivered(session, case_id=case_id),
                      evidence=evidence(session, case_id=case_id), events=trail,
                      notes=[e for e in trail if e.kind == "note"])


# --- officer actions -----------------------------------------------------------------------------


def claim(session: Session, *, case_id: int, officer: Officer) -> Case:
    """Take an unassigned open case. Claiming one's own case again changes nothing."""
    case = get_case(session, case_id=case_id)
    _active(officer)
    _open(case)
    if case.assignee_id == officer.id:
        return case
    if case.assignee_id is not None:
        raise CaseError(f"Kasus {case.number} sudah diambil petugas lain; minta supervisor untuk mengalihkannya.")
    case.assignee_id = officer.id
    case.claimed_at = case.claimed_at or utcnow()
    if case.status == "new":
        case.status = "claimed"
    _event(session, case, "claimed", officer.username)
    session.flush()
    return case


def assign(session: Session, *, case_id: int, officer_id: int, by: Officer) -> Case:
    """A supervisor or admin gives the case to an officer (or moves it to another)."""
    _active(by)
    if not _is_supervisor(by):
        raise CaseForbidden("Hanya supervisor atau admin yang boleh menugaskan kasus.")
    case = get_case(session, case_id=case_id)
    _open(case)
    target = session.get(Officer, officer_id)
    if target is None or not target.active:
        raise CaseError("Petugas tujuan tidak ada atau sudah dinonaktifkan.")
    if case.assignee_id == target.id:
        return case
    before = session.get(Officer, case.assignee_id) if case.assignee_id else None
    case.assignee_id = target.id
    case.claimed_at = case.claimed_at or utcnow()
    if case.status == "new":
        case.status = "claimed"
    detail_text = f"{before.username} → {target.username}" if before else f"→ {target.username}"
    _event(session, case, "assigned", by.username, detail_text)
    session.flush()
    return case


def reply_as_officer(session: Session, *, case_id: int, officer: Officer, text: str,
                     dedupe_key: str | None = None) -> Outbox:
    """Send the person a message on their channel through the outbox.

    The conversation state is left as it is: a person in the "case" flow stays there, so
    their next message goes back to the officers. An unassigned case is claimed by the
    replying officer, so two officers do not answer one person at once.
    """
    text = _text(text, MAX_REPLY, "Balasan")
    case = get_case(session, case_id=case_id)
    _active(officer)
    _open(case)
    if case.assignee_id is None:
        claim(session, case_id=case_id, officer=officer)
    _may_act(case, officer)
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    # dedupe_key: the channel's id of the officer's message (Telegram staff desk); a redelivery of it,
    # to this or another worker, hits the unique key and the transaction rolls back: relayed once
    log_row = repo.log_message(session, conversation_id=case.conversation_id, direction="out", text=text,
                               author=f"officer:{officer.username}", dedupe_key=dedupe_key)
    row = repo.enqueue(session, contact=contact, text=text, message_log_id=log_row.id)
    _event(session, case, "replied", officer.username, f"outbox #{row.id}")
    if case.status == "claimed":
        _move(session, case, "waiting", officer.username)
    session.flush()
    return row


def add_note(session: Session, *, case_id: int, officer: Officer, text: str) -> CaseEvent:
    """A private note for colleagues; never sent to the person."""
    text = _text(text, MAX_NOTE, "Catatan")
    case = get_case(session, case_id=case_id)
    event = _event(session, case, "note", _active(officer).username, text)
    session.flush()
    return event


def refer(session: Session, *, case_id: int, officer: Officer, to: str, note: str) -> CaseEvent:
    """Record a referral to the embassy/consulate, the police or an NGO."""
    if to not in REFERRAL_TARGETS:
        raise CaseError(f"Rujukan harus salah satu dari: {', '.join(REFERRAL_TARGETS)}.")
    note = _text(note, MAX_NOTE, "Catatan rujukan")
    case = get_case(session, case_id=case_id)
    if case.status == "closed":
        raise CaseError(f"Kasus {case.number} sudah ditutup.")
    _may_act(case, officer)
    event = _event(session, case, "referral", officer.username, f"{to}: {note}")
    session.flush()
    return event


def set_status(session: Session, *, case_id: int, officer: Officer, status: str, note: str = "",
               rating_prompt: RatingPrompt | None = None) -> Case:
    """Change the status along the lifecycle; resolving and closing go through `resolve`/`close`."""
    if status not in STATUSES:
        raise CaseError(f"Status tidak dikenal: {status!r}.")
    case = get_case(session, case_id=case_id)
    if status == "resolved":
        if rating_prompt is None:
            raise CaseError("Menyelesaikan kasus memerlukan pertanyaan penilaian.")
        return resolve(session, case_id=case_id, officer=officer, rating_prompt=rating_prompt, note=note)
    if status == "closed":
        return close(session, case_id=case_id, officer=officer, note=note)
    if status == "claimed" and case.status == "new":
        return claim(session, case_id=case_id, officer=officer)
    if status == "new":
        raise CaseError("Kasus tidak bisa dikembalikan ke status 'new'.")
    _may_act(case, officer)
    if case.status == status:
        return case
    _move(session, case, status, officer.username, note)
    session.flush()
    return case


def resolve(session: Session, *, case_id: int, officer: Officer, rating_prompt: RatingPrompt,
            note: str = "", now: dt.datetime | None = None) -> Case:
    """Resolved: the person is asked for a 1–5 rating and their chat waits for it.

    No rating question goes to a person who said replying is not safe for them: an
    unexpected automatic message can put them at risk; officers decide on their own replies.
    """
    case = get_case(session, case_id=case_id)
    _may_act(case, officer)
    _move(session, case, "resolved", officer.username, note.strip()[:MAX_NOTE])
    case.resolved_at = _now(now)
    if case.safe_to_reply is False:
        _event(session, case, "rating_skipped", "bot", "pelapor menyatakan tidak aman dibalas")
        session.flush()
        return case
    contact = session.get(Contact, case.contact_id)
    conv = session.get(Conversation, case.conversation_id)
    assert contact is not None and conv is not None
    text = rating_prompt.text.replace("{case_number}", case.number)
    buttons = [dict(b) for b in rating_prompt.buttons]
    log_row = repo.log_message(session, conversation_id=conv.id, direction="out", text=text,  # type: ignore[arg-type]
                               author="bot", buttons=buttons, intent="rating")
    repo.enqueue(session, contact=contact, text=text, buttons=buttons, message_log_id=log_row.id)
    # the conversation flow "rating" reads the answer (a number or the button payload)
    conv.flow, conv.step = "rating", "ask"
    conv.slots = {"case_number": case.number, "_buttons": [b["payload"] for b in buttons],
                  "_at": _now(now).isoformat()}
    conv.updated_at = utcnow()
    session.add(conv)
    session.flush()
    return case


def close(session: Session, *, case_id: int, officer: Officer, note: str = "") -> Case:
    """Close: after resolving, or directly (duplicate, spam) by the assignee or a supervisor."""
    case = get_case(session, case_id=case_id)
    _may_act(case, officer)
    _move(session, case, "closed", officer.username, note.strip()[:MAX_NOTE])
    case.resolved_at = case.resolved_at or utcnow()
    session.flush()
    return case


# --- SLA and summaries ---------------------------------------------------------------------------


def overdue_unclaimed(session: Session, *, now: dt.datetime, limit: int = 500) -> list[Case]:
    """Unclaimed cases past their SLA that still owe a reminder or an escalation."""
    now = _now(now)
    stmt = (select(Case).where(Case.status == "new", col(Case.assignee_id).is_(None), Case.sla_due_at <= now,
                               col(Case.sla_reminded_at).is_(None) | col(Case.escalated_at).is_(None))
            .order_by(col(Case.priority_rank), col(Case.sla_due_at)).limit(limit))
    return list(session.exec(stmt))


def escalation_due_at(case: Case) -> dt.datetime:
    """An emergency goes to the supervisors when its SLA passes; other cases at twice their SLA."""
    if case.emergency or case.priority == "emergency":
        return case.sla_due_at
    return case.sla_due_at + max(case.sla_due_at - case.created_at, dt.timedelta(0))


def _mark_once(session: Session, *, case_id: int, column: Any, kind: str, detail: str,
               now: dt.datetime | None) -> bool:
    # a conditional UPDATE, not read-then-write: two schedulers (or two runs) cannot both win
    stamp = _now(now)
    result = session.exec(update(Case).where(col(Case.id) == case_id, column.is_(None))
                             .values({column.key: stamp}))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    case = get_case(session, case_id=case_id)
    session.refresh(case)
    _event(session, case, kind, "bot", detail, now=stamp)
    session.flush()
    return True


def mark_sla_reminded(session: Session, *, case_id: int, now: dt.datetime | None = None) -> bool:
    """Record the SLA reminder; True only the first time for this case."""
    return _mark_once(session, case_id=case_id, column=col(Case.sla_reminded_at), kind="sla_reminder",
                      detail="belum diambil petugas setelah batas SLA", now=now)


def mark_escalated(session: Session, *, case_id: int, now: dt.datetime | None = None) -> bool:
    """Record the escalation to supervisors; True only the first time for this case."""
    return _mark_once(session, case_id=case_id, column=col(Case.escalated_at), kind="escalated_to_supervisor",
                      detail="diteruskan ke supervisor", now=now)


def open_case_counts(session: Session) -> dict[str, int]:
    """Open cases per priority, every priority present (0 when none)."""
    # grouped by priority_rank, which ix_case_queue covers: no table rows are read
    counts = dict.fromkeys(PRIORITIES, 0)
    rows = session.exec(select(Case.priority_rank, func.count()).where(col(Case.status).in_(OPEN_STATUSES))
                        .group_by(Case.priority_rank))
    for rank, n in rows:
        priority = RANK_PRIORITY.get(rank, "normal")
        counts[priority] = counts.get(priority, 0) + n
    return counts


def status_counts(session: Session) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in session.exec(select(Case.status, func.count()).group_by(Case.status)):
        counts[status] = counts.get(status, 0) + n
    return counts


def count_where(session: Session, *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(Case).where(*conditions)).one()
