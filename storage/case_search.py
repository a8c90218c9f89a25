"""Case search for the console: one box (case number, phone, name, agency, text), filters, pages,
and each officer's saved views.

Confidentiality (storage/access.py) is part of the query, not a filter applied afterwards:

- only cases the officer may see at least in summary are ever counted or returned;
- the case number and the summary line match for every visible case, the summary not for a
  phone number (officers see it with phone numbers masked);
- phone, name, intake answers, message text and agency names in them match only cases the
  officer may see in full (their own; every case for supervisors). So a search never tells
  an officer what a case they have not taken says.

Plain SQLAlchemy expressions that SQLite and PostgreSQL both run: `lower(x) LIKE '%…%'` with
the user's `%` and `_` escaped, JSON values read with the dialect's own operator.
Newest first; the date range and the assignee filter have indexes (migration 0006); the text
match reads the rows of the cases left after the cheaper conditions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, and_, cast, false, func, or_
from sqlmodel import Session, col, select

from storage import access, people, registry
from storage.cases import OPEN_STATUSES, STATUSES
from storage.errors import CaseError
from storage.ids import saved_id
from storage.models import Agency, Case, CaseRecord, Contact, MessageLog, Officer, Person, SavedView, utcnow

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_QUERY = 200
MAX_VIEWS = 30
MAX_MATCHES = 100_000  # a search matching more shows its newest matches only
AGENCY_LIMIT = 5
_NUMBER_RX = re.compile(r"^(mc-.*|\d{4}-\d{1,6})$", re.IGNORECASE)
ASSIGNEE_ME, ASSIGNEE_NONE = "saya", "belum"
_FULL_NUMBER_RX = re.compile(r"^mc-\d{4}-\d{5,}$", re.IGNORECASE)
_LEGAL_FORM_RX = re.compile(r"^\s*(pt|cv)\.?\s+", re.IGNORECASE)


@dataclass(frozen=True)
class CaseQuery:
    """What the search page asks for. Empty strings mean "any"; dates are inclusive local days,
    passed in already as UTC bounds (`created_from` ≤ created_at < `created_to`)."""

    q: str = ""
    category: str = ""
    priority: str = ""
    status: str = ""  # a status, "open" (terbuka) or ""
    assignee: str = ""  # "saya", "belum", an officer id, or ""
    destination: str = ""  # matched against the intake answer "where" (di mana)
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass
class SearchPage:
    cases: list[Case]
    total: int
    page: int
    pages: int
    page_size: int
    levels: dict[int, access.Access] = field(default_factory=dict)  # case id -> what the officer may see
    contacts: dict[int, Contact] = field(default_factory=dict)  # only for cases seen in full
    agencies: list[Agency] = field(default_factory=list)  # registry entries whose name matches the query
    mentions: dict[int, list[Agency]] = field(default_factory=dict)  # case id -> matched agencies it names


def _contains(column: Any, text: str) -> Any:
    """lower(column) LIKE '%text%', the user's % and _ taken literally. The pattern is built here, once:
    `.contains()` would make the database concatenate it again for every row."""
    escaped = text.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return func.lower(column).like(f"%{escaped}%", escape="/")


def looks_like_case_number(q: str) -> bool:
    return bool(_NUMBER_RX.search(q.strip()))


def matching_agencies(session: Session, *, q: str, limit: int = AGENCY_LIMIT) -> list[Agency]:
    """Agencies of the current registry batch whose name contains the query (at least 3 letters)."""
    q = q.strip()
    if len(q) < 3 or people.phone_digits(q) or looks_like_case_number(q):
        return []
    batch = registry.current_batch(session)
    if batch is None:
        return []
    name = _LEGAL_FORM_RX.sub("", q).strip() or q
    return list(session.exec(select(Agency).where(Agency.batch_id == batch.id, _contains(Agency.name, name))
                             .order_by(col(Agency.name)).limit(limit)))


def _text_condition(q: str, officer: Officer, licence_keys: list[str]) -> Any:
    """The search box as SQL, within what the officer may see (see the module docstring)."""
    full = access.full_condition(officer)
    digits_forms = people.address_forms(q)
    number = _contains(Case.number, q)
    if digits_forms:
        # a phone number: the address of the case's person (every linked address), full view only
        people_of_number = select(Contact.person_id).where(col(Contact.address).in_(digits_forms),
                                                           col(Contact.person_id).is_not(None))
        contacts = select(Contact.id).where(or_(col(Contact.address).in_(digits_forms),
                                                col(Contact.person_id).in_(people_of_number)))
        return or_(number, and_(full, col(Case.contact_id).in_(contacts)))
    if _FULL_NUMBER_RX.match(q):
        return col(Case.number) == q.upper()  # the unique index: no scan
    if looks_like_case_number(q):
        return number
    named_contacts = select(Contact.id).where(or_(_contains(Contact.display_name, q), col(Contact.person_id).in_(
        select(Person.id).where(_contains(Person.display_name, q)))))
    said_in = select(MessageLog.conversation_id).where(_contains(MessageLog.text, q))
    # "PT Sinar Jaya" also finds a report that wrote "sinar jaya": the registry's names all carry the
    # legal form, people rarely type it. Any text naming a matched agency contains this core already.
    core = _LEGAL_FORM_RX.sub("", q).strip() or q
    # the agency an officer picked from the registry on the case record (its licence key survives re-imports)
    agency_terms = [_contains(CaseRecord.agency_name, core)]
    if licence_keys:
        agency_terms.append(col(CaseRecord.agency_licence_key).in_(licence_keys))
    recorded = select(CaseRecord.case_id).where(or_(*agency_terms))
    named: Any
    said: Any
    on_record: Any
    if access.is_supervisor(officer):
        # every case is searched in full: one pass over the contacts and the messages, then a lookup per case
        named, said = col(Case.contact_id).in_(named_contacts), col(Case.conversation_id).in_(said_in)
        on_record = col(Case.id).in_(recorded)
    else:
        # only the officer's own cases are searched in full: a correlated EXISTS reads just their rows,
        # through the primary key and the (conversation_id, id) index
        named = named_contacts.where(col(Contact.id) == Case.contact_id).exists()
        said = said_in.where(col(MessageLog.conversation_id) == Case.conversation_id).exists()
        on_record = recorded.where(col(CaseRecord.case_id) == Case.id).exists()
    deep = [_contains(cast(Case.intake, Text), core), on_record, named, said]
    return or_(number, _contains(Case.summary, core), and_(full, or_(*deep)))


def conditions(query: CaseQuery, officer: Officer, licence_keys: list[str] | None = None) -> list[Any]:
    """Every condition of the query, confidentiality first."""
    where: list[Any] = [access.visible_condition(officer)]
    if query.category:
        where.append(col(Case.category) == query.category)
    if query.priority:
        where.append(col(Case.priority) == query.priority)
    if query.status == "open":
        where.append(col(Case.status).in_(OPEN_STATUSES))
    elif query.status in STATUSES:
        where.append(col(Case.status) == query.status)
    elif query.status:
        where.append(false())
    if query.assignee == ASSIGNEE_ME:
        where.append(col(Case.assignee_id) == officer.id)
    elif query.assignee == ASSIGNEE_NONE:
        where.append(col(Case.assignee_id).is_(None))
    elif query.assignee.isdigit():
        where.append(col(Case.assignee_id) == int(query.assignee))
    if query.destination.strip():
        place = query.destination.strip()
        # the case record's destination (officers' own entry) or the reporter's "di mana" answer
        on_record = select(CaseRecord.case_id).where(or_(_contains(CaseRecord.destination_country, place),
                                                         _contains(CaseRecord.destination_city, place)))
        where.append(or_(_contains(Case.intake["where"].as_string(), place),
                         col(Case.id).in_(on_record)))
    if query.created_from is not None:
        where.append(col(Case.created_at) >= query.created_from)
    if query.created_to is not None:
        where.append(col(Case.created_at) < query.created_to)
    q = query.q.strip()[:MAX_QUERY]
    if q:
        where.append(_text_condition(q, officer, licence_keys or []))
    return where


def search(session: Session, *, query: CaseQuery, officer: Officer) -> SearchPage:
    """One page of matching cases, newest first, with the counts the pager needs."""
    size = min(max(1, query.page_size), MAX_PAGE_SIZE)
    agencies = matching_agencies(session, q=query.q)
    where = conditions(query, officer, [a.licence_key for a in agencies])
    # one pass: the ids of every match in order (the count and the page both come from it), instead of
    # a COUNT and an OFFSET query that would each evaluate the text match over the same cases
    ids = list(session.exec(select(Case.id).where(*where).order_by(col(Case.created_at).desc(), col(Case.id).desc())
                            .limit(MAX_MATCHES)))
    total = len(ids)
    pages = max(1, -(-total // size))
    page = min(max(1, query.page), pages)
    wanted = ids[(page - 1) * size:page * size]
    by_id = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(wanted)))} if wanted else {}
    rows = [by_id[i] for i in wanted if i in by_id]
    levels = {saved_id(c.id): access.access_to(c, officer) for c in rows}
    full_contact_ids = {c.contact_id for c in rows if levels[saved_id(c.id)] is access.Access.FULL}
    contacts = ({saved_id(c.id): c for c in session.exec(select(Contact).where(col(Contact.id).in_(full_contact_ids)))}
                if full_contact_ids else {})
    mentions: dict[int, list[Agency]] = {}
    full_ids = [saved_id(c.id) for c in rows if levels[saved_id(c.id)] is access.Access.FULL]
    records = ({r.case_id: r for r in session.exec(select(CaseRecord).where(col(CaseRecord.case_id).in_(full_ids)))}
               if agencies and full_ids else {})
    for case in rows:
        if levels[saved_id(case.id)] is not access.Access.FULL:
            continue
        text = f"{case.summary} {case.intake}".lower()
        record = records.get(saved_id(case.id))
        named = [a for a in agencies if a.name.lower() in text
                 or (record is not None and record.agency_licence_key == a.licence_key)]
        if named:
            mentions[saved_id(case.id)] = named
    return SearchPage(cases=rows, total=total, page=page, pages=pages, page_size=size, levels=levels,
                      contacts=contacts, agencies=agencies, mentions=mentions)


# --- saved views ---------------------------------------------------------------------------------

VIEW_KEYS = ("q", "kategori", "prioritas", "status", "petugas", "tujuan", "dari", "sampai")


def save_view(session: Session, *, officer: Officer, name: str, query: dict[str, str]) -> SavedView:
    """Keep the search page's query string under a name (the same name replaces the older view)."""
    name = (name or "").strip()[:80]
    if not name:
        raise CaseError("Nama tampilan tidak boleh kosong.")
    kept = {k: str(v)[:MAX_QUERY] for k, v in query.items() if k in VIEW_KEYS and str(v).strip()}
    existing = session.exec(select(SavedView).where(SavedView.officer_id == officer.id, SavedView.name == name)).first()
    if existing is not None:
        existing.query = kept
        session.add(existing)
        session.flush()
        return existing
    count = session.exec(select(func.count()).select_from(SavedView).where(SavedView.officer_id == officer.id)).one()
    if count >= MAX_VIEWS:
        raise CaseError(f"Paling banyak {MAX_VIEWS} tampilan tersimpan; hapus yang tidak dipakai.")
    view = SavedView(officer_id=saved_id(officer.id), name=name, query=kept, created_at=utcnow())
    session.add(view)
    session.flush()
    return view


def views_of(session: Session, *, officer: Officer) -> list[SavedView]:
    return list(session.exec(select(SavedView).where(SavedView.officer_id == officer.id)
                             .order_by(col(SavedView.name))))


def delete_view(session: Session, *, officer: Officer, view_id: int) -> bool:
    """Only the officer's own views; False when there is no such view of theirs."""
    view = session.get(SavedView, view_id)
    if view is None or view.officer_id != officer.id:
        return False
    session.delete(view)
    session.flush()
    return True
