"""The training corpus: readable, labelled with real ids, covering every topic and danger kind,
big enough per intent, and never a copy of an evaluation line."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process, utils

from knowledge import corpus
from knowledge.corpus import DANGER_KINDS
from knowledge.errors import CorpusError
from knowledge.kb import load

ROOT = Path(__file__).resolve().parents[2]
DEV_SETS = ROOT.parent / "shared" / "eval"
PROBES = ROOT / "eval" / "probes.txt"


@pytest.fixture(scope="module")
def kb():  # type: ignore[no-untyped-def]
    return load()


@pytest.fixture(scope="module")
def examples(kb):  # type: ignore[no-untyped-def]
    return [ex for ex in corpus.load(kb) if not ex.group.startswith("kb:")]


def test_every_label_names_a_real_entry_category_kind_or_tag(kb, examples) -> None:
    assert corpus.check(examples, kb) == []


def test_a_wrong_label_is_reported_with_its_scenario(kb, tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "paspor.txt").write_text("paspor-tidak-ada | bikin paspor dmn\n", encoding="utf-8")
    problems = corpus.check(corpus.load(kb, tmp_path), kb)
    assert any("paspor-tidak-ada" in p and "faq/paspor.txt" in p for p in problems)


def test_a_line_without_a_label_stops_loading_with_file_and_line(kb, tmp_path: Path) -> None:
    (tmp_path / "greeting.txt").write_text("hello | halo\n\nhai kak tanpa label\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="greeting.txt:3"):
        corpus.load(kb, tmp_path)


def test_blank_lines_separate_scenarios(kb, tmp_path: Path) -> None:
    (tmp_path / "human.txt").write_text("human | a\nhuman | b\n\nhuman | c\n", encoding="utf-8")
    groups = [ex.group for ex in corpus.load(kb, tmp_path) if not ex.group.startswith("kb:")]
    assert groups[0] == groups[1] != groups[2]


def test_every_entry_and_topic_has_enough_questions(kb, examples) -> None:
    per_entry = collections.Counter(ex.label for ex in examples if ex.intent == "faq")
    per_topic = collections.Counter(kb.entry(ex.label).topic for ex in examples if ex.intent == "faq")
    thin = {e.id: per_entry[e.id] for e in kb.entries if per_entry[e.id] < 30}
    assert thin == {}
    assert {t.id: per_topic[t.id] for t in kb.topics if per_topic[t.id] < 50} == {}
    assert sum(per_entry.values()) >= 1500


def test_every_danger_kind_has_examples(examples) -> None:
    kinds = collections.Counter(ex.label for ex in examples if ex.emergency)
    assert {k: kinds[k] for k in DANGER_KINDS if kinds[k] < 30} == {}
    assert sum(kinds.values()) >= 500


def test_every_intent_reaches_its_size(examples) -> None:
    reports = collections.Counter(ex.label for ex in examples if ex.intent == "report" and not ex.emergency)
    assert sum(reports.values()) >= 600
    assert set(reports) == set(corpus.CATEGORIES)
    sizes = collections.Counter(ex.intent for ex in examples)
    assert sizes["licence_check"] >= 200 and sizes["greeting"] >= 150 and sizes["human"] >= 100
    oos = collections.Counter(ex.label for ex in examples if ex.intent == "out_of_scope")
    assert sum(oos.values()) >= 400 and oos["tricky"] >= 100  # a quarter of the 400 required


def _near_copies(lines: list[str], others: list[str], cutoff: float = 85) -> list[tuple[str, str]]:
    found = []
    for line in lines:
        hit = process.extractOne(line, others, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=cutoff)
        if hit:
            found.append((line, hit[0]))
    return found


@pytest.mark.skipif(not DEV_SETS.is_dir(), reason="the development sets are not beside this checkout")
def test_no_line_is_a_near_copy_of_a_development_line(examples) -> None:
    dev = [json.loads(line)["text"] for path in sorted(DEV_SETS.glob("intent-*.jsonl"))
           for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert _near_copies([ex.text for ex in examples], dev) == []


def test_no_probe_is_trained_on(examples) -> None:
    probes = [ex.text for ex in corpus.read_file(PROBES, "probe", False, PROBES.name)]
    assert len(probes) >= 120
    assert _near_copies(probes, [ex.text for ex in examples]) == []
