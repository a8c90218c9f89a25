"""Lists admins keep in the console: referral partners and canned replies (issue 15).

A partner or reply that is in use is never deleted, only switched off: past referrals keep
naming their partner. Keyword-only functions on the caller's Session; they never commit.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.errors import ListError
from storage.models import CannedReply, ReferralPartner, utcnow

PARTNER_KINDS = ("embassy", "police", "ngo", "government", "other")
MAX_CANNED_TEXT = 4000


def _clean(value: str, limit: int, what: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise ListError(f"{what} wajib diisi.")
    if len(value) > limit:
        raise ListError(f"{what} terlalu panjang (maksimal {limit} karakter).")
    return value


# --- referral partners ---------------------------------------------------------------------------


def list_partners(session: Session, *, only_active: bool = False) -> list[ReferralPartner]:
    query = select(ReferralPartner).order_by(col(ReferralPartner.active).desc(), col(ReferralPartner.name))
    if only_active:
        query = query.where(col(ReferralPartner.active).is_(True))
    return list(session.exec(query))


def _name_taken(session: Session, name: str, but: int | None) -> bool:
    query = select(ReferralPartner.id).where(func.lower(ReferralPartner.name) == name.lower())
    if but is not None:
        query = query.where(ReferralPartner.id != but)
    return session.exec(query).first() is not None


def save_partner(session: Session, *, partner_id: int | None, name: str, kind: str, country: str = "",
                 contact: str = "", active: bool = True) -> ReferralPartner:
    """Add a partner (partner_id None) or change one."""
    name = " ".join(_clean(name, 200, "Nama mitra").split())
    if kind not in PARTNER_KINDS:
        raise ListError("Jenis mitra tidak dikenal.")
    country = _clean(country, 80, "Negara", required=False)
    contact = _clean(contact, 2000, "Kontak", required=False)
    if _name_taken(session, name, partner_id):
        raise ListError("Mitra dengan nama ini sudah ada.")
    if partner_id is None:
        partner = ReferralPartner(name=name, kind=kind, country=country, contact=contact, active=active)
        session.add(partner)
    else:
        found = session.get(ReferralPartner, partner_id)
        if found is None:
            raise ListError("Mitra tidak ditemukan.")
        partner = found
        partner.name, partner.kind, partner.country, partner.contact, partner.active = (name, kind, country, contact,
                                                                                        active)
    session.flush()
    return partner


# --- canned replies ------------------------------------------------------------------------------


def list_canned(session: Session, *, only_active: bool = False) -> list[CannedReply]:
    query = select(CannedReply).order_by(col(CannedReply.position), col(CannedReply.id))
    if only_active:
        query = query.where(col(CannedReply.active).is_(True))
    return list(session.exec(query))


def canned_by_key(session: Session, *, key: str) -> CannedReply | None:
    if not key:
        return None
    return session.exec(select(CannedReply).where(CannedReply.key == key,
                                                  col(CannedReply.active).is_(True))).first()


def save_canned(session: Session, *, canned_id: int | None, title: str, text: str, position: int = 0,
                active: bool = True, by: str) -> CannedReply:
    """Add a canned reply (canned_id None) or change one. A new one gets the key `b<id>`."""
    title = " ".join(_clean(title, 120, "Judul").split())
    text = _clean(text, MAX_CANNED_TEXT, "Isi balasan")
    if not -1000 <= position <= 1000:
        raise ListError("Urutan harus antara -1000 dan 1000.")
    if canned_id is None:
        row = CannedReply(key=f"tmp-{secrets.token_hex(8)}", title=title, text=text, position=position,
                          active=active, updated_by=by)
        session.add(row)
        session.flush()
        row.key = f"b{row.id}"
    else:
        found = session.get(CannedReply, canned_id)
        if found is None:
            raise ListError("Balasan tidak ditemukan.")
        row = found
        row.title, row.text, row.position, row.active = title, text, position, active
        row.updated_by, row.updated_at = by, utcnow()
    session.flush()
    return row


def delete_canned(session: Session, *, canned_id: int) -> None:
    """A canned reply leaves no trace in cases (the sent text is in the transcript): it may go."""
    row = session.get(CannedReply, canned_id)
    if row is None:
        raise ListError("Balasan tidak ditemukan.")
    session.delete(row)
    session.flush()
