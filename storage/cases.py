"""Case lifecycle services: what officers do to a case, and the audit trail it leaves.

Lifecycle (one place, enforced here, not in the console):

    new ──claim/assign──▶ claimed ──reply──▶ waiting ──(person writes)──▶ claimed
     │                      │                   │
     └──────────────────────┴───────────────────┴──resolve──▶ resolved ──close──▶ closed
                                                   (close also from any open status)

A supervisor may close open cases as spam in bulk (`close_as_spam`); `reopen_spam` puts
each back in the status it had. Cases the web chat opened over its flood limits carry the
"kemungkinan spam" flag (`flag_suspected_spam`) and sort after genuine ones.

Who may do what: any active staff member may view, claim an unassigned case, add a note;
the assignee, a supervisor or an admin may reply, refer and change the status; only a
supervisor or an admin assigns or reassigns. Anything else raises `CaseError`.

Every function is keyword-only and takes the caller's Session; it never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import false, func, true, union_all, update
from sqlmodel import Session, col, select

from storage import repo
from storage.ids import saved_id
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
    related: list[Case] = field(default_factory=list)  # the same person's other cases, newest first


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


QUEUE_ORDER = (col(Case.priority_rank), col(Case.suspected_spam), col(Case.sla_due_at), col(Case.id))
PINNED_MAX = 1000  # more unclaimed genuine emergencies than this is a flood the limits missed


@dataclass(frozen=True)
class QueuePage:
    """One page of the console queue and what the page says about it ("menampilkan N dari M")."""

    cases: list[Case]
    page: int
    pages: int
    page_size: int
    total: int  # cases in this view, on every page
    pinned: int  # unclaimed genuine emergencies kept on the first page
    flagged_open: int  # open cases flagged "kemungkinan spam", for the supervisors' banner


def _ranked_ids(session: Session, statuses: Sequence[str], limit: int, *conditions: Any) -> list[int]:
    """Case ids by priority, genuine before flagged, then SLA due time: the first `limit` of them.

    The cost follows `limit`, not the number of cases: per status, an index-only range scan
    of ix_case_queue (status, priority_rank, suspected_spam, sla_due_at; the row id rides
    along) stops after `limit` keys and the database merges those few. A plain
    `status IN (…) ORDER BY` would read and sort every open case.
    """
    runs = [select(Case.id, Case.priority_rank, Case.suspected_spam, Case.sla_due_at)
            .where(Case.status == status, *conditions).order_by(*QUEUE_ORDER).limit(limit).subquery()
            for status in statuses]
    merged = union_all(*(select(*run.c) for run in runs)).subquery()
    return list(session.exec(select(merged.c.id).order_by(merged.c.priority_rank, merged.c.suspected_spam,
                                                          merged.c.sla_due_at, merged.c.id).limit(limit)))


def _load(session: Session, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids, in the order given."""
    if not ids:
        return []
    by_id = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(list(ids))))}
    return [by_id[i] for i in ids if i in by_id]


def queue(session: Session, *, include_closed: bool = False, limit: int = 200) -> list[Case]:
    """The most urgent cases: by priority, genuine before flagged, then SLA due time."""
    return _load(session, _ranked_ids(session, STATUSES if include_closed else OPEN_STATUSES, limit))


def _pinned_ids(session: Session, page_size: int, *visible: Any) -> list[int]:
    """Every unclaimed emergency not flagged as spam (up to PINNED_MAX): the first page keeps them all.

    In queue order while they fit on a page; when there are more, newest first (the latest
    SLA due time: the most recently opened or raised), so a real report sent after a flood
    that the limits did not catch is still at the top.
    """
    unclaimed = (Case.status == "new", Case.priority_rank == repo.PRIORITY_RANK["emergency"],
                 col(Case.suspected_spam) == false())
    query = select(col(Case.id)).where(*unclaimed, *visible)
    ids = [saved_id(i) for i in session.exec(query.order_by(col(Case.sla_due_at), col(Case.id)).limit(page_size + 1))]
    if len(ids) <= page_size:
        return ids
    return [saved_id(i) for i in session.exec(query.order_by(col(Case.sla_due_at).desc(), col(Case.id).desc())
                                                  .limit(PINNED_MAX))]


def _count(session: Session, statuses: Sequence[str], *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(Case)
                        .where(col(Case.status).in_(list(statuses)), *conditions)).one()


def queue_page(session: Session, *, page: int = 1, page_size: int = 50, include_closed: bool = False,
               only_flagged: bool = False, visible: Any = None) -> QueuePage:
    """One page of the queue. The first page holds every unclaimed genuine emergency, however
    many (see `_pinned_ids`), and is filled up to `page_size` with the most urgent of the
    rest; later pages continue the rest in queue order. A page past the end shows the last.

    `only_flagged`: just the cases flagged "kemungkinan spam" (for reviewing them in bulk).
    `visible`: the cases the reader may see (storage.access.visible_condition); None: all.
    """
    statuses = STATUSES if include_closed else OPEN_STATUSES
    conditions = (col(Case.suspected_spam) == true(),) if only_flagged else ()
    if visible is not None:
        conditions = (*conditions, visible)
    total = _count(session, statuses, *conditions)
    pinned = [] if only_flagged else _pinned_ids(session, page_size, *conditions)
    first_fill = max(0, page_size - len(pinned))
    pages = 1 + -(-max(0, total - len(pinned) - first_fill) // page_size)
    page = min(max(1, page), pages)
    offset, size = (0, first_fill) if page == 1 else (first_fill + (page - 2) * page_size, page_size)
    skip = set(pinned)
    # the pinned rows also rank among the rest: read past them, then leave them out
    ranked = _ranked_ids(session, statuses, offset + size + len(skip), *conditions) if size else []
    rest = [i for i in ranked if i not in skip]
    ids = (pinned if page == 1 else []) + rest[offset:offset + size]
    flagged = _count(session, OPEN_STATUSES, col(Case.suspected_spam) == true())
    return QueuePage(cases=_load(session, ids), page=page, pages=pages, page_size=page_size, total=total,
                     pinned=len(pinned), flagged_open=flagged)


def officers_by_id(session: Session, ids: Sequence[int | None]) -> dict[int, Officer]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {saved_id(o.id): o for o in session.exec(select(Officer).where(col(Officer.id).in_(wanted)))}


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
    """Messages to the case's contact that have not reached the person: given up on, or held by
    WhatsApp's closed 24-hour window until the person writes again (an officer must see both)."""
    case = get_case(session, case_id=case_id)
    return list(session.exec(select(Outbox).where(Outbox.contact_id == case.contact_id,
                                                  col(Outbox.status).in_(("undelivered", "held")))
                             .order_by(col(Outbox.id))))


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
            if row.message_log_id is not None:  # always: the query matched on it
                delivery[row.message_log_id] = row
    trail = events(session, case_id=case_id)
    return CaseDetail(case=case, contact=contact,
                      assignee=session.get(Officer, case.assignee_id) if case.assignee_id else None,
                      transcript=messages, delivery=delivery, undelivered=undelivered(session, case_id=case_id),
                      evidence=evidence(session, case_id=case_id), events=trail,
                      notes=[e for e in trail if e.kind == "note"],
                      related=list(session.exec(select(Case).where(Case.contact_id == case.contact_id, Case.id != case.id)
                                                .order_by(col(Case.id).desc()).limit(20))))


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


# --- spam: flagged by the web chat's flood limits, closed in bulk by supervisors ------------------

MAX_BULK = 500  # cases in one bulk action (a few pages of the queue)


def flag_suspected_spam(session: Session, *, number: str, reason: str) -> Case | None:
    """Flag the case "kemungkinan spam" (opened over a flood limit) with an audit event; None if gone."""
    case = session.exec(select(Case).where(Case.number == number)).first()
    if case is None or case.suspected_spam:
        return case
    case.suspected_spam = True
    _event(session, case, "flagged_spam", "bot", reason)
    session.flush()
    return case


def _supervisor(officer: Officer) -> Officer:
    _active(officer)
    if not _is_supervisor(officer):
        raise CaseForbidden("Hanya supervisor atau admin yang boleh menutup kasus sebagai spam.")
    return officer


def _bulk(session: Session, case_ids: Sequence[int]) -> list[Case]:
    ids = sorted(set(case_ids))
    if len(ids) > MAX_BULK:
        raise CaseError(f"Paling banyak {MAX_BULK} kasus sekaligus.")
    return list(session.exec(select(Case).where(col(Case.id).in_(ids)).order_by(col(Case.id)))) if ids else []


def close_as_spam(session: Session, *, case_ids: Sequence[int], officer: Officer) -> list[Case]:
    """A supervisor closes these open cases as spam, one audit event each; the others are left alone.

    The status each had is kept (`spam_closed_from`), so `reopen_spam` can undo it.
    """
    _supervisor(officer)
    closed = []
    for case in _bulk(session, case_ids):
        if case.status not in OPEN_STATUSES:
            continue
        case.spam_closed_from, case.status = case.status, "closed"
        case.resolved_at = utcnow()
        _event(session, case, "closed_as_spam", officer.username, f"{case.spam_closed_from} → closed")
        closed.append(case)
    session.flush()
    return closed


def reopen_spam(session: Session, *, case_ids: Sequence[int], officer: Officer) -> list[Case]:
    """Undo `close_as_spam`: each case gets back the status it had, one audit event each.

    A supervisor who reopens it has looked at it, so the "kemungkinan spam" flag goes too
    and the case counts as genuine again (an unclaimed emergency is back on the first page).
    Cases not closed as spam are left alone.
    """
    _supervisor(officer)
    reopened = []
    for case in _bulk(session, case_ids):
        if case.status != "closed" or case.spam_closed_from is None:
            continue
        case.status, case.spam_closed_from = case.spam_closed_from, None
        case.resolved_at, case.suspected_spam = None, False
        _event(session, case, "reopened", officer.username, f"closed → {case.status}: bukan spam")
        reopened.append(case)
    session.flush()
    return reopened


# --- SLA and summaries ---------------------------------------------------------------------------


def overdue_unclaimed(session: Session, *, now: dt.datetime, limit: int = 500) -> list[Case]:
    """Unclaimed cases past their SLA that still owe a reminder or an escalation.

    Not the cases flagged "kemungkinan spam": the console's warning already tells the
    supervisors about them, once, instead of a reminder per case of a flood.
    """
    now = _now(now)
    stmt = (select(Case).where(Case.status == "new", col(Case.assignee_id).is_(None), Case.sla_due_at <= now,
                               col(Case.suspected_spam) == false(),
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
    if result.rowcount != 1:
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
                        .group_by(col(Case.priority_rank)))
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
