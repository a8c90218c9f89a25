"""The training corpus (knowledge/corpus/, format in its README) read as labelled examples.

Every example carries its scenario (file + block), so evaluation can split by scenario and
near-identical lines never sit on both sides of a split. The knowledge base's own questions
and phrasings are examples too: each entry is one scenario.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import CorpusError
from knowledge.kb import KB_DIR, PLACEHOLDER, KnowledgeBase

CORPUS_DIR = Path(__file__).parent / "corpus"
INTENTS = ("faq", "report", "licence_check", "human", "greeting", "out_of_scope")
CATEGORIES = ("trafficking", "violence", "wages", "passport", "lost_contact", "illegal_recruiter", "stranded", "other")
# Danger kind -> the case category an emergency of that kind opens (corpus README).
DANGER_KINDS: dict[str, str] = {
    "self_harm": "other",
    "confinement": "trafficking",
    "physical_violence": "violence",
    "sexual_violence": "violence",
    "sexual_exploitation": "trafficking",
    "threat": "violence",
    "abduction": "trafficking",
    "minor": "trafficking",
    "transport": "stranded",
    "fled": "stranded",
    "injury": "other",
    "starvation": "violence",
    "forced_criminality": "trafficking",
    "forced_labour": "trafficking",
}
SEPARATOR = " | "
# Sub-tags of the single-intent files (README); anything else there is a typo.
_TAGS = {
    "licence_check": {"name", "number", "both", "offer"},
    "human": {"human"},
    "greeting": {"hello", "thanks", "menu", "bye"},
    "out_of_scope": {"plain", "tricky"},
}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    label: str  # entry id (faq), category (report), danger kind (emergency) or the file's sub-tag
    group: str  # the scenario: "file:block"
    emergency: bool = False
    entry_only: bool = False  # a KB answer line or keyword: teaches which entry, not what a message is

    @property
    def category(self) -> str | None:
        if self.intent != "report":
            return None
        return DANGER_KINDS[self.label] if self.emergency else self.label


def _intent_of(path: Path, root: Path) -> tuple[str, bool]:
    rel = path.relative_to(root)
    if rel.parts[0] == "faq":
        return "faq", False
    if rel.parts[0] == "report":
        return "report", False
    if rel.parts[0] == "emergency":
        return "report", True
    return rel.stem, False


def read_file(path: Path, intent: str, emergency: bool, name: str) -> list[Example]:
    examples: list[Example] = []
    block = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            block += 1
            continue
        if line.startswith("#"):
            continue
        label, sep, text = line.partition(SEPARATOR)
        if not sep or not text.strip() or not label.strip():
            raise CorpusError(f"{name}:{n}: expected 'label | text'")
        examples.append(Example(text.strip(), intent, label.strip(), f"{name}:{block}", emergency))
    return examples


def load(kb: KnowledgeBase, root: Path = CORPUS_DIR) -> list[Example]:
    """All training examples: the corpus files, then the KB's questions and phrasings."""
    examples: list[Example] = []
    for path in sorted(root.rglob("*.txt")):
        intent, emergency = _intent_of(path, root)
        name = str(path.relative_to(root))
        if intent not in INTENTS:
            raise CorpusError(f"{name}: no intent is named {intent!r}")
        examples.extend(read_file(path, intent, emergency, name))
    examples.extend(kb_examples(kb))
    return examples


def kb_examples(kb: KnowledgeBase) -> list[Example]:
    """Each entry's question and phrasings; its keywords and answer lines for the entry model only
    (people ask about details that only the answer names)."""
    examples = []
    for e in kb.entries:
        group = f"kb:{e.id}"
        examples += [Example(text, "faq", e.id, group) for text in (e.question, *e.phrasings)]
        examples += [Example(k, "faq", e.id, group, entry_only=True) for k in e.keywords]
        for line in PLACEHOLDER.sub(" ", f"{e.answer}\n{e.more}").splitlines():  # details behind "Selengkapnya" too
            line = line.strip(" •-")
            if len(line) > 20 and not line.startswith("Dasar"):  # the legal basis line names laws, not the subject
                examples.append(Example(line, "faq", e.id, group, entry_only=True))
    return examples


def check(examples: list[Example], kb: KnowledgeBase) -> list[str]:
    """Problems with the labels: an unknown entry id, category, danger kind or sub-tag."""
    entry_ids = {e.id for e in kb.entries}
    problems = []
    for ex in examples:
        if ex.intent == "faq":
            ok = ex.label in entry_ids
        elif ex.intent == "report":
            ok = ex.label in (DANGER_KINDS if ex.emergency else CATEGORIES)
        else:
            ok = ex.label in _TAGS[ex.intent]
        if not ok:
            problems.append(f"{ex.group}: unknown label {ex.label!r} for {ex.intent}")
    return problems


def fingerprint(root: Path = CORPUS_DIR, kb_dir: Path = KB_DIR) -> str:
    """A hash of every file the models learn from: a changed line means a new model."""
    h = hashlib.sha256()
    for base in (root, kb_dir):
        for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in (".txt", ".yaml")):
            h.update(str(path.relative_to(base)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()
