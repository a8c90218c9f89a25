"""How the agency matcher (knowledge.agencies) reads a message.

`Reading` is a parsed message (knowledge.agency_text) as the matcher sees it: what each word is
(a company word, chat, a place, "PT" …) and where, given the words and capitals around it, a name
may start and end.
"""

from __future__ import annotations

from typing import Protocol

from knowledge.agency_text import Message
from knowledge.agency_words import CUE_WORDS, NOT_A_NAME_START, PLACE_PHRASES

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

