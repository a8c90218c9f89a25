import dataclasses

import pytest

from knowledge import kb as kb_module
from knowledge.faq_index import FaqIndex


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex(kb_module.load())


def test_hits_are_one_per_entry_best_first_and_bounded(index) -> None:
    hits = index.search("syarat umur jadi pmi", limit=5)
    assert len({h.entry.id for h in hits}) == len(hits) <= 5
    assert [h.confidence for h in hits] == sorted((h.confidence for h in hits), reverse=True)
    assert all(0 < h.confidence <= 1 for h in hits)
    assert hits[0].entry.topic == "syarat-pmi"


def test_slang_and_old_terms_find_the_same_entry_as_standard_words(index) -> None:
    standard = index.search("bagaimana cara menjadi pekerja migran yang resmi")[0].entry.id
    slang = index.search("gmn cara jd tkw yg resmi")[0].entry.id
    assert standard == slang


def test_words_the_kb_never_uses_give_no_or_low_confidence(index) -> None:
    assert index.search("") == []
    assert index.search("zxqv blorf") == []
    hits = index.search("resep rendang padang pedas")
    assert not hits or hits[0].confidence < 0.35


def test_a_single_shared_word_is_not_a_confident_match(index) -> None:
    hits = index.search("kerja")
    assert not hits or hits[0].confidence < 0.7


def test_growing_the_kb_keeps_the_right_entry_on_top() -> None:
    kb = kb_module.load()
    bigger = dataclasses.replace(kb, entries=kb.entries + tuple(
        dataclasses.replace(e, id=f"{e.id}-copy", phrasings=("lain lain",), keywords=(), answer="x", related=())
        for e in kb.entries))
    hits = FaqIndex(bigger).search("apa bedanya visa kerja dengan visa turis")
    assert hits[0].entry.topic == "visa-izin-kerja" and not hits[0].entry.id.endswith("-copy")
