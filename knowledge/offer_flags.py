"""The red flags of a recruitment message (knowledge.job_offer): each sign of fraud or
non-procedural placement of FACTS.md §6, quoting the exact phrase that raised it.

Rules (knowledge/offer_rules.py) run over `OfferText.norm`, a normalised copy (NFKC, lower
case) whose offsets map back to the original text. A phrase that the message negates or warns
against ("tanpa biaya", "jangan mau pakai visa turis", "jika ada yang meminta uang muka,
laporkan") does not count, and pay is judged against what jobs at the destination really pay.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from knowledge.offer_rules import AMOUNT, LABELS, RULES, SALARY_RE, rupiah


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: str  # Indonesian, short
    trigger: str  # the phrase exactly as written in the message
    detail: str = ""  # Indonesian, one sentence: why this is a danger sign


class OfferText:
    """Lower-case NFKC copy of a message with a map back to original offsets."""

    def __init__(self, original: str) -> None:
        self.original = original
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(original):
            norm = "'" if ch in "\u2019\u2018`" else unicodedata.normalize("NFKC", ch).lower()
            for c in norm:
                chars.append(c)
                origin.append(i)
        self.norm = "".join(chars)
        self._origin = origin

    def phrase(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return self.original[self._origin[start] : self._origin[end - 1] + 1]


# Monthly pay (rupiah) from which a promise is "far above normal" for ordinary migrant jobs at
# that destination: about twice what such jobs really pay there (FACTS.md §9: HK$4,990 for
# helpers in Hong Kong, NT$20,000 for carers in Taiwan …), so that only clear lures are flagged.
_PAY_LIMITS = {
    "Malaysia": 15e6, "Brunei": 15e6, "Hong Kong": 20e6, "Makau": 20e6, "Singapura": 30e6,
    "Taiwan": 30e6, "Turki": 25e6, "Arab Saudi": 15e6, "Uni Emirat Arab": 15e6, "Qatar": 15e6,
    "Kuwait": 15e6, "Oman": 15e6, "Bahrain": 15e6, "Yordania": 15e6,
    "Korea Selatan": 45e6, "Jepang": 45e6, "Australia": 45e6, "Selandia Baru": 45e6, "Kanada": 45e6,
    "Amerika Serikat": 45e6, "Jerman": 45e6, "Inggris": 45e6, "Belanda": 45e6, "Italia": 45e6,
    "Polandia": 45e6, "Rumania": 45e6, "Hungaria": 45e6, "Ceko": 45e6, "Slowakia": 45e6,
}
_PAY_LIMIT_DEFAULT = 15e6  # no destination named, or one with no legal placement (Kamboja …)


# --------------------------------------------------------------------------- negation

# Words that cancel the phrase right after them ("tanpa biaya", "jangan pakai visa turis").
_NEGATORS_NEAR = {"tanpa", "tidak", "tak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "bukan",
                  "jangan", "jgn", "hindari", "hindarilah", "waspada", "waspadai", "awas", "hati",
                  "tolak", "dilarang", "larangan", "anti", "stop", "laporkan", "bahaya", "belum"}
_NEGATORS_ADJACENT = {"bebas", "gratis", "free", "nol"}
# "jika ada yang meminta uang muka …": a warning, not a demand.
_WARNING_RE = re.compile(
    r"\b(?:jika|apabila|bila|kalau|kalo|kl|bila\s+mana)\s+(?:ada\s+)?(?:yang|pihak|oknum|orang|calo|sponsor|agen)\b"
)
# A clause that opens with a warning ("Hati-hati calo yang minta DP atau uang muka") quotes
# the danger signs; "jangan lupa/khawatir …" is not a warning.
_WARNING_OPEN_RE = re.compile(
    r"^\W*(?:(?:dan|atau|serta|juga)\s+)?(?:hati[\s-]*hati|waspada\w*|awas|hindari|tolak|laporkan|dilarang|jangan|jgn)\b"
    r"(?!\s+(?:lupa|khawatir|kuatir|ragu|sampai|takut|tunda|menunggu|malu|bingung|lewatkan|sia))"
)
_CLAUSE_END = re.compile(r"[.!?\n;,]")
_AFTER_STEPS_RE = re.compile(r"\b(?:setelah|sesudah|usai|begitu|lulus)\b")


def _clause_before(norm: str, start: int) -> str:
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(norm, 0, start)), default=0)
    return norm[clause_start:start]


def _negated(norm: str, start: int) -> bool:
    """Is the phrase starting at `start` negated or quoted in a warning, within its clause?"""
    before = _clause_before(norm, start)
    if _WARNING_RE.search(before) or _WARNING_OPEN_RE.search(before):
        return True
    words = re.findall(r"[^\W_]+", before)
    if words and words[-1] in _NEGATORS_ADJACENT:
        return True
    return any(w in _NEGATORS_NEAR for w in words[-3:])


# --------------------------------------------------------------------------- flags

PHONE_RE = re.compile(r"(?<!\d)(?:\+?62|0)\s?8\d{1,3}[\s\-.]?\d{3,4}[\s\-.]?\d{2,5}(?!\d)")
_OFFICIAL_RE = re.compile(
    r"\b(?:bp2mi|kp2mi|bp3mi|p4mi|disnaker\w*|siskop2mi|ltsa|kemnaker|kbri|kjri|g\s?to\s?g|g2g)\b"
)
# A named company or institution, not just a person: "PT …", "LPK …", "BLK …".
_AMOUNT_RE = re.compile(AMOUNT)
_ORGANISATION_RE = re.compile(r"(?<!\w)(?:p\.?\s?t\b\.?|lpk\b|blk\b|bkk\b)\s*[a-z]")


def red_flags(t: OfferText, countries: list[str]) -> list[RedFlag]:
    """One flag per code, quoting its earliest phrase (the longest one at that place)."""
    found: dict[str, tuple[int, int]] = {}
    for rule in RULES:
        for m in rule.regex.finditer(t.norm):
            if rule.negatable and _negated(t.norm, m.start()):
                continue
            if rule.after_steps and _AFTER_STEPS_RE.search(_clause_before(t.norm, m.start())):
                continue
            if rule.code == "upfront_fee" and not _plausible_fee(m.group()):
                continue
            old = found.get(rule.code)
            if old is None or (m.start(), -m.end()) < (old[0], -old[1]):
                found[rule.code] = (m.start(), m.end())
            break
    details = {code: detail for code, (_, detail) in LABELS.items()}
    pay = _pay_flag(t, countries)
    if pay is not None:
        (start, end), detail = pay
        if "pay_too_high" not in found or start < found["pay_too_high"][0]:
            found["pay_too_high"] = (start, end)
            details["pay_too_high"] = detail
    if "individual_recruiter" not in found:
        # only a personal mobile number, with no company, institution or official channel named
        phone = PHONE_RE.search(t.norm)
        if phone and not _ORGANISATION_RE.search(t.norm) and not _OFFICIAL_RE.search(t.norm):
            found["individual_recruiter"] = phone.span()
    return [
        RedFlag(code, LABELS[code][0], t.phrase(s, e).strip(), details[code])
        for code, (s, e) in sorted(found.items(), key=lambda kv: kv[1][0])
    ]


def _plausible_fee(phrase: str) -> bool:
    """"Biaya Rp 0" asks for nothing; "jaminan Rp 1,5 miliar" is a company's bank deposit,
    not money asked from a worker. A phrase without an amount ("uang muka") is a demand."""
    m = _AMOUNT_RE.search(phrase)
    if m is None:
        return True
    amount = rupiah(m.group())
    return amount is None or 0 < amount < 1e9


def _pay_flag(t: OfferText, countries: list[str]) -> tuple[tuple[int, int], str] | None:
    """A promised monthly pay far above what ordinary migrant jobs pay at the destination,
    with an explanation. With several destinations the best-paying one is the yardstick."""
    limits = [(_PAY_LIMITS.get(c, _PAY_LIMIT_DEFAULT), c) for c in countries]
    limit, where = max(limits, default=(_PAY_LIMIT_DEFAULT, ""))
    for m in SALARY_RE.finditer(t.norm):
        if _negated(t.norm, m.start()):
            continue
        monthly = rupiah(m.group("amount"), m.group("per") or "")
        if monthly is not None and monthly >= limit:
            place = f" di {where}" if where else ""
            detail = (
                f"Gaji yang dijanjikan (sekitar Rp {monthly / 1e6:.0f} juta per bulan) jauh di atas gaji umum "
                f"pekerjaan biasa{place} (di atas Rp {limit / 1e6:.0f} juta sudah tidak wajar); "
                "gaji setinggi itu sering dipakai untuk memancing korban."
            )
            return m.span(), detail
    return None

