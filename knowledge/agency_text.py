"""How agency names and licence numbers are written in a message.

`parse_message` reads a chat message into words (with their case; "P.T.", "P T" and "pe te"
become "pt") and the licence numbers in it, whatever their shape: "KEP.123/MEN/2019",
"B.456/PPTKIS/VI/2021", "no. 1234 thn 2020", "SIP3MI 2/1234/HK.04.01/V/2022", "KEP 61 MEN IV 2016".
`Reading` is the message as the matcher (knowledge.agencies) sees it: what each word is (a company
word, chat, a place, "PT" …) and where, given the words and capitals around it, a name may start
and end. `scan_text` finds the agency mentions of a longer text (a pasted job offer): licence
numbers (the two official formats, or a number labelled "SIP3MI"/"izin"), names introduced by
"PT", and registered names written with capitals but without "PT".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from knowledge.agency_words import (
    CUE_WORDS,
    LEGAL_FORMS,
    LICENCE_LABELS,
    LICENCE_WORDS,
    NOT_A_NAME_START,
    OTHER_ENTITY_FORMS,
    PLACE_PHRASES,
    TEXT_STOP_WORDS,
    YEAR_WORDS,
)

if TYPE_CHECKING:
    from knowledge.agencies import AgencyIndex, CheckResult

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


# --------------------------------------------------------------------------- how the matcher reads a message

# What a word of a message can be to an agency name.
NAME = "name"  # a company word, registered or not
TYPO = "typo"  # not a known word, but within typo reach of one ("Mandri", "jyaa")
WEAK = "weak"  # an everyday word that registered names also use ("baru", "kerja", "sukses")
TALK = "talk"  # an everyday word, never at the edge of a name
UNKNOWN = "unknown"  # none of these, and far from every company word: maybe chat, maybe a name word
LEGAL = "legal"  # PT, Tbk
ENTITY = "entity"  # CV, LPK …: another kind of organisation
PLACE = "place"
NUMBER = "number"  # inside a licence number

# After these, one or two words name a place ("di Sagulung", "cabang Tiban"), not an agency.
_PLACE_INTRO = frozenset(
    {"di", "ke", "dari", "cabang", "cab", "cbg", "kota", "kab", "kabupaten", "kecamatan", "wilayah", "daerah",
     "provinsi", "prov", "kat", "in", "at"}
)


class WordClasses(Protocol):
    """What the matcher knows about words (knowledge.agencies.AgencyIndex)."""

    def word_class(self, word: str) -> str: ...

    def is_name_word(self, word: str) -> bool: ...


class Reading:
    """One message as the matcher sees it: its words, what each word is, and where a name may
    start and end."""

    def __init__(self, index: WordClasses, msg: Message, max_words: int) -> None:
        self.msg = msg
        self.toks = msg.toks[:max_words]
        self.words = [t.text for t in self.toks]
        self.cls = [NUMBER if t.number else index.word_class(t.text) for t in self.toks]
        self._breaks = [msg.breaks(a, a + 1) for a in range(len(self.toks) - 1)]
        self._mark_places(index)
        self._mark_pt_as_noun()
        self.cue = any(w in CUE_WORDS for w in self.words)

    def _mark_places(self, index: WordClasses) -> None:
        """Places are context ("… Batam", "… Jawa Timur"); a one-word place that a registered
        name uses stays a name word."""
        i = 0
        while i < len(self.words):
            step = 1
            for phrase in PLACE_PHRASES.get(self.words[i], ()):
                stop = i + len(phrase)
                if tuple(self.words[i:stop]) == phrase and (len(phrase) > 1 or not index.is_name_word(phrase[0])):
                    for k in range(i, stop):
                        if self.cls[k] != NUMBER:
                            self.cls[k] = PLACE
                    step = len(phrase)
                    break
            i += step

    def _mark_pt_as_noun(self) -> None:
        """ "PT-nya", "PT itu", "PT yang kemarin": here "PT" is the common noun, not the start of a
        name (no company name starts with such a word), so it introduces nothing."""
        for k, w in enumerate(self.words[:-1]):
            if w == "pt" and self.words[k + 1] in NOT_A_NAME_START and not self._breaks[k]:
                self.cls[k] = TALK

    def pt(self, k: int) -> bool:
        """Is word k a "PT" that introduces a name?"""
        return self.words[k] == "pt" and self.cls[k] == LEGAL

    def breaks(self, a: int) -> bool:
        """Punctuation between words a and a+1 that ends a name."""
        return self._breaks[a]

    def capital(self, i: int, j: int) -> bool:
        """Words i..j are capitalised in a message that also has lower-case words."""
        return self.msg.contrast and all(self.toks[k].shape in ("title", "upper") for k in range(i, j))

    def is_break(self, k: int, capital: bool) -> bool:
        """Can word k stand next to a name without belonging to it? A weak or unknown word can
        only when the name is capitalised and the word is not."""
        c = self.cls[k]
        if c in (TALK, PLACE, LEGAL, NUMBER):
            return True
        if c in (WEAK, UNKNOWN):
            return capital and self.toks[k].shape == "lower"
        return False  # NAME, TYPO, ENTITY: a misspelt company word is still part of the name

    def after_pt(self, k: int) -> bool:
        """Is word k the first word after "PT"? There the name has begun, whatever the word:
        "PT Mas Sinar Jaya" is not "mas, PT Sinar Jaya"."""
        return k >= 1 and self.pt(k - 1) and not self.breaks(k - 1) and self.cls[k] != NUMBER

    def left_ok(self, i: int, capital: bool) -> bool:
        """May a name start at word i?"""
        if i == 0 or self.breaks(i - 1):
            return True
        if self.cls[i - 1] == ENTITY or self.after_pt(i - 1):
            return False  # "CV <name>" is another organisation, whatever the name
        return self.is_break(i - 1, capital)

    def right_ok(self, j: int, capital: bool) -> bool:
        return j == len(self.toks) or self.breaks(j - 1) or self.is_break(j, capital)

    def introduced(self, i: int) -> bool:
        return i >= 1 and self.pt(i - 1) and not self.breaks(i - 1)

    def only(self, i: int, j: int, classes: tuple[str, ...]) -> bool:
        """Are all words outside i..j of these classes?"""
        return all(c in classes for k, c in enumerate(self.cls) if not i <= k < j)

    def plausible(self, i: int, j: int, edits: int, exact_name_word: bool) -> bool:
        """May words i..j, which spell a registered name, be taken as that name here?

        After "PT" or as the whole message, always. Otherwise a chance match of everyday words
        ("cahaya mentari pagi ini") must be ruled out: a one-word name never; one made only of
        everyday words ("Maju Bersama") only capitalised; a typo only next to an exact company
        word; any other name when capitalised, when the message asks about an agency (a cue
        word), or when it is three or more company words spelled exactly."""
        if self.introduced(i) or self.only(i, j, (LEGAL,)):
            return True
        if j - i == 1 or all(self.cls[k] == WEAK for k in range(i, j)):
            return j - i > 1 and self.capital(i, j)
        if not exact_name_word:
            return False
        return self.capital(i, j) or self.cue or (j - i >= 3 and edits == 0)

    def after_place_intro(self, i: int) -> bool:
        return any(i - d >= 0 and self.words[i - d] in _PLACE_INTRO for d in (1, 2))

    def extend(self, e: int, used: list[bool], capital: bool) -> int:
        """The end of a run of name words starting before e."""
        while (
            e < len(self.toks)
            and not used[e]
            and not self.breaks(e - 1)
            and self.cls[e] in (NAME, TYPO, WEAK, UNKNOWN)
            and not (capital and self.cls[e] in (WEAK, UNKNOWN) and self.toks[e].shape == "lower")
        ):
            e += 1
        return e


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


# --------------------------------------------------------------------------- mentions in a longer text

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
