"""The editable case record: what officers correct and establish about a case (issue 15).

- `reclassify`: category and priority, with a reason; the queue order follows the priority
  (priority_rank) and, while the case waits to be claimed, its first-response deadline too.
- `save_record`: structured fields (destination, employer, agency from the licence registry,
  who holds the passport, ILO forced-labour indicators); one audit event lists what changed.
- `edit_intake`: an intake answer corrected, old and new value in the audit trail.
- referrals to partners (storage/partners.py) and their outcome with dates.

Who may: the case's assignee, a supervisor or an admin (as for replies and status changes).
Keyword-only functions on the caller's Session; they never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage import registry, repo
from storage.cases import PRIORITIES, get_case
from storage.errors import CaseError, CaseForbidden
from storage.ids import saved_id
from storage.models import (
    Agency,
    Case,
    CaseEvent,
    CaseRecord,
    CaseReferral,
    Officer,
    ReferralPartner,
    utcnow,
)

# the eleven ILO indicators of forced labour (ILO Special Action Programme to Combat Forced Labour, 2012)
ILO_INDICATORS = ("abuse_of_vulnerability", "deception", "restriction_of_movement", "isolation",
                  "physical_sexual_violence", "intimidation_threats", "retention_of_documents",
                  "withholding_of_wages", "debt_bondage", "abusive_conditions", "excessive_overtime")
PASSPORT_HOLDERS = ("self", "employer", "agency", "other", "unknown")
OUTCOMES = ("pending", "accepted", "declined", "no_response", "done")
# intake answers that are yes/no; the rest are text
INTAKE_FLAGS = ("safe_now", "safe_reply", "consent")
MAX_REASON = 500
MAX_INTAKE_TEXT = 2000
FIELD_LIMITS = {"destination_country": 80, "destination_city": 120, "employer": 200}


@dataclass(frozen=True)
class AgencyStatus:
    """The recorded agency as the current registry knows it (None: not in the registry now)."""

    name: str
    licence_no: str
    status: str | None
    valid_until: dt.date | None


@dataclass(frozen=True)
class ReferralRow:
    referral: CaseReferral
    partner: ReferralPartner


def _may_edit(case: Case, officer: Officer) -> None:
    if not officer.active:
        raise CaseForbidden("Akun petugas ini sudah dinonaktifkan.")
    if officer.role in ("supervisor", "admin") or (case.assignee_id is not None and case.assignee_id == officer.id):
        return
    if case.assignee_id is None:
        raise CaseForbidden("Ambil kasus ini dulu sebelum mengubah datanya.")
    raise CaseForbidden("Kasus ini ditangani petugas lain; hanya petugas itu atau supervisor yang boleh mengubahnya.")


def _event(session: Session, case: Case, kind: str, actor: str, detail: str) -> None:
    session.add(CaseEvent(case_id=saved_id(case.id), kind=kind, actor=actor, detail=detail[:4000],
                          created_at=utcnow()))


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise CaseError("Tuliskan alasan perubahan.")
    if len(reason) > MAX_REASON:
        raise CaseError(f"Alasan terlalu panjang (maksimal {MAX_REASON} karakter).")
    return reason


# --- category and priority -----------------------------------------------------------------------


def reclassify(session: Session, *, case_id: int, officer: Officer, category: str, priority: str, reason: str,
               categories: Sequence[str], first_response_minutes: int | None = None) -> Case:
    """Correct the bot's category and priority. `categories`: the known ones (the console's list);
    `first_response_minutes`: the new priority's first-response target, applied from the case's
    opening while nobody has claimed it."""
    case = get_case(session, case_id=case_id)
    _may_edit(case, officer)
    if category not in categories:
        raise CaseError("Kategori tidak dikenal.")
    if priority not in PRIORITIES:
        raise CaseError("Prioritas tidak dikenal.")
    reason = _reason(reason)
    if category == case.category and priority == case.priority:
        raise CaseError("Kategori dan prioritas tidak berubah.")
    if category != case.category:
        _event(session, case, "category", officer.username, f"{case.category} -> {category}: {reason}")
        case.category = category
    if priority != case.priority:
        _event(session, case, "priority", officer.username, f"{case.priority} -> {priority}: {reason}")
        case.priority, case.priority_rank = priority, repo.PRIORITY_RANK[priority]
        # the red "darurat" mark follows the officer's judgement, not the bot's first guess
        case.emergency = priority == "emergency"
        if case.status == "new" and first_response_minutes is not None:
            case.sla_due_at = repo.aware(case.created_at) + dt.timedelta(minutes=first_response_minutes)
    session.flush()
    return case


# --- structured fields ---------------------------------------------------------------------------


def record_of(session: Session, *, case_id: int) -> CaseRecord | None:
    return session.get(CaseRecord, case_id)


def find_agency(session: Session, *, text: str, licence_key: str = "") -> Agency | None:
    """The current registry's agency by licence key, or by its exact name (any case); None if neither."""
    batch = registry.current_batch(session)
    if batch is None:
        return None
    if licence_key:
        found = session.exec(select(Agency).where(Agency.batch_id == batch.id,
                                                  Agency.licence_key == licence_key)).first()
        if found is not None:
            return found
    name = " ".join(text.split()).lower()
    if not name:
        return None
    rows = list(session.exec(select(Agency).where(Agency.batch_id == batch.id,
                                                  func.lower(Agency.name) == name).limit(2)))
    return rows[0] if len(rows) == 1 else None


def agency_choices(session: Session, *, limit: int = 2000) -> list[Agency]:
    """The current registry, by name: the agency field's suggestions."""
    batch = registry.current_batch(session)
    if batch is None:
        return []
    return list(session.exec(select(Agency).where(Agency.batch_id == batch.id).order_by(col(Agency.name))
                             .limit(limit)))


def agency_status(session: Session, *, record: CaseRecord | None) -> AgencyStatus | None:
    if record is None or not record.agency_name:
        return None
    found = find_agency(session, text="", licence_key=record.agency_licence_key) if record.agency_licence_key else None
    if found is None:
        return AgencyStatus(record.agency_name, record.agency_licence_no, None, None)
    return AgencyStatus(found.name, found.licence_no, found.status, found.valid_until)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "-"
    return str(value) if value not in ("", None) else "-"


def save_record(session: Session, *, case_id: int, officer: Officer, destination_country: str = "",
                destination_city: str = "", employer: str = "", agency: str = "", agency_licence_key: str = "",
                passport_holder: str = "", ilo_indicators: Sequence[str] = ()) -> list[str]:
    """Store the structured fields; returns the names of the fields that changed (one audit event lists them).

    `agency` is matched against the current registry (licence key first, then the exact name);
    a name the registry does not hold is kept as typed, without a licence: that is a finding too.
    """
    case = get_case(session, case_id=case_id)
    _may_edit(case, officer)
    if passport_holder not in ("", *PASSPORT_HOLDERS):
        raise CaseError("Pilihan pemegang paspor tidak dikenal.")
    unknown = set(ilo_indicators) - set(ILO_INDICATORS)
    if unknown:
        raise CaseError("Indikator kerja paksa tidak dikenal.")
    texts = {"destination_country": destination_country, "destination_city": destination_city, "employer": employer}
    for name, value in texts.items():
        texts[name] = " ".join(value.split())
        if len(texts[name]) > FIELD_LIMITS[name]:
            raise CaseError(f"Isian terlalu panjang (maksimal {FIELD_LIMITS[name]} karakter).")
    agency = " ".join(agency.split())[:300]
    found = find_agency(session, text=agency, licence_key=agency_licence_key) if agency else None
    new: dict[str, Any] = {
        **texts, "passport_holder": passport_holder,
        "ilo_indicators": [i for i in ILO_INDICATORS if i in set(ilo_indicators)],  # a stable order
        "agency_name": found.name if found else agency,
        "agency_licence_no": found.licence_no if found else "",
        "agency_licence_key": found.licence_key if found else "",
    }
    record = session.get(CaseRecord, case_id)
    if record is None:
        record = CaseRecord(case_id=case_id)
        session.add(record)
    changes = []
    for name, value in new.items():
        old = getattr(record, name)
        if old != value:
            if name not in ("agency_licence_no", "agency_licence_key"):  # shown with the agency's name
                changes.append(f"{name}: {_show(old)} -> {_show(value)}")
            setattr(record, name, list(value) if isinstance(value, list) else value)
    if changes:
        record.updated_by, record.updated_at = officer.username, utcnow()
        _event(session, case, "record", officer.username, "; ".join(changes))
    session.flush()
    return [c.split(":", 1)[0] for c in changes]


# --- intake answers ------------------------------------------------------------------------------


def edit_intake(session: Session, *, case_id: int, officer: Officer, key: str, value: str | bool | None,
                allowed_keys: Sequence[str]) -> bool:
    """Correct one intake answer (old and new value in the audit trail). False when nothing changed."""
    case = get_case(session, case_id=case_id)
    _may_edit(case, officer)
    if key not in allowed_keys:
        raise CaseError("Jawaban intake tidak dikenal.")
    flag: bool | None = None  # the value of a yes/no answer
    if key in INTAKE_FLAGS:
        if value is not None and not isinstance(value, bool):
            raise CaseError("Jawaban harus ya, tidak, atau kosong.")
        flag = value
    else:
        value = " ".join(str(value or "").split())
        if len(value) > MAX_INTAKE_TEXT:
            raise CaseError(f"Jawaban terlalu panjang (maksimal {MAX_INTAKE_TEXT} karakter).")
    intake = dict(case.intake or {})
    old = intake.get(key)
    if old == value or (old is None and value == ""):
        return False
    intake[key] = value
    case.intake = intake  # a new dict: the JSON column sees the change
    if key == "safe_reply":
        case.safe_to_reply = flag
    elif key == "consent":
        case.consent_share = flag
    _event(session, case, "intake_edited", officer.username, f"{key}: {_show(old)} -> {_show(value)}")
    session.flush()
    return True


# --- referrals -----------------------------------------------------------------------------------


def referrals(session: Session, *, case_id: int) -> list[ReferralRow]:
    rows = session.exec(select(CaseReferral, ReferralPartner).join(ReferralPartner)
                        .where(CaseReferral.case_id == case_id).order_by(col(CaseReferral.id)))
    return [ReferralRow(r, p) for r, p in rows]


def _date(value: dt.date | None, what: str, today: dt.date) -> dt.date | None:
    if value is not None and value > today + dt.timedelta(days=1):  # a day's slack for time zones
        raise CaseError(f"Tanggal {what} tidak boleh di masa depan.")
    return value


def add_referral(session: Session, *, case_id: int, officer: Officer, partner_id: int, referred_on: dt.date,
                 note: str = "", today: dt.date | None = None) -> CaseReferral:
    case = get_case(session, case_id=case_id)
    _may_edit(case, officer)
    if case.status == "closed":
        raise CaseError(f"Kasus {case.number} sudah ditutup.")
    partner = session.get(ReferralPartner, partner_id)
    if partner is None or not partner.active:
        raise CaseError("Mitra rujukan tidak ditemukan.")
    _date(referred_on, "rujukan", today or utcnow().date())
    note = note.strip()
    if len(note) > 4000:
        raise CaseError("Catatan rujukan terlalu panjang (maksimal 4000 karakter).")
    row = CaseReferral(case_id=case_id, partner_id=partner_id, referred_on=referred_on, note=note,
                       created_by=officer.username)
    session.add(row)
    _event(session, case, "referral", officer.username,
           f"{partner.name}, {referred_on.isoformat()}{': ' + note if note else ''}")
    session.flush()
    return row


def set_referral_outcome(session: Session, *, case_id: int, referral_id: int, officer: Officer, outcome: str,
                         outcome_on: dt.date | None, today: dt.date | None = None) -> CaseReferral:
    case = get_case(session, case_id=case_id)
    _may_edit(case, officer)
    row = session.get(CaseReferral, referral_id)
    if row is None or row.case_id != case_id:
        raise CaseError("Rujukan tidak ditemukan.")
    if outcome not in OUTCOMES:
        raise CaseError("Hasil rujukan tidak dikenal.")
    _date(outcome_on, "hasil", today or utcnow().date())
    if outcome_on is not None and outcome_on < row.referred_on:
        raise CaseError("Tanggal hasil tidak boleh sebelum tanggal rujukan.")
    if outcome != "pending" and outcome_on is None:
        outcome_on = today or utcnow().date()
    partner = session.get(ReferralPartner, row.partner_id)
    old = f"{row.outcome} {row.outcome_on.isoformat() if row.outcome_on else ''}".strip()
    row.outcome, row.outcome_on = outcome, outcome_on
    new = f"{outcome} {outcome_on.isoformat() if outcome_on else ''}".strip()
    _event(session, case, "referral_outcome", officer.username,
           f"{partner.name if partner else row.partner_id}: {old} -> {new}")
    session.flush()
    return row
