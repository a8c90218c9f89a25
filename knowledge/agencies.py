"""Agency (P3MI) registry lookup: is this name or licence number a licensed placement agency?

The one rule that outranks accuracy: *zero false reassurance*. Anything that is not exactly a
registered, active, in-date agency must never come out ``licensed``. Scammers register or
advertise names that differ from a licensed agency by one word ("PT Sinar Jaya Mandiri" next
to "PT Sinar Jaya Tenaga Mandiri"), so the matcher separates two things on purpose:

* a *typo* — characters wrong inside a word that is itself not a known company word
  ("Mandri"), at most two edits in the whole name and few per word → same agency, ``fuzzy``;
* a *different word* — a word added, dropped, replaced by another real word, or the words
  reordered → a different company: ``not_found`` with ``lookalike_of`` naming the imitated one.

Licence numbers match only exactly (case, spaces and punctuation ignored).
Everything is indexed at construction so a check touches only a handful of posting lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from knowledge.agency_words import (
    COMPANY_WORDS,
    FILLER_WORDS,
    LEGAL_FORMS,
    LICENCE_WORDS,
    OTHER_ENTITY_FORMS,
    PLACE_PHRASES,
)

STATUSES = ("aktif", "skorsing", "dicabut")
VERDICTS = ("licensed", "suspended", "revoked", "expired", "not_found", "ambiguous")

# A user query longer than this is cut (a pasted essay is not a name); find_in_text has its own cap.
MAX_QUERY_CHARS = 400
MAX_QUERY_TOKENS = 40
MAX_TEXT_CHARS = 20_000
MAX_AMBIGUOUS = 3
MAX_TOTAL_EDITS = 2  # over the whole name: "one or two typos"

_WORD_RE = re.compile(r"[^\W_]+")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
# Raw pieces of a query for licence detection: whitespace and characters never inside a number.
_RAW_SPLIT_RE = re.compile(r"[\s:;,()\[\]\"']+")
_ROMAN_RE = re.compile(r"^[ivxlc]{1,7}$")
_INTRO_WORDS = FILLER_WORDS | LEGAL_FORMS | OTHER_ENTITY_FORMS
# Words after which one or two words of any kind name a place: "di Sagulung", "cabang Tiban".
_PLACE_INTRO = frozenset(
    {"di", "ke", "dari", "cabang", "kota", "kab", "kabupaten", "kecamatan", "wilayah", "daerah", "provinsi", "prov"}
)
# Punctuation after a name ends it: what follows ("…, katanya resmi?") is context.
_BOUNDARY_CHARS = frozenset(",;:!?()[]\n")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Agency:
    name: str
    licence_no: str
    status: str  # aktif | skorsing | dicabut
    valid_until: date
    address: str = ""
    province: str = ""
    countries: tuple[str, ...] = ()
    # Extra registry columns, kept as-is; not part of identity or hashing.
    extra: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Match:
    agency: Agency
    score: float


@dataclass
class CheckResult:
    verdict: str  # licensed | suspended | revoked | expired | not_found | ambiguous
    fuzzy: bool
    matches: list[Match]
    lookalike_of: Match | None
    by_licence: bool
    query: str = ""  # the (part of the) text that was checked; for find_in_text callers

    def to_json(self) -> dict[str, Any]:
        """The `helpdesk agencies check` output fields (see spec/interfaces.md)."""
        return {
            "verdict": self.verdict,
            "fuzzy": self.fuzzy,
            "matches": [_match_json(m) for m in self.matches],
            "lookalike_of": (
                None
                if self.lookalike_of is None
                else {
                    "name": self.lookalike_of.agency.name,
                    "licence_no": self.lookalike_of.agency.licence_no,
                }
            ),
        }


def _match_json(m: Match) -> dict[str, Any]:
    a = m.agency
    return {
        "name": a.name,
        "licence_no": a.licence_no,
        "status": a.status,
        "valid_until": a.valid_until.isoformat(),
        "score": round(float(m.score), 1),
        "address": a.address,
        "province": a.province,
        "countries": list(a.countries),
    }


# --------------------------------------------------------------------------- normalisation


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def normalise_licence(text: str) -> str:
    """Licence number without case, spaces or punctuation: "KEP.584 / MEN / IV / 2011" -> "kep584meniv2011"."""
    return _NON_ALNUM_RE.sub("", _fold(text))


def name_tokens(text: str) -> list[str]:
    """Lower-case word tokens; punctuation separates words ("PT.Nama" -> ["pt", "nama"])."""
    return _WORD_RE.findall(_fold(text))


def _merge_initials(words: list[str]) -> list[str]:
    """"A.B.C. Jaya" and "ABC Jaya" are the same name: runs of single letters become one word."""
    out: list[str] = []
    run: list[str] = []
    for w in words + [""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if w:
            out.append(w)
    return out


def core_name_tokens(name: str) -> tuple[str, ...]:
    """A registered name without its legal form: "PT. Sinar Jaya Tbk" -> ("sinar", "jaya")."""
    toks = name_tokens(name)
    if toks[:2] == ["p", "t"]:
        toks = toks[2:]
    while toks and toks[0] in LEGAL_FORMS:
        toks = toks[1:]
    while toks and toks[-1] in LEGAL_FORMS:
        toks = toks[:-1]
    return tuple(_merge_initials(toks))


def verdict_for(agency: Agency, today: date) -> str:
    """Verdict from the registry status; only an active, in-date licence is `licensed`."""
    status = agency.status.strip().lower()
    if status == "aktif":
        return "licensed" if agency.valid_until >= today else "expired"
    if status == "skorsing":
        return "suspended"
    if status == "dicabut":
        return "revoked"
    raise ValueError(f"unknown status {agency.status!r} for {agency.licence_no!r}")


def _typo_cap(length: int) -> int:
    """Edits tolerated inside one registered word. None in words of four letters or fewer:
    one edit there mostly makes another real word ("Jaya" -> "Raya", "Kaya", "Jaga"), and
    such a name is a lookalike, not a typo."""
    if length <= 4:
        return 0
    if length <= 6:
        return 1
    return 2


def _not_found(query: str, *, by_licence: bool, lookalike: Match | None = None) -> CheckResult:
    return CheckResult("not_found", False, [], lookalike, by_licence, query)


# --------------------------------------------------------------------------- query tokens


@dataclass(frozen=True)
class _Tok:
    text: str  # folded word
    start: int  # offsets in the folded query, for boundary tests
    end: int


def _query_tokens(text: str) -> tuple[list[_Tok], str]:
    """Words of a query with offsets; "P.T." becomes "pt" and other runs of single letters
    ("A.B.C.") one word, as core_name_tokens does for registered names."""
    folded = _fold(text)
    raw = [_Tok(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]
    toks: list[_Tok] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if t.text == "p" and i + 1 < len(raw) and raw[i + 1].text == "t":
            toks.append(_Tok("pt", t.start, raw[i + 1].end))
            i += 2
            continue
        j = i
        while j < len(raw) and len(raw[j].text) == 1 and raw[j].text.isalpha():
            j += 1
        if j > i + 1:
            toks.append(_Tok("".join(x.text for x in raw[i:j]), t.start, raw[j - 1].end))
            i = j
            continue
        toks.append(t)
        i += 1
    return toks, folded


def _is_licence_like(raw: str) -> bool:
    """A raw piece that can only be (part of) a licence number: digits with / . - or KEP."""
    low = raw.casefold()
    has_digit = any(c.isdigit() for c in low)
    if not has_digit:
        return False
    if any(c in "/.-" for c in low.strip("./-")) or low.startswith("kep"):
        return True
    return sum(c.isdigit() for c in low) >= 6  # a bare long number (SIP3MI/NIB style)


def _holds_number(pieces: Sequence[str]) -> bool:
    """Does this list of raw pieces contain a licence number? Either one piece that looks like
    one, or the number written with spaces only ("KEP 61 MEN IV 2016", "1 7061 HK 04 01 VI 2021")."""
    if any(_is_licence_like(p) for p in pieces):
        return True
    lowered = [p.casefold().strip("./-") for p in pieces]
    return any(p in ("kep", "kepmen", "hk") for p in lowered) and sum(p.isdigit() for p in lowered) >= 2


def _is_licence_piece(raw: str) -> bool:
    """A raw piece that may sit inside a licence number written with spaces ("KEP.61 MEN IV 2016")."""
    low = raw.casefold().strip("./-")
    if not low:
        return True  # a lone "/" or "-"
    letters = re.sub(r"[^a-z]", "", low)
    if low in FILLER_WORDS or (letters and letters in FILLER_WORDS):
        return False  # "SIP3MI", "no." — words around a number, not part of it
    if any(c.isdigit() for c in low):
        return True
    return low in LICENCE_WORDS or bool(_ROMAN_RE.match(low))


# --------------------------------------------------------------------------- the index


def _add(d: dict[Any, list[int]], key: Any, i: int) -> None:
    lst = d.get(key)
    if lst is None:
        d[key] = [i]
    else:
        lst.append(i)


class AgencyIndex:
    """An immutable, in-memory index of one registry import."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self._agencies: list[Agency] = list(agencies)
        self._names: list[tuple[str, ...]] = []
        self._by_licence: dict[str, list[int]] = {}
        self._by_name: dict[tuple[str, ...], list[int]] = {}
        self._by_sorted: dict[tuple[str, ...], list[int]] = {}
        self._by_joined: dict[str, list[int]] = {}  # "sinarjaya": the name typed without spaces
        # (name length, position, word) -> agencies; names are short, so few keys.
        postings: dict[tuple[int, int, str], list[int]] = {}
        for i, a in enumerate(self._agencies):
            verdict_for(a, date.min)  # fail loudly at import time on an unknown status
            lic = normalise_licence(a.licence_no)
            if lic:
                _add(self._by_licence, lic, i)
            toks = core_name_tokens(a.name)
            self._names.append(toks)
            if not toks:
                continue
            _add(self._by_name, toks, i)
            _add(self._by_sorted, tuple(sorted(toks)), i)
            _add(self._by_joined, "".join(toks), i)
            k = len(toks)
            for p, t in enumerate(toks):
                _add(postings, (k, p, t), i)
        self._postings: dict[tuple[int, int, str], frozenset[int]] = {
            key: frozenset(v) for key, v in postings.items()
        }
        self._vocab: frozenset[str] = frozenset(t for toks in self._by_name for t in toks)
        # Words that are real words on their own: a query word equal to one of these is never
        # a typo of a *different* registered word (that would be a swapped word).
        self._known_words: frozenset[str] = self._vocab | COMPANY_WORDS
        self._known_list: list[str] = sorted(self._known_words)
        self._max_len = max((len(t) for t in self._by_name), default=0)
        self._near_cache: dict[str, dict[str, int]] = {}

    def __len__(self) -> int:
        return len(self._agencies)

    @property
    def agencies(self) -> Sequence[Agency]:
        return tuple(self._agencies)

    @property
    def max_name_words(self) -> int:
        return self._max_len

    def has_name(self, words: Sequence[str]) -> bool:
        """Is this exact word sequence (lower case, no legal form) a registered name?"""
        return tuple(words) in self._by_name

    def is_name_word(self, word: str) -> bool:
        return word in self._vocab

    # ------------------------------------------------------------------ public API

    def check(self, query: str, today: date) -> CheckResult:
        """Check one name or licence number as a user typed it."""
        query = (query or "")[:MAX_QUERY_CHARS]
        pieces = [p for p in _RAW_SPLIT_RE.split(query) if p]
        if _holds_number(pieces):
            return self._check_number(query, pieces, today)
        toks, folded = _query_tokens(query)
        return self._check_name(toks[:MAX_QUERY_TOKENS], folded, today, query)

    def find_in_text(self, text: str, today: date) -> list[CheckResult]:
        """Licence numbers and agency names mentioned in a longer message (a pasted job offer)."""
        from knowledge.agency_text import scan_text  # local: keeps this module about matching

        return scan_text(self, (text or "")[:MAX_TEXT_CHARS], today)

    # ------------------------------------------------------------------ numbers

    def lookup_licence(self, licence: str) -> list[Agency]:
        return [self._agencies[i] for i in self._by_licence.get(normalise_licence(licence), [])]

    def _check_number(self, query: str, pieces: list[str], today: date) -> CheckResult:
        runs: list[tuple[int, int]] = []  # maximal runs of licence pieces holding a licence-like piece
        i = 0
        while i < len(pieces):
            if not _is_licence_piece(pieces[i]):
                i += 1
                continue
            j = i
            while j < len(pieces) and _is_licence_piece(pieces[j]):
                j += 1
            if _holds_number(pieces[i:j]):
                runs.append((i, j))
            i = j
        for i, j in runs:
            hits = self._by_licence.get(normalise_licence("".join(pieces[i:j])), [])
            if not hits:
                continue
            rest = " ".join(pieces[:i] + pieces[j:])
            return self._number_result(hits, rest, query, today)
        return _not_found(query, by_licence=True)

    def _number_result(self, hits: list[int], rest: str, query: str, today: date) -> CheckResult:
        matches = [Match(self._agencies[i], 100.0) for i in hits[:MAX_AMBIGUOUS]]
        if len(hits) > 1:
            return CheckResult("ambiguous", False, matches, None, True, query)
        agency = matches[0].agency
        # A real licence number quoted next to another company's name is how fake agencies
        # borrow legitimacy: only accept the number when the name (if any) is the holder's.
        toks, folded = _query_tokens(rest)
        named = [t for t in toks if t.text not in FILLER_WORDS and t.text not in LEGAL_FORMS]
        names_company = len(named) >= 2 or any(t.text in LEGAL_FORMS for t in toks)
        if named and names_company:
            by_name = self._check_name(toks, folded, today, rest)
            if not any(m.agency is agency for m in by_name.matches):
                return _not_found(query, by_licence=True, lookalike=matches[0])
        return CheckResult(verdict_for(agency, today), False, matches, None, True, query)

    # ------------------------------------------------------------------ names

    def _check_name(self, toks: list[_Tok], folded: str, today: date, query: str) -> CheckResult:
        words = [t.text for t in toks]
        if not words:
            return _not_found(query, by_licence=False)
        found = self._resolve(toks, folded)
        if found:
            # fewest edits first, then the longest name (a registered "Sinar Jaya Batam" beats
            # "Sinar Jaya" + the place "Batam"); several agencies still tied = ambiguous
            best = min(found)
            scored = [Match(self._agencies[i], score) for i, score in found[best].items()]
            scored.sort(key=lambda m: (-m.score, m.agency.name, m.agency.licence_no))
            fuzzy = best[0] > 0
            if len(scored) > 1:
                return CheckResult("ambiguous", fuzzy, scored[:MAX_AMBIGUOUS], None, False, query)
            verdict = verdict_for(scored[0].agency, today)
            return CheckResult(verdict, fuzzy, scored, None, False, query)
        core = self._core_span(toks, folded)
        return _not_found(query, by_licence=False, lookalike=self._lookalike(words[core[0] : core[1]], today))

    def _resolve(self, toks: list[_Tok], folded: str) -> dict[tuple[int, int], dict[int, float]]:
        """Every registered name that a contiguous window of the query spells (typos allowed),
        with only removable words (filler, PT, a place) around it: {(edits, -words): {agency: score}}."""
        words = [t.text for t in toks]
        n = len(words)
        found: dict[tuple[int, int], dict[int, float]] = {}
        prefix_ok = [self._prefix_removable(words, i) for i in range(n + 1)]
        suffix_ok = self._removable_tails(toks, folded)
        for i in range(n):
            if not prefix_ok[i]:
                continue
            for k in range(1, min(self._max_len, n - i) + 1):
                if not suffix_ok[i + k]:
                    continue
                window = words[i : i + k]
                near = [self._near(w) for w in window]
                if any(not d for d in near):
                    continue
                for idx in self._candidates(k, near):
                    name = self._names[idx]
                    edits = sum(near[p][name[p]] for p in range(k))
                    if edits <= MAX_TOTAL_EDITS:
                        score = 100.0 if edits == 0 else fuzz.ratio(" ".join(window), " ".join(name))
                        found.setdefault((edits, -k), {})[idx] = score
        return found

    def _candidates(self, k: int, near: Sequence[dict[str, int] | None]) -> set[int]:
        """Agencies whose name has k words, with at position p one of the words near[p]
        (None: any word)."""
        sets: list[set[int]] = []
        for p, words in enumerate(near):
            if words is None:
                continue
            s: set[int] = set()
            for w in words:
                s.update(self._postings.get((k, p, w), ()))
            if not s:
                return set()
            sets.append(s)
        if not sets:
            return set()
        sets.sort(key=len)
        out = sets[0]
        for s in sets[1:]:
            out = out & s
            if not out:
                break
        return out

    def _near(self, word: str) -> dict[str, int]:
        """Registered words this query word may stand for, with the edit count.

        A word that is itself a known word stands only for itself: a real word in place of
        another is a swapped word, not a typo. Otherwise it is a typo of the nearest known
        words (several when tied; the name as a whole must then settle it, else `ambiguous`),
        but only of registered ones within their own cap: when a known word that no registered
        name uses is strictly nearer, the query more likely names a different company."""
        hit = self._near_cache.get(word)
        if hit is not None:
            return hit
        if word in self._known_words or word in FILLER_WORDS or len(word) < 4:
            result = {word: 0} if word in self._vocab else {}
        else:
            result = {}
            close = process.extract(
                word,
                self._known_list,
                scorer=OSA.distance,
                processor=None,
                score_cutoff=MAX_TOTAL_EDITS,
                limit=None,
            )
            if close:
                best = min(d for _, d, _ in close)
                result = {
                    w: int(d)
                    for w, d, _ in close
                    if d == best and w in self._vocab and d <= _typo_cap(len(w))
                }
        if len(self._near_cache) > 50_000:
            self._near_cache.clear()
        self._near_cache[word] = result
        return result

    # removable context around a name ------------------------------------------

    def _strong_filler(self, word: str) -> bool:
        """A filler word that no registered name uses: where it stands, the name has ended."""
        return (word in FILLER_WORDS or word in LEGAL_FORMS) and word not in self._vocab

    def _prefix_removable(self, words: list[str], i: int) -> bool:
        """Can the query words before position i be ignored? Yes when the name is introduced
        by "PT"/a filler word ("tolong cek izin …", "apakah PT …"); anything before that is talk."""
        if i == 0:
            return True
        w = words[i - 1]
        if w in OTHER_ENTITY_FORMS:
            return False  # "CV <name>" is another organisation, whatever the name
        if w in LEGAL_FORMS:
            return True
        # Right after "PT" the name has begun: "PT Mas Sinar Jaya" is not "mas, PT Sinar Jaya".
        before = words[i - 2] if i >= 2 else None
        if before in LEGAL_FORMS:
            return False
        if self._strong_filler(w):
            return True
        # a filler that some registered name uses counts only next to an unambiguous one
        return w in FILLER_WORDS and before is not None and self._strong_filler(before)

    def _removable_tails(self, toks: list[_Tok], folded: str) -> list[bool]:
        """tails[j]: can the query words from position j on be ignored after a name?

        Yes when they are all context: filler words ("… masih punya izin?"), a place
        ("… Tanjung Pinang", "… di Sagulung"), or anything after punctuation that carries a
        question ("…, katanya resmi?"). A company word there is never context: "PT Sinar Jaya
        Mandiri" is not "PT Sinar Jaya" plus talk."""
        n = len(toks)
        words = [t.text for t in toks]
        tails = [False] * (n + 1)
        tails[n] = True
        for j in range(n - 1, -1, -1):
            w = words[j]
            after_punct = j > 0 and any(c in _BOUNDARY_CHARS for c in folded[toks[j - 1].end : toks[j].start])
            if after_punct and any(self._strong_filler(x) for x in words[j:]):
                tails[j] = True
            elif self._strong_filler(w) and tails[j + 1]:
                tails[j] = True
            elif w in FILLER_WORDS and j + 1 < n and self._strong_filler(words[j + 1]) and tails[j + 1]:
                tails[j] = True  # a filler some name uses, next to an unambiguous one
            elif w in _PLACE_INTRO and w not in self._vocab and any(tails[j + 1 + k] for k in (1, 2) if j + 1 + k <= n):
                tails[j] = True  # "di <place>", "cabang <place>": any one or two words
            else:
                for phrase in PLACE_PHRASES.get(w, ()):
                    stop = j + len(phrase)
                    if tuple(words[j:stop]) == phrase and phrase[0] not in self._vocab and tails[stop]:
                        tails[j] = True
                        break
        return tails

    def _core_span(self, toks: list[_Tok], folded: str) -> tuple[int, int]:
        """Where the name most likely is when nothing resolved: after the leading filler/PT
        words, up to the removable tail."""
        words = [t.text for t in toks]
        start = 0
        while start < len(words) and words[start] in _INTRO_WORDS:
            start += 1
        if start == len(words):
            return (0, len(words))
        tails = self._removable_tails(toks, folded)
        end = start + 1
        while end < len(words) and not tails[end]:
            end += 1
        return (start, end)

    # lookalikes -----------------------------------------------------------------

    def _canonical(self, word: str) -> str:
        near = self._near(word)
        return next(iter(near)) if len(near) == 1 else word

    def _lookalike(self, words: list[str], today: date) -> Match | None:
        """The registered agency this name imitates: one word added, dropped or swapped,
        or the same words reordered. None when nothing is that close."""
        core = [self._canonical(w) for w in words[:MAX_QUERY_TOKENS]]
        m = len(core)
        cands: set[int] = set(self._by_joined.get("".join(core), ()))  # same letters, other spacing
        cands.update(self._by_name.get(tuple(core), ()))  # the name itself, as another entity ("CV …")
        # Word-level edits need two words: one word alone "imitates" every name containing it.
        if m >= 2:
            for drop in range(m):  # query has one word too many
                cands.update(self._by_name.get(tuple(core[:drop] + core[drop + 1 :]), ()))
            exact: list[dict[str, int] | None] = [{w: 0} for w in core]
            for gap in range(m + 1):  # query lacks one word of a longer name
                cands.update(self._candidates(m + 1, [*exact[:gap], None, *exact[gap:]]))
            for swap in range(m):  # one word replaced by another
                near = [*exact[:swap], None, *exact[swap + 1 :]]
                cands.update(i for i in self._candidates(m, near) if self._names[i][swap] != core[swap])
            cands.update(i for i in self._by_sorted.get(tuple(sorted(core)), ()) if list(self._names[i]) != core)
        if not cands:
            return None
        joined = " ".join(core)
        core_set = set(core)

        def closeness(i: int) -> tuple[int, int]:
            # Words differing: reordered 0, a word added or dropped 1, a word swapped 2;
            # then the most shared words.
            name = self._names[i]
            shared = len(core_set.intersection(name))
            return ((m - shared) + (len(name) - shared), -shared)

        keyed = {i: closeness(i) for i in cands}
        best_key = min(keyed.values())

        def tie_break(i: int) -> tuple[bool, float, str, str]:
            # An agency licensed today is the one whose good name is worth borrowing.
            a = self._agencies[i]
            licensed = verdict_for(a, today) == "licensed"
            return (not licensed, -fuzz.ratio(joined, " ".join(self._names[i])), a.name, a.licence_no)

        best = min((i for i, key in keyed.items() if key == best_key), key=tie_break)
        return Match(self._agencies[best], fuzz.ratio(joined, " ".join(self._names[best])))
