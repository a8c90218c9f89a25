"""The person, not the address: several channel addresses linked to one person, and risk flags.

A worker who changes SIM or app, or a relative who reports for them, arrives as a new
contact (one per `channel:address`). An officer links such a contact to the person of the
case in front of them (`merge`, audited); a supervisor can undo a wrong link (`unmerge`).
The case page then lists the person's cases from every linked address (`person_cases`),
filtered by what the officer may see (storage/access.py), so a link never opens a case.

Risk flags ("pernah jadi korban TPPO", "nomor dipinjam") belong to the person and are shown
until they expire; an expired flag stays in the table (and its audit trail) but is not shown.

Every function is keyword-only, takes the caller's Session and never commits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func, update
from sqlmodel import Session, col, select

from storage import access
from storage.errors import CaseForbidden, PersonError
from storage.ids import saved_id
from storage.models import (
    Case,
    CaseEvent,
    Contact,
    Officer,
    Person,
    PersonEvent,
    RiskFlag,
    utcnow,
)

RISK_KINDS = ("tppo_victim", "borrowed_phone", "monitored_phone", "threatened")
MAX_FLAG_DAYS = 3 * 365
MERGED_KIND = "person_merged"
UNMERGED_KIND = "person_unmerged"


@dataclass(frozen=True)
class History:
    """A person's other cases as one officer may see them."""

    cases: list[Case]  # visible to the officer, newest first
    hidden: int  # other cases of this person the officer may not open (restricted ones not counted)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return utcnow()
    return now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)


def _event(session: Session, person_id: int, kind: str, actor: str, detail: str = "") -> None:
    session.add(PersonEvent(person_id=person_id, kind=kind, actor=actor, detail=detail, created_at=utcnow()))


def _case_event(session: Session, case_id: int | None, kind: str, actor: str, detail: str) -> None:
    if case_id is not None:
        session.add(CaseEvent(case_id=case_id, kind=kind, actor=actor, detail=detail, created_at=utcnow()))


def describe(contact: Contact) -> str:
    """How an address is named in audit trails: the URN (officers who may read the trail see the case)."""
    return contact.urn


def contact_ids_of(session: Session, contact: Contact) -> list[int]:
    """Every address of the contact's person (just the contact when it is not linked)."""
    if contact.person_id is None:
        return [saved_id(contact.id)]
    return [saved_id(i) for i in session.exec(select(col(Contact.id)).where(Contact.person_id == contact.person_id)
                                              .order_by(col(Contact.id)))]


def linked_contacts(session: Session, *, person_id: int) -> list[Contact]:
    return list(session.exec(select(Contact).where(Contact.person_id == person_id).order_by(col(Contact.id))))


def ensure_person(session: Session, *, contact: Contact, actor: str) -> Person:
    """The contact's person, created (for this address alone) when it has none yet."""
    if contact.person_id is not None:
        person = session.get(Person, contact.person_id)
        if person is not None:
            return person
    person = Person(display_name=contact.display_name, created_by=actor, created_at=utcnow())
    session.add(person)
    session.flush()
    contact.person_id = person.id
    session.add(contact)
    session.flush()
    return person


def phone_digits(text: str) -> str | None:
    """A phone number typed any way (0812-…, +62 812 …, 62812…) as international digits; None if not one."""
    digits = re.sub(r"[\s.\-()]", "", text or "")
    if not re.fullmatch(r"\+?\d{7,16}", digits):
        return None
    digits = digits.lstrip("+")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


def address_forms(text: str) -> list[str]:
    """The ways a phone number can be stored as an address (channels differ on the leading '+')."""
    digits = phone_digits(text)
    if digits is None:
        return []
    forms = [f"+{digits}", digits]
    if digits.startswith("62"):
        forms.append("0" + digits[2:])
    return forms


def find_contact(session: Session, *, ref: str) -> Contact | None:
    """The contact named by a case number (MC-2026-00042), a URN (whatsapp:+62…) or a phone number."""
    ref = (ref or "").strip()
    if not ref:
        return None
    case = session.exec(select(Case).where(func.lower(Case.number) == ref.lower())).first()
    if case is not None:
        return session.get(Contact, case.contact_id)
    by_urn = session.exec(select(Contact).where(Contact.urn == ref)).first()
    if by_urn is not None:
        return by_urn
    forms = address_forms(ref)
    if forms:
        return session.exec(select(Contact).where(col(Contact.address).in_(forms)).order_by(col(Contact.id))).first()
    return None


def merge(session: Session, *, contact_id: int, other_contact_id: int, officer_name: str,
          case_id: int | None = None) -> Person:
    """Link two addresses to one person (audited on the person and, when given, on the case).

    When both already belong to different people, the other person's addresses and flags
    move to this one: the two people were the same all along.
    """
    if contact_id == other_contact_id:
        raise PersonError("Alamat itu sudah milik orang yang sama.")
    contact, other = session.get(Contact, contact_id), session.get(Contact, other_contact_id)
    if contact is None or other is None:
        raise PersonError("Alamat tidak ditemukan.")
    person = ensure_person(session, contact=contact, actor=officer_name)
    if other.person_id == person.id:
        raise PersonError("Alamat itu sudah terhubung dengan orang ini.")
    moved = [other]
    if other.person_id is not None:
        old = other.person_id
        moved = linked_contacts(session, person_id=old)
        session.exec(update(Contact).where(col(Contact.person_id) == old).values(person_id=person.id))
        session.exec(update(RiskFlag).where(col(RiskFlag.person_id) == old).values(person_id=person.id))
        _event(session, old, "merged_into", officer_name, f"→ orang #{person.id}")
    else:
        other.person_id = person.id
        session.add(other)
    names = ", ".join(describe(c) for c in moved)
    _event(session, saved_id(person.id), "merged", officer_name, f"{describe(contact)} + {names}")
    _case_event(session, case_id, MERGED_KIND, officer_name, f"digabung dengan {names}")
    session.flush()
    for c in moved:
        session.refresh(c)
    return person


def unmerge(session: Session, *, contact_id: int, officer_name: str, is_supervisor: bool,
            case_id: int | None = None) -> Contact:
    """A supervisor takes one address off its person (a wrong link); audited."""
    if not is_supervisor:
        raise CaseForbidden("Hanya supervisor yang boleh memisahkan alamat dari orang ini.")
    contact = session.get(Contact, contact_id)
    if contact is None or contact.person_id is None:
        raise PersonError("Alamat ini tidak terhubung dengan orang lain.")
    person_id = contact.person_id
    contact.person_id = None
    session.add(contact)
    _event(session, person_id, "unmerged", officer_name, describe(contact))
    _case_event(session, case_id, UNMERGED_KIND, officer_name, f"{describe(contact)} dipisahkan")
    session.flush()
    return contact


def person_cases(session: Session, *, contact: Contact, officer_condition: ColumnElement[bool],
                 exclude_case_id: int | None = None, limit: int = 50) -> History:
    """The person's cases from every linked address that the officer may see, newest first.

    `officer_condition` is storage.access.visible_condition(officer). Cases the officer may
    not open are counted, not listed, and restricted ones are not even counted.
    """
    ids = contact_ids_of(session, contact)
    base: list[Any] = [col(Case.contact_id).in_(ids)]
    if exclude_case_id is not None:
        base.append(col(Case.id) != exclude_case_id)
    shown = list(session.exec(select(Case).where(*base, officer_condition)
                              .order_by(col(Case.created_at).desc(), col(Case.id).desc()).limit(limit)))
    others = session.exec(select(func.count()).select_from(Case)
                          .where(*base, col(Case.restricted) == false())).one()
    visible_unrestricted = sum(1 for c in shown if not c.restricted)
    return History(cases=shown, hidden=max(0, others - visible_unrestricted))


def history_for(session: Session, *, case: Case, officer: Officer) -> History:
    """`person_cases` for the case page of `case`, as `officer` (an Officer) may see them."""
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    return person_cases(session, contact=contact, officer_condition=access.visible_condition(officer),
                        exclude_case_id=case.id)


# --- risk flags ----------------------------------------------------------------------------------


def add_flag(session: Session, *, contact: Contact, kind: str, note: str, expires_at: dt.datetime | None,
             officer_name: str, case_id: int | None = None, now: dt.datetime | None = None) -> RiskFlag:
    if kind not in RISK_KINDS:
        raise PersonError("Jenis tanda risiko tidak dikenal.")
    now = _now(now)
    if expires_at is not None:
        expires_at = _now(expires_at)
        if expires_at <= now:
            raise PersonError("Tanggal berakhir harus setelah hari ini.")
        if expires_at > now + dt.timedelta(days=MAX_FLAG_DAYS):
            raise PersonError("Tanda risiko paling lama berlaku 3 tahun.")
    person = ensure_person(session, contact=contact, actor=officer_name)
    flag = RiskFlag(person_id=saved_id(person.id), kind=kind, note=(note or "").strip()[:500],
                    expires_at=expires_at, created_by=officer_name, created_at=now)
    session.add(flag)
    until = expires_at.date().isoformat() if expires_at else "tanpa batas"
    _event(session, saved_id(person.id), "flag_added", officer_name, f"{kind} sampai {until}")
    _case_event(session, case_id, "risk_flag", officer_name, f"tanda risiko {kind} sampai {until}")
    session.flush()
    return flag


def remove_flag(session: Session, *, flag_id: int, person_id: int, officer_name: str,
                case_id: int | None = None) -> None:
    """End a flag now (it expires at once; kept for the audit trail)."""
    flag = session.get(RiskFlag, flag_id)
    if flag is None or flag.person_id != person_id:
        raise PersonError("Tanda risiko tidak ditemukan.")
    flag.expires_at = utcnow()
    session.add(flag)
    _event(session, person_id, "flag_removed", officer_name, flag.kind)
    _case_event(session, case_id, "risk_flag", officer_name, f"tanda risiko {flag.kind} dicabut")
    session.flush()


def active_flags(session: Session, *, contact: Contact, now: dt.datetime | None = None) -> list[RiskFlag]:
    """The person's flags that have not expired, newest first."""
    if contact.person_id is None:
        return []
    now = _now(now)
    rows = session.exec(select(RiskFlag).where(RiskFlag.person_id == contact.person_id,
                                               col(RiskFlag.expires_at).is_(None) | (col(RiskFlag.expires_at) > now))
                        .order_by(col(RiskFlag.id).desc()))
    return list(rows)
