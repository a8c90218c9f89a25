"""The registered agency names, indexed for the matcher (knowledge.agencies).

A registered name is kept as its words without the legal form ("PT. Sinar Jaya Tbk" ->
("sinar", "jaya")), posted by (name length, position, word), so finding the names a run of
message words may spell touches only a handful of posting lists. `windows` finds the runs of a
message that spell a registered name (typos allowed, see knowledge.agency_vocab); `lookalikes`
finds the names an unregistered name imitates (one word added, dropped or swapped, or the same
words reordered). Agencies are referred to by their position in the registry import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from knowledge.agency_reading import NAME, NUMBER, Reading
from knowledge.agency_text import fold
from knowledge.agency_vocab import MAX_TOTAL_EDITS, NameVocabulary
from knowledge.agency_words import LEGAL_FORMS

_WORD_RE = re.compile(r"[^\W_]+")


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


@dataclass
class Window:
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


class NameIndex:
    """The core names of one registry import; position i is agency i ("()" when it has none)."""

    def __init__(self, names: Sequence[tuple[str, ...]]) -> None:
        self._names: list[tuple[str, ...]] = list(names)
        self._by_name: dict[tuple[str, ...], list[int]] = {}
        self._by_sorted: dict[tuple[str, ...], list[int]] = {}
        self._by_joined: dict[str, list[int]] = {}  # "sinarjaya": the name typed without spaces
        # (name length, position, word) -> agencies; names are short, so few keys.
        postings: dict[tuple[int, int, str], list[int]] = {}
        for i, toks in enumerate(self._names):
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
        self.words = NameVocabulary(frozenset(t for toks in self._by_name for t in toks))
        self.max_words = max((len(t) for t in self._by_name), default=0)

    def has_name(self, words: Sequence[str]) -> bool:
        """Is this exact word sequence (lower case, no legal form) a registered name?"""
        return tuple(words) in self._by_name

    # ------------------------------------------------------------------ registered names in a message

    def windows(self, r: Reading) -> list[Window]:
        """The registered names the message spells, without overlaps (see `_non_overlapping`)."""
        return _non_overlapping(self._windows(r))

    def _windows(self, r: Reading) -> list[Window]:
        """Every run of words that spells a registered name (typos allowed) and may be one here."""
        found: list[Window] = []
        n = len(r.toks)
        for i in range(n):
            near: list[dict[str, int]] = []
            for j in range(i + 1, min(n, i + self.max_words) + 1):
                if r.cls[j - 1] == NUMBER or (j - 1 > i and r.breaks(j - 2)):
                    break
                d = self.words.near(r.words[j - 1])
                if not d:
                    break
                near.append(d)
                window = self._window(r, i, j, near)
                if window is not None:
                    found.append(window)
        return found

    def _window(self, r: Reading, i: int, j: int, near: list[dict[str, int]]) -> Window | None:
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
        return Window(i, j, least, hits)

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
        near = self.words.near(word)
        return next(iter(near)) if len(near) == 1 else word

    def lookalikes(self, words: list[str]) -> dict[int, float]:
        """The registered names this name imitates: one word added, dropped or swapped, or the
        same words reordered. Only the closest ones, each with its fuzz ratio to the name; empty
        when nothing is that close."""
        core = [self._canonical(w) for w in words]
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
            return {}
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
        return {i: fuzz.ratio(joined, " ".join(self._names[i])) for i, key in keyed.items() if key == best_key}

def _non_overlapping(windows: list[Window]) -> list[Window]:
    """Fewest edits first, then the longest name (a registered "Sinar Jaya Batam" beats
    "Sinar Jaya" + the place "Batam"), then the earliest; overlapping ones are dropped."""
    chosen: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.edits, w.start - w.end, w.start)):
        if all(w.end <= c.start or w.start >= c.end for c in chosen):
            chosen.append(w)
    return chosen

