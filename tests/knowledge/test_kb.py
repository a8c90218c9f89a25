import datetime as dt
from pathlib import Path

import pytest

from bot.settings import load_settings
from knowledge import kb as kb_module
from knowledge.topics_spec import REQUIRED_TOPICS

ROOT = Path(__file__).resolve().parents[2]
SHARED_TOPICS = ROOT.parent / "shared" / "spec" / "topics.md"


@pytest.fixture(scope="module")
def values():
    return load_settings(ROOT / "config.yaml", env={}).placeholder_values()


def test_shipped_kb_passes_every_check(values) -> None:
    kb = kb_module.load()
    assert kb_module.check(kb, values, list(REQUIRED_TOPICS)) == []
    assert len(kb.entries) >= 80


def test_required_topics_match_the_spec_when_it_is_present() -> None:
    if not SHARED_TOPICS.exists():
        pytest.skip("shared/spec/topics.md is not beside the project")
    spec_ids = {line.split("`")[1] for line in SHARED_TOPICS.read_text().splitlines()
                if line.startswith("| `")}
    assert spec_ids == set(REQUIRED_TOPICS)


def _entry(**over):
    base = dict(id="paspor-x", topic="paspor", question="Q?", phrasings=("a", "b", "c", "d"), keywords=(),
                answer="Jawab. Hubungi {contacts.kp2mi_callcentre}.", sources=("UU 18/2017",),
                reviewed=dt.date(2026, 11, 1), related=())
    base.update(over)
    return kb_module.Entry(**base)


@pytest.mark.parametrize("over, problem", [
    (dict(sources=()), "no source"),
    (dict(phrasings=("a",)), "phrasings"),
    (dict(answer="x" * 901), "characters"),
    (dict(answer="Telepon +62 812 9007 0027 sekarang"), "phone number"),
    (dict(answer="Hubungi {contacts.nope}"), "not in config.yaml"),
    (dict(related=("missing-id",)), "related id"),
    (dict(topic="unknown-topic"), "unknown topic"),
    (dict(reviewed=dt.date.today() + dt.timedelta(days=2)), "future"),
    (dict(id="Bad Id"), "lowercase"),
])
def test_check_reports_each_kind_of_problem(values, over, problem) -> None:
    kb = kb_module.KnowledgeBase(topics=(kb_module.Topic("paspor", "Paspor"),), entries=(_entry(**over),))
    problems = kb_module.check(kb, values)
    assert any(problem in p for p in problems), problems


def test_check_finds_duplicate_ids_missing_topics_and_copied_eval_lines(values) -> None:
    kb = kb_module.KnowledgeBase(topics=(kb_module.Topic("paspor", "Paspor"), kb_module.Topic("visa-izin-kerja", "V")),
                                 entries=(_entry(), _entry(phrasings=("a", "b", "c", "Apa itu X?"))))
    problems = kb_module.check(kb, values, ["paspor", "visa-izin-kerja"], forbidden_texts=["apa itu  x?"])
    assert any("duplicate id" in p for p in problems)
    assert any("topic visa-izin-kerja: no entry" in p for p in problems)
    assert any("copied from an evaluation set" in p for p in problems)


def test_render_fills_config_values_and_admits_unknown_office_details() -> None:
    out = kb_module.render("{contacts.a} / {office.address}", {"contacts": {"a": "0800"}, "office": {"address": None}})
    assert out.startswith("0800 / ")
    assert "belum dikonfirmasi" in out


def test_kb_copies_no_line_of_the_development_set(values) -> None:
    dev = ROOT.parent / "shared" / "eval" / "intent-dev.jsonl"
    if not dev.exists():
        pytest.skip("the development set is not beside the project")
    import json

    texts = [json.loads(line)["text"] for line in dev.read_text().splitlines() if line.strip()]
    problems = kb_module.check(kb_module.load(), values, forbidden_texts=texts)
    assert [p for p in problems if "evaluation set" in p] == []
