"""What one word of a message can be to an agency name, given the words of the registered names.

The matcher (knowledge.agencies) tells a *typo* from a *different word*: characters wrong inside
a word that is itself not a known company word ("Mandri") may stand for the registered word, at
most a few edits per word; a real word in place of another (a known company word, or everyday
chat) stands only for itself, so a name with it is another company (a lookalike). The
classification is cached: the same words come back in every message.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.agency_reading import ENTITY, LEGAL, NAME, TALK, TYPO, UNKNOWN, WEAK
from knowledge.agency_words import (
    COMPANY_WORDS,
    LEGAL_FORMS,
    OTHER_ENTITY_FORMS,
    abbreviation,
    affix_stems,
    chat_words,
    verb_form,
)

MAX_TOTAL_EDITS = 2  # over the whole name: "one or two typos"
_CACHE_LIMIT = 50_000

_ELONGATED_RE = re.compile(r"(.)\1{2,}")


def typo_cap(length: int) -> int:
    """Edits tolerated inside one registered word. None in words of four letters or fewer:
    one edit there mostly makes another real word ("Jaya" -> "Raya", "Kaya", "Jaga"), and
    such a name is a lookalike, not a typo."""
    if length <= 4:
        return 0
    if length <= 6:
        return 1
    return 2


class NameVocabulary:
    """The words of the registered names (`vocab`) and how a message word relates to them."""

    def __init__(self, vocab: frozenset[str]) -> None:
        self._vocab = vocab
        # Words that are real words on their own: a query word equal to one of these is never
        # a typo of a *different* registered word (that would be a swapped word).
        self._known_words: frozenset[str] = vocab | COMPANY_WORDS
        self._known_list: list[str] = sorted(self._known_words)
        self._talk: frozenset[str] = chat_words()
        self._talk_list: list[str] = sorted(w for w in self._talk if len(w) >= 4)
        self._near_cache: dict[str, dict[str, int]] = {}
        self._class_cache: dict[str, str] = {}

    def is_name_word(self, word: str) -> bool:
        """Is this word part of a registered name?"""
        return word in self._vocab

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
        if self.near(word) or self._typo_of_known(word):
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
        return any(d <= typo_cap(len(w)) for w, d, _ in close)

    def near(self, word: str) -> dict[str, int]:
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
                    if d == best and w in self._vocab and d <= typo_cap(len(w))
                }
        if len(self._near_cache) > _CACHE_LIMIT:
            self._near_cache.clear()
        self._near_cache[word] = result
        return result
