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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from knowledge import corpus
from knowledge.corpus import Example
from knowledge.errors import CorpusError
from knowledge.kb import KnowledgeBase
from knowledge.normalise import fold, normalise

# The sparse feature matrix of the vectorizer: sklearn ships no types, so it reaches us as Any.
Features = Any

log = logging.getLogger(__name__)

MODEL_VERSION = "8"  # bump when features or heads change, so old caches are not loaded
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


def _danger_head() -> LogisticRegression:
    # the one binary decision with bands on its probability: logistic regression's are calibrated;
    # balanced, because danger is a small share of the corpus and a miss costs far more
    return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=SEED)


class TemperedSVC:
    """A linear SVM whose margins become probabilities through a softmax with one temperature,
    fitted on out-of-fold margins. For 120-odd entries it ranks as well as logistic regression at a
    tenth of the training time, and, unlike per-class calibration, costs one matrix product per
    message."""

    def __init__(self, c: float = 0.5, balanced: bool = False, folds: int = 2) -> None:
        self.c, self.balanced, self.folds = c, balanced, folds
        self.temperature = 1.0

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.c, class_weight="balanced" if self.balanced else None, random_state=SEED)

    def fit(self, x: Features, y: np.ndarray) -> "TemperedSVC":
        self.svm = self._svm().fit(x, y)
        # float32 weights halve the cache and its load at start (163 entries x 80k features) and
        # change no decision: the features are float32 already
        self.svm.coef_ = self.svm.coef_.astype(np.float32)
        self.classes_ = self.svm.classes_
        folds = min(self.folds, int(np.bincount(np.unique(y, return_inverse=True)[1]).min()))
        if folds >= 2:
            margins = cross_val_predict(self._svm(), x, y, cv=folds, method="decision_function")
            if margins.ndim == 1:
                margins = np.column_stack([-margins, margins])
            truth = np.searchsorted(self.classes_, y)
            self.temperature = min(np.geomspace(0.02, 2.0, 60), key=lambda t: _nll(margins, truth, t))
        return self

    def predict_proba(self, x: Features) -> np.ndarray:
        margins = margins_of(self.svm, x)
        if margins.ndim == 1:  # two classes: one margin for the second
            margins = np.column_stack([-margins, margins])
        return _softmax(margins / self.temperature)


def margins_of(linear: LinearSVC | LogisticRegression, x: Features) -> np.ndarray:
    """`decision_function` as one product: sklearn's checks on every call (input validation, the
    dataframe probes) took a third of a message's reading, for inputs our own vectorizer made."""
    m: np.ndarray = np.asarray(x @ linear.coef_.T) + linear.intercept_
    return m.ravel() if m.shape[1] == 1 else m


def tfidf(part: TfidfVectorizer, texts: Sequence[str]) -> Features:
    """`part.transform(texts)` for our fitted vectorizers (sublinear tf, idf, l2 rows), without the
    union's joblib round and sklearn's input checks: together they cost more than the counting."""
    assert part.sublinear_tf and part.use_idf and part.norm == "l2", "features() changed: update tfidf()"
    x = CountVectorizer.transform(part, texts)
    np.log(x.data, out=x.data)
    x.data += 1.0
    x.data *= part.idf_[x.indices]
    rows = np.diff(x.indptr)
    squares = np.bincount(np.repeat(np.arange(len(rows)), rows), weights=x.data.astype(np.float64) ** 2,
                          minlength=len(rows))
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    x.data /= np.repeat(norms, rows).astype(x.data.dtype)
    return x


def danger_of(head: LogisticRegression, x: Features) -> np.ndarray:
    """The binary head's probability of class 1 (what `predict_proba(x)[:, 1]` gives)."""
    p: np.ndarray = expit(margins_of(head, x))
    return p


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return p


def _nll(margins: np.ndarray, truth: np.ndarray, t: float) -> float:
    p = _softmax(margins / t)[np.arange(len(truth)), truth]
    return float(-np.log(np.clip(p, 1e-12, None)).mean())


@dataclass
class Models:
    """The trained heads over one shared feature space."""

    vectorizer: FeatureUnion
    intent: TemperedSVC
    danger: LogisticRegression  # 1 = danger now, against every other message
    danger_in_report: LogisticRegression  # 1 = danger now, against the other reports only
    kind: TemperedSVC
    entry: TemperedSVC
    topic: TemperedSVC
    category: TemperedSVC
    key: str = ""
    trained_seconds: float = 0.0
    entry_topics: dict[str, str] = field(default_factory=dict)

    def read_many(self, texts: Sequence[str]) -> list[Reading]:
        if not texts:
            return []
        x = sparse.hstack([tfidf(part, texts) for _, part in self.vectorizer.transformer_list], format="csr")
        intent_p = self.intent.predict_proba(x)
        # two views of danger averaged: against everything (knows questions and chatter) and, weighted
        # by the chance that it is a report at all, against other reports (knows the hard boundary:
        # forced overtime is a report, a locked door an emergency)
        report_p = intent_p[:, list(self.intent.classes_).index("report")]
        in_report = danger_of(self.danger_in_report, x)
        danger_p = 0.5 * danger_of(self.danger, x) + 0.5 * report_p * in_report
        kind_p = self.kind.predict_proba(x)
        entry_p = self.entry.predict_proba(x)
        topic_p = self.topic.predict_proba(x)
        cat_p = self.category.predict_proba(x)
        readings = []
        for i in range(len(texts)):
            ip = {str(c): float(p) for c, p in zip(self.intent.classes_, intent_p[i])}
            best_intent = max(ip, key=ip.__getitem__)
            entries = self._ranked_entries(entry_p[i], topic_p[i])
            k = int(np.argmax(kind_p[i]))
            c = int(np.argmax(cat_p[i]))
            readings.append(Reading(best_intent, ip[best_intent], ip, float(danger_p[i]), str(self.kind.classes_[k]),
                                    entries, str(self.category.classes_[c]), float(cat_p[i, c])))
        return readings

    def _ranked_entries(self, p: np.ndarray, topic_p: np.ndarray) -> tuple[tuple[str, float], ...]:
        """Best entries, the best one of the most likely topic first. A topic is judged on the topic
        model and on the sum of its entries' probabilities together: entries of one topic share the
        evidence ("gaji telat" spreads over four wage entries). The entry model's own favourite stays
        in the list when its topic loses: when the two models disagree by a hair, it was dropped
        though the entry model was 94 % sure of it, and the person got "cannot answer" instead of
        the choice. (Ranking by the product of the two instead answered 0.6 points more held-out
        questions right and 0.7 points more wrong: not a gain.)"""
        names = [str(c) for c in self.entry.classes_]
        by_topic = {str(t): float(q) / 2 for t, q in zip(self.topic.classes_, topic_p)}
        for name, prob in zip(names, p):
            topic = self.entry_topics.get(name, name)
            by_topic[topic] = by_topic.get(topic, 0.0) + float(prob) / 2
        best_topic = max(by_topic, key=by_topic.__getitem__)
        order = sorted(range(len(names)), key=lambda j: (self.entry_topics.get(names[j], names[j]) != best_topic, -p[j]))
        top = order[:TOP_ENTRIES]
        favourite = int(np.argmax(p))
        if favourite not in top:
            top[-1] = favourite
        return tuple((names[j], float(p[j])) for j in top)

    def read(self, text: str) -> Reading:
        return self.read_many([text])[0]


def fit(examples: Sequence[Example], entry_topics: dict[str, str]) -> Models:
    """Train every head on these examples (deterministic for the same examples)."""
    started = time.perf_counter()
    vectorizer = features()
    x = vectorizer.fit_transform([ex.text for ex in examples])
    messages = [i for i, ex in enumerate(examples) if not ex.entry_only]

    def labels(rows: list[int], of: Callable[[Example], object]) -> np.ndarray:
        return np.array([of(examples[i]) for i in rows])

    intent = TemperedSVC(balanced=True).fit(x[messages], labels(messages, lambda ex: ex.intent))
    danger = _danger_head().fit(x[messages], labels(messages, lambda ex: int(ex.emergency)))
    rp = [i for i in messages if examples[i].intent == "report"]
    danger_in_report = _danger_head().fit(x[rp], labels(rp, lambda ex: int(ex.emergency)))
    em = [i for i in messages if examples[i].emergency]
    kind = TemperedSVC(balanced=True).fit(x[em], labels(em, lambda ex: ex.label))
    fq = [i for i, ex in enumerate(examples) if ex.intent == "faq"]
    entry = TemperedSVC().fit(x[fq], labels(fq, lambda ex: ex.label))
    topic = TemperedSVC(c=0.2).fit(x[fq], labels(fq, lambda ex: entry_topics[ex.label]))
    category = TemperedSVC(balanced=True).fit(x[rp], labels(rp, lambda ex: ex.category))
    return Models(vectorizer, intent, danger, danger_in_report, kind, entry, topic, category,
                  trained_seconds=time.perf_counter() - started, entry_topics=dict(entry_topics))


def cache_key(kb_fingerprint: str | None = None) -> str:
    fp = kb_fingerprint or corpus.fingerprint()
    return f"v{MODEL_VERSION}-sk{sklearn.__version__}-{fp[:16]}"


def train(kb: KnowledgeBase, cache_dir: Path = CACHE_DIR) -> Models:
    """Train on the corpus and the KB and store the models in the cache."""
    examples = corpus.load(kb)
    problems = corpus.check(examples, kb)
    if problems:
        raise CorpusError("; ".join(problems[:10]))
    models = fit(examples, {e.id: e.topic for e in kb.entries})
    models.key = cache_key()
    cache_dir.mkdir(parents=True, exist_ok=True)
    # written to a temporary file and renamed: a second process never reads half a model
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    os.close(fd)
    joblib.dump(models, tmp, compress=1)  # zlib level 1: 1/4 of the size, loads as fast as raw
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
        except Exception as exc:  # noqa: BLE001 - whatever broke the file, the remedy is the same: train anew
            log.warning("the cached language models are unreadable (%s); training again", type(exc).__name__)
    return train(kb, cache_dir)

