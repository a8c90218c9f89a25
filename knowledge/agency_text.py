"""How agency names and licence numbers are written in a message.

`parse_message` reads a chat message into words (with their case; "P.T.", "P T" and "pe te"
become "pt") and the licence numbers in it, whatever their shape: "KEP.123/MEN/2019",
"B.456/PPTKIS/VI/2021", "no. 1234 thn 2020", "SIP3MI 2/1234/HK.04.01/V/2022", "KEP 61 MEN IV 2016".
How the matcher then reads the words is knowledge.agency_reading; the mentions of a longer text
(a pasted job offer) are found by knowledge.agency_scan.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from knowledge.agency_words import (
    LEGAL_FORMS,
    LICENCE_LABELS,
    LICENCE_WORDS,
    OTHER_ENTITY_FORMS,
    YEAR_WORDS,
)

_WORD_RE = re.compile(r"[^\W_]+")
_ALNUM_RE = re.compile(r"[0-9a-z]+")
# Pieces of a message for licence numbers: what lies between spaces and characters never
# inside a number ("KEP.123/MEN/2019?" -> "KEP.123/MEN/2019").
_PIECE_RE = re.compile(r"[^\s,;:()\[\]{}\"'?!|]+")
_ROMAN_MONTHS = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())
# Numbers that are not licence numbers: phone numbers, money, dates.
_PHONE_RE = re.compile(r"^(?:\+?62|0)8\d{7,12}$")
_MONEY_RE = re.compile(r"^(?:rp|rm|usd|sgd|nt\$|hk\$|\$)\.?\s*\d")
_GROUPED_RE = re.compile(r"^\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?(?:/[a-z]+)?$")  # "5.000.000", "5.500/bulan"
_DATE_RE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}-\d{1,2}-\d{1,2})$")
# Characters between two words that end a name: "PT A, PT B", "A & B", "A/B", "(A)", "“A” — B".
_BOUNDARY_CHARS = frozenset(",;:!?()[]{}\n&|/+\"*“”«»—–")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def licence_key(text: str) -> str:
    """A licence number as compared: no case, spaces or punctuation, without a leading label,
    "thn"/"th" read as "tahun": "SIP3MI No. 2/1234/HK.04.01" and "2/1234/hk 04 01" are one key."""
    chunks = _ALNUM_RE.findall(fold(text))
    while len(chunks) > 1 and chunks[0] in LICENCE_LABELS:
        del chunks[0]
    if not YEAR_WORDS.isdisjoint(chunks):  # rare: most numbers have no year word
        chunks = ["tahun" if c in YEAR_WORDS else c for c in chunks]
    return "".join(chunks)


# --------------------------------------------------------------------------- a parsed message


@dataclass(frozen=True, slots=True)
class Tok:
    text: str  # folded word; "pt" for "P.T.", "P T", "pe te"
    start: int  # offsets in Message.text
    end: int
    shape: str  # "lower", "title", "upper" or "other" (digits, mixed)
    number: bool = False  # inside a licence number
    initials: bool = False  # "P.T.", "A.B.C.": the dot after it is no sentence end


@dataclass(frozen=True, slots=True)
class NumberSpan:
    start: int
    end: int
    key: str  # licence_key of the number


@dataclass(frozen=True)
class Message:
    text: str  # the message, NFKC-normalised (offsets refer to it)
    toks: tuple[Tok, ...]
    numbers: tuple[NumberSpan, ...]
    contrast: bool  # both lower-case and capitalised words: capitals then mark names

    def breaks(self, a: int, b: int) -> bool:
        """Does the punctuation between words a and b=a+1 end a name? ("A, B", "A. B", "A & B";
        not "PT. A" or "A.B.")"""
        gap = self.text[self.toks[a].end : self.toks[b].start]
        if any(c in _BOUNDARY_CHARS for c in gap):
            return True
        return "." in gap and ". " in gap + " " and not self.toks[a].initials and self.toks[a].text not in LEGAL_FORMS

    def span_text(self, first: int, last: int) -> str:
        return self.text[self.toks[first].start : self.toks[last].end]


def parse_message(text: str) -> Message:
    text = unicodedata.normalize("NFKC", text)
    numbers = tuple(_number_spans(text))
    raw = [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(text)]
    toks = _merge_letters(text, raw, numbers)
    words = [t for t in toks if len(t.text) > 1 and not t.number and t.text not in LEGAL_FORMS]
    contrast = any(t.shape == "lower" for t in words) and any(t.shape in ("title", "upper") for t in words)
    return Message(text, tuple(toks), numbers, contrast)


def _shape(word: str) -> str:
    if not word.isalpha():
        return "other"
    if word.isupper():
        return "upper"
    if word.islower():
        return "lower"
    return "title" if word[0].isupper() and word[1:].islower() else "other"


def _merge_letters(text: str, raw: list[tuple[str, int, int]], numbers: tuple[NumberSpan, ...]) -> list[Tok]:
    """Words with "P.T."/"P T"/"pe te" as "pt" and other runs of single letters ("A.B.C.") as one
    word, as core_name_tokens does for registered names."""
    toks: list[Tok] = []
    i = 0
    while i < len(raw):
        word, start, end = raw[i]
        low = word.casefold()
        nxt = raw[i + 1][0].casefold() if i + 1 < len(raw) else ""
        j = i + 1
        if (low, nxt) in (("p", "t"), ("pe", "te")) and _joined(text, end, raw[i + 1][1]):
            low, j = "pt", i + 2
        elif len(low) == 1 and low.isalpha():
            while j < len(raw) and len(raw[j][0]) == 1 and raw[j][0].isalpha() and _joined(
                text, raw[j - 1][2], raw[j][1]
            ):
                j += 1
            low = "".join(w.casefold() for w, _, _ in raw[i:j])
        initials = j > i + 1 or len(low) == 1
        end = raw[j - 1][2]
        toks.append(
            Tok(
                text=low,
                start=start,
                end=end,
                shape="upper" if low == "pt" else _shape(word),
                number=any(s.start <= start and end <= s.end for s in numbers),
                initials=initials,
            )
        )
        i = j
    return toks


def _joined(text: str, end: int, start: int) -> bool:
    """Only spaces, dots or hyphens between two letters: "P.T", "P T", "pe-te"."""
    return all(c in " .-" for c in text[end:start])


# --------------------------------------------------------------------------- licence numbers


def _number_spans(text: str) -> list[NumberSpan]:
    """Every licence number in the text: a run of pieces that can make up a number and that holds one."""
    if not any(c.isdigit() for c in text):
        return []  # every licence number has a digit: most name queries stop here
    pieces = [(m.group(), m.start(), m.end()) for m in _PIECE_RE.finditer(text)]
    spans: list[NumberSpan] = []
    i = 0
    while i < len(pieces):
        j = i
        while j < len(pieces) and _licence_piece(pieces[j][0]):
            j += 1
        if j == i:
            i += 1
            continue
        span = _number_in(pieces[i:j])
        if span is not None:
            spans.append(span)
        i = j
    return spans


def _licence_piece(raw: str) -> bool:
    """Can this piece be (part of) a licence number? Digits, separators, roman months, licence
    words ("KEP", "MEN", "HK", "PPTKIS", "thn"), labels ("no.", "SIP3MI") or a code in capitals."""
    low = fold(raw).strip("./-")
    if not low or any(c.isdigit() for c in low):
        return True
    if low in _ROMAN_MONTHS or low in LICENCE_WORDS or low in LICENCE_LABELS:
        return True
    return raw.isalpha() and raw.isupper() and 2 <= len(raw) <= 8 and low not in LEGAL_FORMS | OTHER_ENTITY_FORMS


def _edge(raw: str) -> bool:
    """A piece that may sit at the edge of a run without being part of the number."""
    low = fold(raw).strip("./-")
    return not low or low in LICENCE_LABELS or (not any(c.isdigit() for c in low) and low not in LICENCE_WORDS
                                                and low not in _ROMAN_MONTHS)


def _number_in(run: list[tuple[str, int, int]]) -> NumberSpan | None:
    labelled = False
    while run and _edge(run[0][0]):
        labelled = labelled or fold(run[0][0]).strip("./-:") in LICENCE_LABELS
        run = run[1:]
    while run and _edge(run[-1][0]):
        run = run[:-1]
    words = [fold(p).strip("./-") for p, _, _ in run]
    digit_pieces = [w for w in words if any(c.isdigit() for c in w)]
    if not digit_pieces:
        return None
    has_word = any(w in LICENCE_WORDS for w in words)
    holds = (
        any(_code_like(p) for p, _, _ in run)
        or _code_like("".join(p for p, _, _ in run))
        or (has_word and len(digit_pieces) >= 2)
        or (labelled and any(sum(c.isdigit() for c in w) >= 3 and _plain_number(w) for w in digit_pieces))
    )
    if not holds:
        return None
    return NumberSpan(run[0][1], run[-1][2], licence_key(" ".join(p for p, _, _ in run)))


def _plain_number(piece: str) -> bool:
    """Not a phone number, an amount of money or a date."""
    flat = piece.replace("-", "").replace(".", "").replace(" ", "")
    return not (_PHONE_RE.match(flat) or _MONEY_RE.match(piece) or _GROUPED_RE.match(piece) or _DATE_RE.match(piece))


def _code_like(raw: str) -> bool:
    """A piece shaped like a licence number on its own: "KEP.123/MEN/2019", "B.456/PPTKIS/VI/2021",
    "2/1234/HK.04.01/V/2022", "KEP.61", a long digit string (SIP3MI/NIB style)."""
    core = fold(raw).strip("./-")
    digits = sum(c.isdigit() for c in core)
    if not digits or not _plain_number(core):
        return False
    seps = sum(c in "./-" for c in core)
    prefix = _ALNUM_RE.match(core)
    coded = prefix is not None and prefix.group() in LICENCE_WORDS
    return seps >= 2 or (seps >= 1 and coded) or digits >= 6

