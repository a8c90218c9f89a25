"""Agency (P3MI) registry lookup: is this name or licence number a licensed placement agency?

The one rule that outranks accuracy: *zero false reassurance*. Anything that is not exactly a
registered, active, in-date agency must never come out ``licensed``. Scammers register or
advertise names that differ from a licensed agency by one word ("PT Sinar Jaya Mandiri" next
to "PT Sinar Jaya Tenaga Mandiri"), so the matcher separates two things on purpose:

* a *typo* — characters wrong inside a word that is itself not a known company word
  ("Mandri"), at most two edits in the whole name and few per word → same agency, ``fuzzy``;
* a *different word* — a word added, dropped, replaced by another real word, or the words
  reordered → a different company: ``not_found`` with ``lookalike_of`` naming the imitated one.

A message is read as *mentions*: every licence number and every agency name in it, each checked
on its own. Where a name starts and ends inside chat is read from the words around it: talk
("udah", "gimana", "is", "ke"), places, punctuation and "PT" end a name; a company word never
does (that would let "PT Sinar Jaya Mandiri Abadi" pass as "PT Sinar Jaya Mandiri"). The answer
lists every agency named, and its verdict is the least reassuring one: one revoked agency in a
message means no ``licensed``.

Licence numbers match only exactly (case, spaces, punctuation and a leading label ignored).
Everything is indexed at construction so a check touches only a handful of posting lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from knowledge.agency_text import (
    ENTITY,
    LEGAL,
    NAME,
    NUMBER,
    TALK,
    TYPO,
    UNKNOWN,
    WEAK,
    Message,
    Reading,
    fold,
    licence_key,
    parse_message,
    scan_text,
)
from knowledge.agency_words import (
    COMPANY_WORDS,
    LEGAL_FORMS,
    OTHER_ENTITY_FORMS,
    abbreviation,
    affix_stems,
    chat_words,
    verb_form,
)

STATUSES = ("aktif", "skorsing", "dicabut")
VERDICTS = ("licensed", "suspended", "revoked", "expired", "not_found", "ambiguous")
# Least reassuring first: a message naming several agencies gets the verdict of its worst one.
SEVERITY = ("revoked", "suspended", "expired", "not_found", "ambiguous", "licensed")
_RANK = {v: i for i, v in enumerate(SEVERITY)}

# A user query longer than this is cut (a pasted essay is not a name); find_in_text has its own cap.
MAX_QUERY_CHARS = 600
MAX_QUERY_TOKENS = 80
MAX_TEXT_CHARS = 20_000
MAX_AMBIGUOUS = 3
MAX_TOTAL_EDITS = 2  # over the whole name: "one or two typos"
_CACHE_LIMIT = 50_000

_WORD_RE = re.compile(r"[^\W_]+")
_ELONGATED_RE = re.compile(r"(.)\1{2,}")


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
    # Each agency name or licence number the message mentions, in message order, each with its
    # own verdict. The fields above sum them up (verdict: the least reassuring one).
    mentions: list[CheckResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `helpdesk agencies check` output fields (see spec/interfaces.md)."""
        return {
            "verdict": self.verdict,
            "fuzzy": self.fuzzy,
            "matches": [_match_json(m) for m in self.matches],
            "lookalike_of": _lookalike_json(self.lookalike_of),
            "mentions": [_mention_json(m) for m in self.mentions],
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


def _lookalike_json(m: Match | None) -> dict[str, str] | None:
    return None if m is None else {"name": m.agency.name, "licence_no": m.agency.licence_no}


def _mention_json(r: CheckResult) -> dict[str, Any]:
    return {
        "query": r.query,
        "verdict": r.verdict,
        "fuzzy": r.fuzzy,
        "by_licence": r.by_licence,
        "matches": [{"name": m.agency.name, "licence_no": m.agency.licence_no, "status": m.agency.status}
                    for m in r.matches],
        "lookalike_of": _lookalike_json(r.lookalike_of),
    }


# --------------------------------------------------------------------------- normalisation


def normalise_licence(text: str) -> str:
    """Licence number without case, spaces, punctuation or a leading label:
    "KEP.584 / MEN / IV / 2011" -> "kep584meniv2011", "SIP3MI 2/1234/HK.04.01" -> "21234hk0401"."""
    return licence_key(text)


def name_tokens(text: str) -> list[str]:
    """Lower-case word tokens; punctuation separates words ("PT.Nama" -> ["pt", "nama"])."""
    return _WORD_RE.findall(fold(text))


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


# --------------------------------------------------------------------------- the index


@dataclass
class _Window:
    """Words start..end of a message that spell a registered name."""

    start: int
    end: int
    edits: int
    hits: dict[int, float]  # agency -> score


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
        self._talk: frozenset[str] = chat_words()
        self._talk_list: list[str] = sorted(w for w in self._talk if len(w) >= 4)
        self._max_len = max((len(t) for t in self._by_name), default=0)
        self._near_cache: dict[str, dict[str, int]] = {}
        self._class_cache: dict[str, str] = {}

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
        """Check what a user typed: one or more agency names and licence numbers, possibly inside chat."""
        query = (query or "")[:MAX_QUERY_CHARS]
        reading = Reading(self, parse_message(query), MAX_QUERY_TOKENS)
        names = self._name_mentions(reading, today)
        numbers = self._number_mentions(reading.msg, today)
        return _combine(_pair_numbers(names, numbers), query)

    def find_in_text(self, text: str, today: date) -> list[CheckResult]:
        """Licence numbers and agency names mentioned in a longer message (a pasted job offer)."""
        return scan_text(self, (text or "")[:MAX_TEXT_CHARS], today)

    # ------------------------------------------------------------------ numbers

    def lookup_licence(self, licence: str) -> list[Agency]:
        return [self._agencies[i] for i in self._by_licence.get(normalise_licence(licence), [])]

    def _number_mentions(self, msg: Message, today: date) -> list[tuple[int, CheckResult]]:
        out: list[tuple[int, CheckResult]] = []
        for span in msg.numbers:
            text = msg.text[span.start : span.end]
            hits = self._by_licence.get(span.key, [])
            matches = [Match(self._agencies[i], 100.0) for i in hits[:MAX_AMBIGUOUS]]
            if not hits:
                result = _not_found(text, by_licence=True)
            elif len(hits) > 1:
                result = CheckResult("ambiguous", False, matches, None, True, text)
            else:
                result = CheckResult(verdict_for(matches[0].agency, today), False, matches, None, True, text)
            out.append((span.start, result))
        return out

    # ------------------------------------------------------------------ words

    def word_class(self, word: str) -> str:
        """What a word of a message can be to a name (NAME, TYPO, WEAK, TALK, UNKNOWN, LEGAL, ENTITY)."""
        cls = self._class_cache.get(word)
        if cls is None:
            cls = self._classify(word)
            if len(self._class_cache) > _CACHE_LIMIT:
                self._class_cache.clear()
            self._class_cache[word] = cls
        return cls

    def _classify(self, word: str) -> str:
        if word in LEGAL_FORMS:
            return LEGAL
        if word in OTHER_ENTITY_FORMS:
            return ENTITY
        talk = self._is_talk(word)
        if word in self._known_words:
            return WEAK if talk else NAME
        if talk or any(c.isdigit() for c in word) or abbreviation(word):
            return TALK
        if any(s in self._talk for s in affix_stems(word)):
            return TALK  # "dicabutnya", "nanyain", "kiranya"
        if self._near(word) or self._typo_of_known(word):
            return TYPO
        if self._talk_shaped(word):
            return TALK
        return TYPO if self._resembles_known(word) else UNKNOWN

    def _is_talk(self, word: str) -> bool:
        if word in self._talk:
            return True
        # "gimanaaa" is chat drawn out; "mandiii" is closer to the name word "mandiri" than to "mandi"
        return _ELONGATED_RE.sub(r"\1", word) in self._talk and not self._resembles_known(word)

    def _talk_shaped(self, word: str) -> bool:
        """An unlisted word that still reads as chat: an inflected verb ("ditawarkan",
        "memberangkatkan") or one letter off a listed word ("gimanq")."""
        if verb_form(word):
            return True
        if len(word) < 5:
            return False
        hit = process.extractOne(word, self._talk_list, scorer=OSA.distance, processor=None, score_cutoff=1)
        return hit is not None

    def _resembles_known(self, word: str) -> bool:
        """Within two letters of a company word ("jyaa", "mrdka"): maybe a badly typed name word,
        so never taken as the chat around a name."""
        hit = process.extractOne(word, self._known_list, scorer=OSA.distance, processor=None,
                                 score_cutoff=MAX_TOTAL_EDITS)
        return hit is not None

    def _typo_of_known(self, word: str) -> bool:
        """A typo of a company word no registered name uses ("Sentausa"): still a name word."""
        if len(word) < 5:
            return False
        close = process.extract(word, self._known_list, scorer=OSA.distance, processor=None,
                                score_cutoff=MAX_TOTAL_EDITS, limit=None)
        return any(d <= _typo_cap(len(w)) for w, d, _ in close)

    def _near(self, word: str) -> dict[str, int]:
        """Registered words this query word may stand for, with the edit count.

        A word that is itself a known or everyday word stands only for itself: a real word in
        place of another is a swapped word, not a typo. Otherwise it is a typo of the nearest
        known words (several when tied; the name as a whole must then settle it, else
        `ambiguous`), but only of registered ones within their own cap: when a known word that
        no registered name uses is strictly nearer, the query more likely names a different company."""
        hit = self._near_cache.get(word)
        if hit is not None:
            return hit
        if word in self._known_words or self._is_talk(word) or len(word) < 4:
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
        if len(self._near_cache) > _CACHE_LIMIT:
            self._near_cache.clear()
        self._near_cache[word] = result
        return result

    # ------------------------------------------------------------------ names

    def _name_mentions(self, r: Reading, today: date) -> list[tuple[int, CheckResult]]:
        """Registered names spelled in the message, then the unregistered names around them."""
        used = [False] * len(r.toks)
        out: list[tuple[int, CheckResult]] = []
        for w in _non_overlapping(self._windows(r)):
            for k in range(w.start, w.end):
                used[k] = True
            out.append((r.toks[w.start].start, self._window_result(r, w, today)))
        out.extend(self._unregistered(r, used, today))
        return out

    def _windows(self, r: Reading) -> list[_Window]:
        """Every run of words that spells a registered name (typos allowed) and may be one here."""
        found: list[_Window] = []
        n = len(r.toks)
        for i in range(n):
            near: list[dict[str, int]] = []
            for j in range(i + 1, min(n, i + self._max_len) + 1):
                if r.cls[j - 1] == NUMBER or (j - 1 > i and r.breaks(j - 2)):
                    break
                d = self._near(r.words[j - 1])
                if not d:
                    break
                near.append(d)
                window = self._window(r, i, j, near)
                if window is not None:
                    found.append(window)
        return found

    def _window(self, r: Reading, i: int, j: int, near: list[dict[str, int]]) -> _Window | None:
        capital = r.capital(i, j)
        if not (r.left_ok(i, capital) and r.right_ok(j, capital)):
            return None  # checked first: it is cheaper than the posting lists
        cands = self._candidates(j - i, near)
        if not cands:
            return None
        edits = {}
        for idx in cands:
            name = self._names[idx]
            e = sum(near[p][name[p]] for p in range(j - i))
            if e <= MAX_TOTAL_EDITS:
                edits[idx] = e
        if not edits:
            return None
        least = min(edits.values())
        best = [idx for idx, e in edits.items() if e == least]
        exact = any(
            self._names[idx][p] == r.words[i + p] and r.cls[i + p] == NAME for idx in best for p in range(j - i)
        )
        if not r.plausible(i, j, least, exact):
            return None
        typed = " ".join(r.words[i:j])
        hits = {idx: 100.0 if least == 0 else fuzz.ratio(typed, " ".join(self._names[idx])) for idx in best}
        return _Window(i, j, least, hits)

    def _window_result(self, r: Reading, w: _Window, today: date) -> CheckResult:
        scored = [Match(self._agencies[i], score) for i, score in w.hits.items()]
        scored.sort(key=lambda m: (-m.score, m.agency.name, m.agency.licence_no))
        text = r.msg.span_text(w.start, w.end - 1)
        fuzzy = w.edits > 0
        if len(scored) > 1:
            return CheckResult("ambiguous", fuzzy, scored[:MAX_AMBIGUOUS], None, False, text)
        return CheckResult(verdict_for(scored[0].agency, today), fuzzy, scored, None, False, text)

    def _unregistered(self, r: Reading, used: list[bool], today: date) -> list[tuple[int, CheckResult]]:
        """Names that no registered name fits: after "PT" (or "CV", "LPK" …) whatever they are;
        elsewhere a run of at least two name words, one of them a company word, where the
        message asks about an agency. Each is not_found, with the agency it imitates if any."""
        out: list[tuple[int, CheckResult]] = []
        n = len(r.toks)
        k = 0
        while k < n:
            if used[k]:
                k += 1
                continue
            intro = (r.pt(k) or r.cls[k] == ENTITY) and k + 1 < n and not used[k + 1]
            if intro and r.cls[k + 1] != NUMBER and not r.breaks(k):
                s = k + 1
                e = r.extend(s + 1, used, r.capital(s, s + 1))
                out.append((r.toks[s].start, self._unregistered_result(r, s, e, today, shown_from=k)))
                k = e
                continue
            if r.cls[k] in (NAME, TYPO):  # a run starts at a company word, never at chat
                e = r.extend(k + 1, used, r.capital(k, k + 1))
                if e - k >= 2 and r.plausible(k, e, 0, True):
                    result = self._unregistered_result(r, k, e, today)
                    if result.lookalike_of is not None or not r.after_place_intro(k):
                        out.append((r.toks[k].start, result))
                k = e
                continue
            k += 1
        return out

    def _unregistered_result(
        self, r: Reading, s: int, e: int, today: date, shown_from: int | None = None
    ) -> CheckResult:
        """not_found for words s..e, with the agency they imitate; the query shown starts at
        shown_from (the "PT" or "CV" before the name) when given."""
        text = r.msg.span_text(s if shown_from is None else shown_from, e - 1)
        return _not_found(text, by_licence=False, lookalike=self._lookalike(r.words[s:e], today))

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


# --------------------------------------------------------------------------- several mentions


def _non_overlapping(windows: list[_Window]) -> list[_Window]:
    """Fewest edits first, then the longest name (a registered "Sinar Jaya Batam" beats
    "Sinar Jaya" + the place "Batam"), then the earliest; overlapping ones are dropped."""
    chosen: list[_Window] = []
    for w in sorted(windows, key=lambda w: (w.edits, w.start - w.end, w.start)):
        if all(w.end <= c.start or w.start >= c.end for c in chosen):
            chosen.append(w)
    return chosen


def _pair_numbers(
    names: list[tuple[int, CheckResult]], numbers: list[tuple[int, CheckResult]]
) -> list[tuple[int, CheckResult]]:
    """Put licence numbers with the names they come with.

    A number of an agency the message names confirms that name (and settles it when the name
    alone was ambiguous). A number of an agency the message does not name, next to a name, is
    the borrowed-licence scam: that name is answered not_found, pointing at the number's
    holder, and confirms neither."""
    out = list(names)
    for pos, num in numbers:
        if len(num.matches) != 1:
            out.append((pos, num))
            continue
        holder = num.matches[0].agency
        same = [k for k, (_, m) in enumerate(out) if not m.by_licence and any(x.agency is holder for x in m.matches)]
        if same:
            k = same[0]
            if out[k][1].verdict == "ambiguous":
                out[k] = (out[k][0], replace(num, query=out[k][1].query))
            continue
        named = [k for k, (_, m) in enumerate(out) if not m.by_licence]
        if not named:
            out.append((pos, num))
            continue
        k = min(named, key=lambda k: abs(out[k][0] - pos))
        out[k] = (out[k][0], _not_found(f"{out[k][1].query} {num.query}", by_licence=True, lookalike=num.matches[0]))
    return out


def _combine(mentions: list[tuple[int, CheckResult]], query: str) -> CheckResult:
    """One answer for the whole message: each agency once, least reassuring first."""
    in_order: list[CheckResult] = []
    seen: set[tuple[str, ...]] = set()
    for _, m in sorted(mentions, key=lambda pm: pm[0]):
        key = tuple(x.agency.licence_no for x in m.matches) or ("?", m.query.casefold())
        if key not in seen:
            seen.add(key)
            in_order.append(m)
    if not in_order:
        return _not_found(query, by_licence=False)
    worst_first = sorted(in_order, key=lambda m: _RANK[m.verdict])  # stable: ties keep message order
    lead = worst_first[0]
    matches: list[Match] = []
    for m in worst_first:
        matches.extend(x for x in m.matches if all(x.agency is not y.agency for y in matches))
    lookalike = next((m.lookalike_of for m in worst_first if m.lookalike_of is not None), None)
    fuzzy = any(m.fuzzy for m in in_order)
    return CheckResult(lead.verdict, fuzzy, matches, lookalike, lead.by_licence, query, in_order)
