"""Check a pasted recruitment message (a job offer forwarded from Facebook/WhatsApp) for the
fraud and non-procedural placement signs of FACTS.md §6.

Each sign is a `RedFlag` quoting the exact phrase of the message that raised it, so the bot
can say "di pesan ini tertulis: 'visa kunjungan'". Rules (knowledge/offer_rules.py) run over
a normalised copy (NFKC, lower case) whose offsets map back to the original text.

A legitimate offer must pass clean, so a phrase that the message negates or warns against
("tanpa biaya", "jangan mau pakai visa turis", "jika ada yang meminta uang muka, laporkan")
does not count, and pay is judged against what jobs at that destination really pay.
The red flags are read by knowledge.offer_flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from knowledge.agencies import AgencyIndex
from knowledge.agency_result import CheckResult
from knowledge.offer_flags import PHONE_RE, OfferText, RedFlag, red_flags
from knowledge.offer_rules import MONEY_WORD, SALARY_RE

MAX_TEXT_CHARS = 20_000

VERDICT_TEXTS = {
    "berisiko_tinggi": "Tawaran ini BERISIKO TINGGI: ada tanda penempatan ilegal atau penipuan. "
    "Jangan membayar apa pun dan jangan menyerahkan dokumen.",
    "perlu_waspada": "Perlu waspada: ada hal yang mencurigakan. Pastikan dulu perusahaan dan "
    "prosesnya resmi sebelum melanjutkan.",
    "tidak_ada_tanda": "Tidak ditemukan tanda bahaya yang umum, tetapi tetap pastikan perusahaannya "
    "terdaftar dan pendaftarannya lewat Disnaker/LTSA.",
}


@dataclass
class OfferAnalysis:
    countries: list[str]
    agencies: list[CheckResult]
    flags: list[RedFlag]
    verdict: str  # berisiko_tinggi | perlu_waspada | tidak_ada_tanda
    verdict_text: str
    notes: list[str] = field(default_factory=list)  # Indonesian: what the registry said

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "verdict_text": self.verdict_text,
            "countries": self.countries,
            "flags": [{"code": f.code, "label": f.label, "trigger": f.trigger, "detail": f.detail} for f in self.flags],
            "agencies": [a.to_json() | {"query": a.query} for a in self.agencies],
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- public API


def looks_like_job_offer(text: str) -> bool:
    """Is this a recruitment advert or a forwarded job offer (not a question or a report)?"""
    t = OfferText((text or "")[:MAX_TEXT_CHARS]).norm
    if len(t) < 25:
        return False
    salary = bool(SALARY_RE.search(t))
    contact = bool(_CONTACT_RE.search(t) or PHONE_RE.search(t))
    signals = sum(
        bool(x)
        for x in (
            salary,
            contact,
            _COUNTRY_RE.search(t) or re.search(r"\bluar\s+negeri\b", t),
            _TERMS_RE.search(t),
            _JOB_RE.search(t),
            re.search(rf"\b{MONEY_WORD}\b", t),
            re.search(r"\b(?:berangkat|keberangkatan|visa|kontrak|proses|penempatan)\b", t),
        )
    )
    if _QUESTION_RE.search(t) and not (salary or contact):
        return False  # a question about jobs; an offer passed on carries pay or a contact
    if _RECRUIT_RE.search(t):
        return signals >= 1
    # Without an advert word it takes an offer's shape: pay or a contact, and more; and it is
    # not someone telling their own story ("saya di Malaysia, gaji belum dibayar").
    return (salary or contact) and signals >= 3 and not _NARRATIVE_RE.search(t)


def analyse_offer(text: str, index: AgencyIndex | None, today: date) -> OfferAnalysis:
    """Red flags, destinations and agency checks of one recruitment message."""
    original = (text or "")[:MAX_TEXT_CHARS]
    t = OfferText(original)
    countries = _countries(t.norm)
    flags = red_flags(t, countries)
    agencies = index.find_in_text(original, today) if index is not None else []
    borrowed = _borrowed_licences(agencies)
    notes = _agency_notes(agencies, borrowed)
    verdict = _verdict(flags, agencies, borrowed)
    return OfferAnalysis(countries, agencies, flags, verdict, VERDICT_TEXTS[verdict], notes)

# --------------------------------------------------------------------------- offer shape

_RECRUIT_RE = re.compile(
    r"\b(?:dibutuhkan|dicari|dicarikan|lowongan|loker|lowker|rekrut\w*|recruit\w*|hiring|vacancy|job\s?order"
    r"|open\s+(?:recruitment|rekrutmen|lowongan)|membuka\s+(?:lowongan|kesempatan|pendaftaran|rekrutmen|program)"
    r"|butuh\s+(?:segera|cepat|banyak|pekerja|tenaga|karyawan|tkw|tki|pmi|orang)|info\s+(?:kerja|loker|lowongan)"
    r"|ada\s+(?:kerjaan|lowongan|job|kerja)|peluang\s+kerja|kesempatan\s+kerja|daftar\s+(?:sekarang|segera)"
    r"|siap\s+(?:berangkat|diberangkatkan)|kuota\s+terbatas)\b"
)
# Someone asking about jobs, not passing an offer on: "ada lowongan ke Taiwan ga?", "gimana caranya?"
_QUESTION_RE = re.compile(
    r"\?|^\W*(?:apa|apakah|gimana|bagaimana|gmn|bgmn|adakah|bisakah|bolehkah|mau\s+tanya|tanya|nanya|permisi"
    r"|minta|mohon|tolong|saya|aku|sy|min|kak|halo|hai)\b"
)
_CONTACT_RE = re.compile(
    r"\b(?:hubungi|hub|cp|contact|kontak|wa|whatsapp|japri|inbox|dm)\b\s*[:.]?\s*"
    r"(?:\+|\d|saya|aku|kami|admin|bu|pak|mbak|mas|kak|bos|boss|bang|abang|om)"
)
_TERMS_RE = re.compile(
    r"\b(?:syarat|persyaratan|kualifikasi|usia|umur|pria|wanita|laki|perempuan|lulusan|pendidikan"
    r"|min\.?\s*sd|min\.?\s*smp|sehat\s+jasmani)\b"
)
_JOB_RE = re.compile(
    r"\b(?:pekerja|operator|caregiver|perawat|asisten\s+rumah\s+tangga|art|prt|pabrik|kilang|perkebunan|sawit"
    r"|ladang|konstruksi|bangunan|abk|pelaut|tkw|tki|pmi|cleaning|housekeeping|helper|sopir|driver|koki|cook"
    r"|pelayan|restoran|hotel|admin|cs\s+online|customer\s+service|marketing|buruh|tukang|welder|las)\b"
)
_NARRATIVE_RE = re.compile(
    r"\b(?:saya|aku|sy|anak\s+saya|suami\s+saya|istri\s+saya|adik\s+saya|keluarga\s+saya)\s+"
    r"(?:di|sudah|udah|sedang|lagi|masih|tidak|gak|belum|dipukul|ditahan|disekap|kabur|kerja|bekerja)\b"
)

# --------------------------------------------------------------------------- destinations

_COUNTRIES: dict[str, str] = {
    "malaysia": "Malaysia", "malay": "Malaysia", "kuala lumpur": "Malaysia", "johor": "Malaysia",
    "penang": "Malaysia", "sabah": "Malaysia", "sarawak": "Malaysia", "kota kinabalu": "Malaysia",
    "kuching": "Malaysia", "singapura": "Singapura", "singapore": "Singapura", "brunei": "Brunei",
    "hong kong": "Hong Kong", "hongkong": "Hong Kong", "taiwan": "Taiwan", "taipei": "Taiwan",
    "korea selatan": "Korea Selatan", "korsel": "Korea Selatan", "korea": "Korea Selatan",
    "jepang": "Jepang", "japan": "Jepang", "arab saudi": "Arab Saudi", "saudi arabia": "Arab Saudi",
    "saudi": "Arab Saudi", "riyadh": "Arab Saudi", "jeddah": "Arab Saudi", "mekkah": "Arab Saudi",
    "madinah": "Arab Saudi", "uni emirat arab": "Uni Emirat Arab", "uea": "Uni Emirat Arab",
    "dubai": "Uni Emirat Arab", "abu dhabi": "Uni Emirat Arab", "qatar": "Qatar", "kuwait": "Kuwait",
    "oman": "Oman", "bahrain": "Bahrain", "yordania": "Yordania", "turki": "Turki", "turkey": "Turki",
    "polandia": "Polandia", "poland": "Polandia", "jerman": "Jerman", "inggris": "Inggris",
    "belanda": "Belanda", "italia": "Italia", "rumania": "Rumania", "hungaria": "Hungaria",
    "ceko": "Ceko", "slowakia": "Slowakia", "australia": "Australia", "selandia baru": "Selandia Baru",
    "new zealand": "Selandia Baru", "kanada": "Kanada", "amerika": "Amerika Serikat",
    "kamboja": "Kamboja", "cambodia": "Kamboja", "phnom penh": "Kamboja", "sihanoukville": "Kamboja",
    "thailand": "Thailand", "bangkok": "Thailand", "myanmar": "Myanmar", "laos": "Laos",
    "vietnam": "Vietnam", "filipina": "Filipina", "makau": "Makau", "macau": "Makau",
    "tiongkok": "Tiongkok", "china": "Tiongkok", "cina": "Tiongkok", "maladewa": "Maladewa",
}
_COUNTRY_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _COUNTRIES), key=len, reverse=True)) + r")\b")
_TRANSIT_RE = re.compile(r"(?:\b(?:via|transit|transit\s+di|lewat|melalui|singgah\s+di|singgah|dari)|[-–>→])\s*$")


def destinations(text: str) -> list[str]:
    """Destination countries named in any message (not only job offers), in order of mention."""
    return _countries(OfferText(text[:MAX_TEXT_CHARS]).norm)


def _countries(norm: str) -> list[str]:
    """Destinations in order of mention. A country named only as a route ("via Singapura -
    Bangkok", "transit Singapura") is where the trip passes, not where the job is."""
    out: list[str] = []
    for m in _COUNTRY_RE.finditer(norm):
        if _TRANSIT_RE.search(norm[max(0, m.start() - 20) : m.start()]):
            continue
        name = _COUNTRIES[m.group(1)]
        if name not in out:
            out.append(name)
    return out


# --------------------------------------------------------------------------- agencies and verdict

_AGENCY_WORRY = {"revoked", "suspended", "expired"}
_SEVERE = {"visit_visa", "lie_to_officials", "age_forgery", "upfront_fee"}


def _borrowed_licences(agencies: list[CheckResult]) -> list[CheckResult]:
    """Licence numbers in the message that belong to an agency other than the one it names."""
    named = {m.agency.licence_no for r in agencies if not r.by_licence for m in r.matches}
    if not named:
        return []
    return [r for r in agencies if r.by_licence and r.matches and r.matches[0].agency.licence_no not in named]


def _agency_notes(agencies: list[CheckResult], borrowed: list[CheckResult]) -> list[str]:
    notes = []
    for r in agencies:
        q = r.query or "perusahaan ini"
        holder = r.matches[0].agency.name if r.matches else ""
        if r.verdict == "licensed":
            notes.append(f"{q}: terdaftar dan izinnya aktif ({holder}).")
        elif r.verdict == "revoked":
            notes.append(f"{q}: izinnya sudah DICABUT ({holder}).")
        elif r.verdict == "suspended":
            notes.append(f"{q}: izinnya sedang DISKORS ({holder}).")
        elif r.verdict == "expired":
            notes.append(f"{q}: masa berlaku izinnya sudah HABIS ({holder}).")
        elif r.verdict == "ambiguous":
            notes.append(f"{q}: ada beberapa perusahaan yang mirip; cek nomor izinnya.")
        elif r.lookalike_of is not None:
            notes.append(f"{q}: TIDAK terdaftar; namanya mirip {r.lookalike_of.agency.name} (waspada nama tiruan).")
        else:
            notes.append(f"{q}: TIDAK ditemukan di daftar perusahaan penempatan berizin.")
    for r in borrowed:
        notes.append(f"Nomor izin {r.query} milik {r.matches[0].agency.name}, bukan perusahaan yang disebut di pesan.")
    return notes


def _verdict(flags: list[RedFlag], agencies: list[CheckResult], borrowed: list[CheckResult]) -> str:
    codes = {f.code for f in flags}
    bad_agency = any(r.verdict in _AGENCY_WORRY or r.lookalike_of is not None for r in agencies)
    unknown_agency = any(r.verdict in ("not_found", "ambiguous") for r in agencies)
    if codes & _SEVERE or len(codes) >= 2 or bad_agency or borrowed:
        return "berisiko_tinggi"
    if codes or unknown_agency:
        return "perlu_waspada"
    return "tidak_ada_tanda"
