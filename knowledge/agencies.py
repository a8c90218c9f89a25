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
Everything is indexed at construction so a check touches only a handful of posting lists
(knowledge.agency_names); what a word of a message can be to a name is knowledge.agency_vocab,
and how the mentions add up to one answer is knowledge.agency_result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from knowledge.agency_names import NameIndex, Window, core_name_tokens
from knowledge.agency_reading import ENTITY, NAME, NUMBER, TYPO, Reading
from knowledge.agency_result import CheckResult, Match, combine, not_found, pair_numbers
from knowledge.agency_scan import scan_text
from knowledge.agency_text import Message, licence_key, parse_message

STATUSES = ("aktif", "skorsing", "dicabut")

# A user query longer than this is cut (a pasted essay is not a name); find_in_text has its own cap.
MAX_QUERY_CHARS = 600
MAX_QUERY_TOKENS = 80
MAX_TEXT_CHARS = 20_000
MAX_AMBIGUOUS = 3


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


def normalise_licence(text: str) -> str:
    """Licence number without case, spaces, punctuation or a leading label:
    "KEP.584 / MEN / IV / 2011" -> "kep584meniv2011", "SIP3MI 2/1234/HK.04.01" -> "21234hk0401"."""
    return licence_key(text)


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


class AgencyIndex:
    """An immutable, in-memory index of one registry import."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self._agencies: list[Agency] = list(agencies)
        self._by_licence: dict[str, list[int]] = {}
        for i, a in enumerate(self._agencies):
            verdict_for(a, date.min)  # fail loudly at import time on an unknown status
            lic = normalise_licence(a.licence_no)
            if lic:
                self._by_licence.setdefault(lic, []).append(i)
        self._names = NameIndex([core_name_tokens(a.name) for a in self._agencies])

    def __len__(self) -> int:
        return len(self._agencies)

    @property
    def agencies(self) -> Sequence[Agency]:
        return tuple(self._agencies)

    @property
    def max_name_words(self) -> int:
        return self._names.max_words

    def has_name(self, words: Sequence[str]) -> bool:
        """Is this exact word sequence (lower case, no legal form) a registered name?"""
        return self._names.has_name(words)

    def is_name_word(self, word: str) -> bool:
        return self._names.words.is_name_word(word)

    def word_class(self, word: str) -> str:
        """What a word of a message can be to a name (NAME, TYPO, WEAK, TALK, UNKNOWN, LEGAL, ENTITY)."""
        return self._names.words.word_class(word)

    # ------------------------------------------------------------------ public API

    def check(self, query: str, today: date) -> CheckResult:
        """Check what a user typed: one or more agency names and licence numbers, possibly inside chat."""
        query = (query or "")[:MAX_QUERY_CHARS]
        reading = Reading(self, parse_message(query), MAX_QUERY_TOKENS)
        names = self._name_mentions(reading, today)
        numbers = self._number_mentions(reading.msg, today)
        return combine(pair_numbers(names, numbers), query)

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
                result = not_found(text, by_licence=True)
            elif len(hits) > 1:
                result = CheckResult("ambiguous", False, matches, None, True, text)
            else:
                result = CheckResult(verdict_for(matches[0].agency, today), False, matches, None, True, text)
            out.append((span.start, result))
        return out

    # ------------------------------------------------------------------ names

    def _name_mentions(self, r: Reading, today: date) -> list[tuple[int, CheckResult]]:
        """Registered names spelled in the message, then the unregistered names around them."""
        used = [False] * len(r.toks)
        out: list[tuple[int, CheckResult]] = []
        for w in self._names.windows(r):
            for k in range(w.start, w.end):
                used[k] = True
            out.append((r.toks[w.start].start, self._window_result(r, w, today)))
        out.extend(self._unregistered(r, used, today))
        return out

    def _window_result(self, r: Reading, w: Window, today: date) -> CheckResult:
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
        return not_found(text, by_licence=False, lookalike=self._lookalike(r.words[s:e], today))


    def _lookalike(self, words: list[str], today: date) -> Match | None:
        """The registered agency this name imitates (knowledge.agency_names.NameIndex.lookalikes);
        among equally close ones, preferably one licensed today: its good name is worth borrowing."""
        close = self._names.lookalikes(words[:MAX_QUERY_TOKENS])
        if not close:
            return None

        def tie_break(i: int) -> tuple[bool, float, str, str]:
            a = self._agencies[i]
            return (verdict_for(a, today) != "licensed", -close[i], a.name, a.licence_no)

        best = min(close, key=tie_break)
        return Match(self._agencies[best], close[best])
