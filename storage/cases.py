"""Case lifecycle services: what officers do to a case, and the audit trail it leaves.

Lifecycle (one place, enforced here, not in the console):

    new ──claim/assign──▶ claimed ──reply──▶ waiting ──(person writes)──▶ claimed
     │                      │                   │
     └──────────────────────┴───────────────────┴──resolve──▶ resolved ──close──▶ closed
                                                   (close also from any open status)

A supervisor may close open cases as spam in bulk (storage/case_spam.py). The queue is read by
storage/case_queue.py, the case page by storage/case_detail.py, the first-response SLA by
storage/first_response.py and the later clocks by storage/case_sla.py.

Who may do what: any active staff member may view, claim an unassigned case, add a note;
the assignee, a supervisor or an admin may reply, refer and change the status; only a
supervisor or an admin assigns or reassigns. Anything else raises `CaseError`.

Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage import repo
from storage.errors import CaseError, CaseForbidden, CaseNotFound
from storage.ids import saved_id
from storage.models import Case, CaseEvent, Contact, Conversation, Officer, Outbox, utcnow

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

# The allowed status changes; "claimed" from "new" needs an assignee (claim/assign).
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"claimed", "resolved", "closed"}),
    "claimed": frozenset({"waiting", "resolved", "closed"}),
    "waiting": frozenset({"claimed", "resolved", "closed"}),
    "resolved": frozenset({"closed"}),
    "closed": frozenset(),
}


@dataclass(frozen=True)
class RatingPrompt:
    """The question sent when a case is resolved, and the state the person's chat then waits in.

    Passed in by the caller (flows/rating.py builds it) because storage imports nothing of ours;
    flow, step and slots are stored as given ("": the chat's state is left alone). `{case_number}`
    in the text and in the slots' string values becomes the case's number.
    """

    text: str
    buttons: tuple[dict[str, str], ...]
    flow: str = ""
    step: str = ""
    slots: dict[str, Any] = field(default_factory=dict)


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
    event = CaseEvent(case_id=saved_id(case.id), kind=kind, actor=actor, detail=detail,
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

def officers_by_id(session: Session, ids: Sequence[int | None]) -> dict[int, Officer]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {saved_id(o.id): o for o in session.exec(select(Officer).where(col(Officer.id).in_(wanted)))}


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
    if case.restricted and not _is_supervisor(officer):  # restricted: a supervisor decides who takes it
        raise CaseForbidden(f"Kasus {case.number} dibatasi; hanya supervisor yang bisa menugaskannya.")
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


def person_wrote(session: Session, *, case: Case) -> None:
    """The person wrote into a case waiting for their answer: back to its officer, or the queue if none."""
    if case.status == "waiting":
        case.status = "claimed" if case.assignee_id else "new"
        _event(session, case, "status", "user", case.status)


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
    log_row = repo.log_message(session, conversation_id=saved_id(conv.id), direction="out", text=text,
                               author="bot", buttons=buttons, intent="rating")
    repo.enqueue(session, contact=contact, text=text, buttons=buttons, message_log_id=log_row.id)
    if rating_prompt.flow:  # the flow that reads the answer, as flows decided it
        conv.flow, conv.step = rating_prompt.flow, rating_prompt.step
        conv.slots = {k: v.replace("{case_number}", case.number) if isinstance(v, str) else v
                      for k, v in rating_prompt.slots.items()}
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


# --- summaries -----------------------------------------------------------------------------------


def open_case_counts(session: Session) -> dict[str, int]:
    """Open cases per priority, every priority present (0 when none)."""
    # grouped by priority_rank, which ix_case_queue covers: no table rows are read
    counts = dict.fromkeys(PRIORITIES, 0)
    rows = session.exec(select(Case.priority_rank, func.count()).where(col(Case.status).in_(OPEN_STATUSES))
                        .group_by(col(Case.priority_rank)))
    for rank, n in rows:
        priority = RANK_PRIORITY.get(rank, "normal")
        counts[priority] = counts.get(priority, 0) + n
    return counts


def count_where(session: Session, *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(Case).where(*conditions)).one()
