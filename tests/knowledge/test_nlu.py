"""The language models: trained on the corpus, cached under the corpus hash, retrained when
the corpus changes, and reading what each head is for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import corpus, nlu
from knowledge.errors import CorpusError
from knowledge.kb import load

CORPUS = {
    "faq/paspor.txt": "paspor-cara-buat | bikin paspor dmn\npaspor-cara-buat | cara urus paspor kerja\n\n"
                      "paspor-masa-berlaku | paspor berlaku brp thn\npaspor-masa-berlaku | masa berlaku paspor\n",
    "report/wages.txt": "wages | gaji sy blm dibayar 3 bln\nwages | majikan tak bayar gaji\n\n"
                        "wages | gajiku dipotong terus\nwages | upah lembur gk dibayar\n",
    "emergency/confinement.txt": "confinement | sy dikunci di rumah majikan\nconfinement | gak boleh keluar pagar\n\n"
                                 "confinement | pintu digembok dari luar\nconfinement | kami dikurung di mess\n",
    "emergency/self_harm.txt": "self_harm | sy mau minum racun aja\nself_harm | titip anak2 ya, sy pamit\n\n"
                               "self_harm | mending sy lompat dr lantai 9\nself_harm | gak kuat hidup lg\n",
    "greeting.txt": "hello | halo kak\nhello | pagi min\n\nthanks | makasih ya\nthanks | terima kasih\n",
    "out_of_scope.txt": "plain | resep rendang\nplain | jadwal bola\n\ntricky | sinetron istri dikurung\n"
                        "tricky | anak berantem di sekolah\n",
}


@pytest.fixture
def small_corpus(tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "corpus"
    for name, text in CORPUS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(corpus, "CORPUS_DIR", root)
    monkeypatch.setattr(corpus.load, "__defaults__", (root,))
    monkeypatch.setattr(corpus.fingerprint, "__defaults__", (root, corpus.KB_DIR))
    return root


def test_models_are_cached_and_a_changed_corpus_trains_new_ones(small_corpus: Path, tmp_path: Path) -> None:
    kb = load()
    cache = tmp_path / "cache"
    first = nlu.load(kb, cache)
    assert first.trained_seconds > 0 and [p.stem for p in cache.glob("*.joblib")] == [first.key]
    again = nlu.load(kb, cache)
    assert again.key == first.key and again is not first  # read from the cache, not trained again
    with (small_corpus / "greeting.txt").open("a", encoding="utf-8") as f:
        f.write("\nbye | dadah kak\nbye | sampai jumpa\n")
    changed = nlu.load(kb, cache)
    assert changed.key != first.key
    assert [p.stem for p in cache.glob("*.joblib")] == [changed.key]  # the stale model is gone


def test_an_unreadable_cache_file_is_trained_again(small_corpus: Path, tmp_path: Path) -> None:
    kb = load()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{nlu.cache_key()}.joblib").write_bytes(b"not a model")
    assert nlu.load(kb, cache).key == nlu.cache_key()


def test_a_corpus_with_an_unknown_label_does_not_train(small_corpus: Path, tmp_path: Path) -> None:
    (small_corpus / "report" / "wages.txt").write_text("gaji | gaji telat\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="gaji"):
        nlu.train(load(), tmp_path / "cache")


def test_the_shipped_models_read_each_head(ctx) -> None:  # type: ignore[no-untyped-def]
    models = ctx.understanding.models
    faq, report, danger, oos = models.read_many([
        "syarat jadi pmi apa aja", "gaji saya belum dibayar tiga bulan",
        "saya dikunci di kamar oleh majikan dan tidak diberi makan", "resep rendang padang"])
    assert faq.intent == "faq" and ctx.kb.entry(faq.entries[0][0]).topic == "syarat-pmi"
    assert report.intent == "report" and report.category == "wages" and report.danger_p < 0.25
    assert danger.danger_p >= 0.6 and danger.danger_kind in ("confinement", "starvation")
    assert oos.intent == "out_of_scope" and oos.danger_p < 0.25
    assert abs(sum(faq.intent_probs.values()) - 1) < 1e-6


def test_the_fast_reading_equals_scikit_learns_own(ctx) -> None:  # type: ignore[no-untyped-def]
    """`tfidf` and `margins_of` skip scikit-learn's per-call checks; the numbers must not change."""
    models = ctx.understanding.models
    texts = ["", "???", "gajih blm dibyr 3 bln", "Saya DIKUNCI majikan!!", "cek PT Sinar Jaya Abadi " * 20]
    for _, part in models.vectorizer.transformer_list:
        fast, slow = nlu.tfidf(part, texts), part.transform(texts)
        assert np.allclose(fast.toarray(), slow.toarray(), atol=1e-6)
    x = models.vectorizer.transform(texts)
    assert np.allclose(nlu.margins_of(models.entry.svm, x), models.entry.svm.decision_function(x), atol=1e-5)
    assert np.allclose(nlu.danger_of(models.danger, x), models.danger.predict_proba(x)[:, 1], atol=1e-6)


def test_the_entry_models_favourite_is_offered_when_its_topic_loses(ctx) -> None:  # type: ignore[no-untyped-def]
    """Entry and topic models disagree: the winning topic's entries come first, but an entry the
    entry model is sure of is never dropped from the list (it becomes a choice, not "cannot answer")."""
    models = ctx.understanding.models
    names = [str(c) for c in models.entry.classes_]
    topics = [str(t) for t in models.topic.classes_]
    favourite = names[0]
    losing = models.entry_topics[favourite]
    winning = next(t for t in topics if t != losing)
    p = np.full(len(names), 0.03 / (len(names) - 1))
    p[0] = 0.97
    topic_p = np.zeros(len(topics))
    topic_p[topics.index(winning)] = 1.0  # 0.5 + a little for `winning`, 0.485 for `losing`
    for j, name in enumerate(names):
        if models.entry_topics[name] == winning:
            p[j] += 0.001
    ranked = models._ranked_entries(p / p.sum(), topic_p)
    assert models.entry_topics[ranked[0][0]] == winning
    assert favourite in [name for name, _ in ranked]
    assert dict(ranked)[favourite] > 0.9
