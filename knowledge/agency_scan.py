"""The agency mentions of a longer text (a pasted job offer).

`scan_text` finds licence numbers (the two official formats, or a number labelled
"SIP3MI"/"izin"), names introduced by "PT", and registered names written with capitals but
without "PT", and checks each with the matcher (knowledge.agencies).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from knowledge.agency_words import LEGAL_FORMS, PLACE_PHRASES, TEXT_STOP_WORDS

if TYPE_CHECKING:
    from knowledge.agencies import AgencyIndex
    from knowledge.agency_result import CheckResult

_ROMAN = r"[IVXLC]{1,6}"
_SEP = r"\s*[/\-]\s*"
_LICENCE_RES = [
    # KEP.584/MEN/IV/2011 (older Kemnaker decrees)
    re.compile(rf"\bKEP(?:MEN)?\s*[.\-]?\s*\d{{1,5}}{_SEP}MEN{_SEP}{_ROMAN}{_SEP}\d{{4}}\b", re.I),
    # 3/7831/HK.04.01/II/2024
    re.compile(
        rf"\b\d{{1,3}}{_SEP}\d{{1,6}}{_SEP}HK\s*[.\s]?\s*\d{{2}}\s*[.\s]\s*\d{{2}}{_SEP}{_ROMAN}{_SEP}\d{{4}}\b", re.I
    ),
    # a number the message itself labels as a licence: "SIP3MI No. 81201141907610001"
    re.compile(
        r"\b(?:SIP3MI|SIP2MI|SIPPTKI|SIUP|izin|ijin)\s*(?:resmi\s*)?(?:no(?:mor)?\.?\s*)?[:.]?\s*"
        r"(?P<num>[A-Z0-9][A-Z0-9./\-]{4,40}[A-Z0-9])",
        re.I,
    ),
    # any other slash-separated code with at least four parts
    re.compile(r"\b[A-Z0-9][A-Z0-9.]*(?:\s*/\s*[A-Z0-9.]+){3,6}\b", re.I),
]
_PT_RE = re.compile(r"(?<!\w)P\.?\s?T\b\.?\s*(?=[^\W\d_])", re.I)
_PHRASE_END_RE = re.compile(r"[\n,;:!?()|\"*]|\.\s|\.$")
_WORD_SPAN_RE = re.compile(r"[^\W_]+")


def scan_text(index: AgencyIndex, text: str, today: date) -> list[CheckResult]:
    """The agencies a job offer mentions, each checked, in the order they appear."""
    found: list[tuple[int, CheckResult]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for rx in _LICENCE_RES:
        for m in rx.finditer(text):
            span = m.span("num") if "num" in rx.groupindex else m.span()
            number = text[span[0] : span[1]]
            if not any(c.isdigit() for c in number) or not free(*span):
                continue
            taken.append(span)
            result = index.check(number, today)
            result.query = number.strip()
            found.append((span[0], result))

    for m in _PT_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        rest = text[m.end() : m.end() + 160]
        stop = _PHRASE_END_RE.search(rest)
        rest = rest[: stop.start()] if stop else rest
        words = _name_words(index, rest)
        if not words:
            continue
        phrase = rest[: words[-1][1]]
        taken.append((m.start(), m.end() + len(phrase)))
        result = index.check("PT " + " ".join(w for w, _ in words), today)
        result.query = (text[m.start() : m.end()] + phrase).strip()
        found.append((m.start(), result))

    spans = [(w.group(), w.start(), w.end()) for w in _WORD_SPAN_RE.finditer(text)]
    i = 0
    while i < len(spans):
        hit = 0
        for k in range(min(index.max_name_words, len(spans) - i), 1, -1):
            window = spans[i : i + k]
            if not all(w[0][:1].isupper() for w in window):
                continue
            if index.has_name([w[0].casefold() for w in window]) and free(window[0][1], window[-1][2]):
                hit = k
                break
        if hit:
            start, end = spans[i][1], spans[i + hit - 1][2]
            taken.append((start, end))
            result = index.check(text[start:end], today)
            result.query = text[start:end]
            found.append((start, result))
            i += hit
        else:
            i += 1

    found.sort(key=lambda p: p[0])
    out: list[CheckResult] = []
    seen: set[tuple[str, ...]] = set()
    for _, r in found:
        key = tuple(m.agency.licence_no for m in r.matches) or ("?", r.query.casefold())
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _name_words(index: AgencyIndex, rest: str) -> list[tuple[str, int]]:
    """The words after "PT" that can belong to a name, with their end offsets."""
    words: list[tuple[str, int]] = []
    for w in _WORD_SPAN_RE.finditer(rest):
        low = w.group().casefold()
        if any(c.isdigit() for c in low) or (low in LEGAL_FORMS and words):
            break
        if (low in TEXT_STOP_WORDS or low in PLACE_PHRASES) and not index.is_name_word(low):
            break
        words.append((low, w.end()))
        if len(words) >= index.max_name_words + 1:
            break
    return words
