"""The learned language layer: what a message is, whether it signals danger, which FAQ entry
answers it and which case category it tells, from models trained on the corpus.

One feature space for all heads: TF-IDF over character n-grams inside word boundaries (they
carry affixes, slang spellings and typos: "mukulin" ~ "pukul", "gajih" ~ "gaji") joined with
word uni- and bigrams of the normalised text. Linear models on top give probabilities.

Models are trained by `train()` (the `helpdesk nlu train` command) and cached on disk under a
key made of the corpus hash and the scikit-learn version; `load()` trains when the cache does
not fit, so a changed corpus never meets a stale model.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from knowledge import corpus
from knowledge.corpus import DANGER_KINDS, INTENTS, Example
from knowledge.kb import KnowledgeBase
from knowledge.normalise import fold, normalise

log = logging.getLogger(__name__)

MODEL_VERSION = "1"  # bump when features or heads change, so old caches are not loaded
CACHE_DIR = Path(os.environ.get("HELPDESK_NLU_CACHE", Path(__file__).resolve().parent.parent / "data" / "nlu"))
SEED = 7
TOP_ENTRIES = 3


@dataclass(frozen=True)
class Reading:
    """What the models read in one message."""

    intent: str
    intent_p: float
    intent_probs: dict[str, float]
    danger_p: float  # probability that the message tells of danger now
    danger_kind: str | None  # the most likely danger kind (meaningful when danger_p is high)
    entries: tuple[tuple[str, float], ...]  # best FAQ entries with their probability, best first
    category: str  # the most likely case category, were it a report
    category_p: float = 0.0

    @property
    def top_entry(self) -> tuple[str, float] | None:
        return self.entries[0] if self.entries else None


def features() -> FeatureUnion:
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                            max_features=60000, preprocessor=_chars_view, dtype=np.float32)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                            token_pattern=r"(?u)\b\w+\b", max_features=40000, preprocessor=_words_view,
                            dtype=np.float32)
    return FeatureUnion([("chars", chars), ("words", words)])


def _chars_view(text: str) -> str:
    # the raw spelling and the standard form side by side: n-grams of both forgive slang and typos
    return f"{fold(text)} {normalise(text)}"


def _words_view(text: str) -> str:
    return normalise(text)


def _head(c: float, balanced: bool = True) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None,
                              random_state=SEED)


@dataclass
class Models:
    """The trained heads over one shared feature space."""

    vectorizer: FeatureUnion
    intent: LogisticRegression
    danger: LogisticRegression  # 1 = danger now
    kind: LogisticRegression
    entry: LogisticRegression
    category: LogisticRegression
    key: str = ""
    trained_seconds: float = 0.0
    entry_topics: dict[str, str] = field(default_factory=dict)

    def read_many(self, texts: Sequence[str]) -> list[Reading]:
        if not texts:
            return []
        x = self.vectorizer.transform(list(texts))
        intent_p = self.intent.predict_proba(x)
        danger_p = self.danger.predict_proba(x)[:, list(self.danger.classes_).index(1)]
        kind_p = self.kind.predict_proba(x)
        entry_p = self.entry.predict_proba(x)
        cat_p = self.category.predict_proba(x)
        readings = []
        for i in range(len(texts)):
            ip = {str(c): float(p) for c, p in zip(self.intent.classes_, intent_p[i])}
            best_intent = max(ip, key=ip.__getitem__)
            top = np.argsort(-entry_p[i])[:TOP_ENTRIES]
            entries = tuple((str(self.entry.classes_[j]), float(entry_p[i, j])) for j in top)
            k = int(np.argmax(kind_p[i]))
            c = int(np.argmax(cat_p[i]))
            readings.append(Reading(best_intent, ip[best_intent], ip, float(danger_p[i]), str(self.kind.classes_[k]),
                                    entries, str(self.category.classes_[c]), float(cat_p[i, c])))
        return readings

    def read(self, text: str) -> Reading:
        return self.read_many([text])[0]


def fit(examples: Sequence[Example]) -> Models:
    """Train every head on these examples (deterministic for the same examples)."""
    started = time.perf_counter()
    texts = [ex.text for ex in examples]
    vectorizer = features()
    x = vectorizer.fit_transform(texts)
    intents = np.array([ex.intent for ex in examples])
    intent = _head(10.0).fit(x, intents)
    danger = _head(10.0).fit(x, np.array([1 if ex.emergency else 0 for ex in examples]))
    em = [i for i, ex in enumerate(examples) if ex.emergency]
    kind = _head(10.0).fit(x[em], np.array([examples[i].label for i in em]))
    fq = [i for i, ex in enumerate(examples) if ex.intent == "faq"]
    entry = _head(20.0, balanced=False).fit(x[fq], np.array([examples[i].label for i in fq]))
    rp = [i for i, ex in enumerate(examples) if ex.intent == "report"]
    category = _head(10.0).fit(x[rp], np.array([examples[i].category for i in rp]))
    return Models(vectorizer, intent, danger, kind, entry, category,
                  trained_seconds=time.perf_counter() - started)


def cache_key(kb_fingerprint: str | None = None) -> str:
    fp = kb_fingerprint or corpus.fingerprint()
    return f"v{MODEL_VERSION}-sk{sklearn.__version__}-{fp[:16]}"


def train(kb: KnowledgeBase, cache_dir: Path = CACHE_DIR) -> Models:
    """Train on the corpus and the KB and store the models in the cache."""
    examples = corpus.load(kb)
    problems = corpus.check(examples, kb)
    if problems:
        raise corpus.CorpusError("; ".join(problems[:10]))
    models = fit(examples)
    models.key = cache_key()
    models.entry_topics = {e.id: e.topic for e in kb.entries}
    cache_dir.mkdir(parents=True, exist_ok=True)
    # written to a temporary file and renamed: a second process never reads half a model
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    os.close(fd)
    joblib.dump(models, tmp, compress=3)
    os.replace(tmp, cache_dir / f"{models.key}.joblib")
    for old in cache_dir.glob("*.joblib"):
        if old.name != f"{models.key}.joblib":
            old.unlink(missing_ok=True)
    log.info("trained the language models in %.1f s (%d examples)", models.trained_seconds, len(examples))
    return models


def load(kb: KnowledgeBase, cache_dir: Path = CACHE_DIR) -> Models:
    """The models for the current corpus: from the cache, or trained now when it does not fit."""
    path = cache_dir / f"{cache_key()}.joblib"
    if path.exists():
        try:
            models = joblib.load(path)
            if isinstance(models, Models) and models.key == path.stem:
                return models
        except (OSError, EOFError, ValueError, AttributeError, ImportError) as exc:
            log.warning("the cached language models are unreadable (%s); training again", type(exc).__name__)
    return train(kb, cache_dir)


__all__ = ["Models", "Reading", "DANGER_KINDS", "INTENTS", "fit", "load", "train"]
