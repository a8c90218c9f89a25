"""FAQ retrieval: a lexical score over stems combined with a fuzzy score over words.

Each entry is indexed through its question, phrasings and keywords ("documents"). For a
query the lexical part asks how much of the query's weight (IDF of its stems) a document
covers and how much of the document the query covers; the fuzzy part
(rapidfuzz token_set_ratio on normalised words) forgives typos and word order. The blend
is a 0..1 confidence; the caller compares it with the thresholds in config.yaml. Words
the KB has never seen weigh as much as its rarest words, so a question about something
else ("resep nasi goreng") covers little and gets a low confidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.kb import PLACEHOLDER, Entry, KnowledgeBase
from knowledge.lexicon import FUNCTION_WORDS
from knowledge.normalise import normalise, stem

FUNCTION_WEIGHT = 0.15  # function words still tell a little ("berapa" vs "kapan")
CANDIDATES = 25  # documents re-scored with the fuzzy scorer
W_COVER, W_PRECISION, W_FUZZY = 0.55, 0.15, 0.30
ANSWER_FACTOR = 0.5
SINGLE_WORD_FACTOR = 0.75


@dataclass(frozen=True)
class Hit:
    entry: Entry
    confidence: float


@dataclass(frozen=True)
class _Doc:
    entry_index: int
    text: str  # normalised words, for fuzzy scoring
    weights: dict[str, float]  # stem -> weight
    total: float
    factor: float  # 1 for questions and phrasings, less for the answer text


class FaqIndex:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.entries = kb.entries
        raw_docs: list[tuple[int, str, set[str], float]] = []
        for i, e in enumerate(kb.entries):
            for text in (e.question, *e.phrasings, *e.keywords):
                words = normalise(text).split()
                raw_docs.append((i, " ".join(words), {stem(w) for w in words}, 1.0))
            # the answer and its details, discounted: people ask about details only the answer names
            words = normalise(PLACEHOLDER.sub(" ", f"{e.answer}\n{e.more}")).split()
            raw_docs.append((i, " ".join(words), {stem(w) for w in words}, ANSWER_FACTOR))
        df: dict[str, int] = defaultdict(int)
        for _, _, stems_, _ in raw_docs:
            for s in stems_:
                df[s] += 1
        n = len(raw_docs) or 1
        self._idf = {s: math.log(1 + (n - c + 0.5) / (c + 0.5)) for s, c in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, text, stems_, factor in raw_docs:
            weights = {s: self._weight(s) for s in stems_}
            doc_id = len(self._docs)
            self._docs.append(_Doc(i, text, weights, sum(weights.values()) or 1.0, factor))
            for s in stems_:
                self._postings[s].append(doc_id)

    def _weight(self, s: str) -> float:
        w = self._idf.get(s, self._unknown_idf)
        return w * FUNCTION_WEIGHT if s in FUNCTION_WORDS else w

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """Best entries for the query, best first, at most one hit per entry."""
        words = normalise(query).split()
        if not words:
            return []
        q_weights: dict[str, float] = {}
        for w in words:
            s = stem(w)
            # function words are weighed by their surface form; stems of content words
            q_weights[s] = self._weight(w) if w in FUNCTION_WORDS else self._weight(s)
        q_total = sum(q_weights.values()) or 1.0
        matched: dict[int, float] = defaultdict(float)
        for s, weight in q_weights.items():
            for doc_id in self._postings.get(s, ()):
                matched[doc_id] += weight
        if not matched:
            return []
        lexical = sorted(matched.items(), key=lambda kv: -kv[1])[:CANDIDATES]
        q_text = " ".join(words)
        best: dict[int, float] = {}
        for doc_id, m in lexical:
            doc = self._docs[doc_id]
            cover = m / q_total
            precision = min(1.0, m / doc.total)
            fuzzy = fuzz.token_set_ratio(q_text, doc.text) / 100.0
            # token_set_ratio is 100 whenever one word set contains the other; weigh it
            # by coverage so a one-word query does not look like a perfect match
            score = (W_COVER * cover + W_PRECISION * precision + W_FUZZY * fuzzy * min(1.0, cover * 1.5)) * doc.factor
            if score > best.get(doc.entry_index, 0.0):
                best[doc.entry_index] = score
        if sum(1 for s in q_weights if s not in FUNCTION_WORDS) <= 1:
            # one content word ("kerja", "paspor") names a subject, not a question: never a sure answer
            best = {i: score * SINGLE_WORD_FACTOR for i, score in best.items()}
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
        return [Hit(self.entries[i], round(score, 4)) for i, score in ranked]
