"""The curated knowledge base: YAML files under knowledge/kb/, loaded and checked.

Answers never hold phone numbers or addresses; they hold placeholders such as
`{contacts.kp2mi_callcentre}` or `{office.address}` that are filled from config.yaml when
the answer is shown, so an office changes a number in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml
from rapidfuzz import fuzz, process

KB_DIR = Path(__file__).parent / "kb"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster at start-up
MAX_ANSWER_CHARS = 900
MIN_PHRASINGS = 4
PLACEHOLDER = re.compile(r"\{([a-z_]+)\.([a-z0-9_]+)\}")
REQUIRED = ("id", "topic", "question", "phrasings", "answer", "sources", "reviewed", "related")
UNCONFIRMED = "belum dikonfirmasi, silakan tanyakan ke petugas"


@dataclass(frozen=True)
class Topic:
    id: str
    title: str


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    question: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    reviewed: dt.date
    related: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id().get(entry_id)

    def _by_id(self) -> dict[str, Entry]:
        cached = self.__dict__.get("_by_id_cache")
        if cached is None:
            cached = {e.id: e for e in self.entries}
            object.__setattr__(self, "_by_id_cache", cached)
        return cached


class KnowledgeBaseError(ValueError):
    """The KB files are not readable as a knowledge base at all."""


def _entry_from(raw: dict, source: str) -> Entry:
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise KnowledgeBaseError(f"{source}: entry {raw.get('id', '?')!r} lacks {', '.join(missing)}")
    reviewed = raw["reviewed"]
    if isinstance(reviewed, str):
        reviewed = dt.date.fromisoformat(reviewed)
    return Entry(
        id=str(raw["id"]),
        topic=str(raw["topic"]),
        question=str(raw["question"]).strip(),
        phrasings=tuple(str(p).strip() for p in raw["phrasings"] or ()),
        keywords=tuple(str(k).strip() for k in raw.get("keywords") or ()),
        answer=str(raw["answer"]).strip(),
        sources=tuple(str(s).strip() for s in raw["sources"] or ()),
        reviewed=reviewed,
        related=tuple(str(r) for r in raw["related"] or ()),
    )


def load(kb_dir: Path = KB_DIR) -> KnowledgeBase:
    topics_file = kb_dir / "_topics.yaml"
    if not topics_file.exists():
        raise KnowledgeBaseError(f"{topics_file} is missing")
    topics = tuple(Topic(str(t["id"]), str(t["title"])) for t in yaml.load(topics_file.read_text("utf-8"), Loader=_Loader)["topics"])
    entries: list[Entry] = []
    for path in sorted(kb_dir.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            data = yaml.load(path.read_text("utf-8"), Loader=_Loader) or {}
        except yaml.YAMLError as exc:
            raise KnowledgeBaseError(f"{path.name}: not valid YAML: {exc}") from exc
        for raw in data.get("entries") or ():
            entries.append(_entry_from(raw, path.name))
    return KnowledgeBase(topics=topics, entries=tuple(entries))


def render(text: str, values: Mapping[str, Mapping[str, object]]) -> str:
    """Fill `{section.key}` placeholders; an unset value says it is not confirmed yet."""

    def fill(m: re.Match[str]) -> str:
        value = values.get(m.group(1), {}).get(m.group(2))
        return UNCONFIRMED if value in (None, "") else str(value)

    return PLACEHOLDER.sub(fill, text)


def check(kb: KnowledgeBase, values: Mapping[str, Mapping[str, object]], required_topics: list[str] | None = None,
          forbidden_texts: list[str] | None = None) -> list[str]:
    """Every problem of the KB as one line each; an empty list means it is fit to ship."""
    problems: list[str] = []
    topic_ids = {t.id for t in kb.topics}
    seen: set[str] = set()
    ids = {e.id for e in kb.entries}
    covered = {e.topic for e in kb.entries}
    forbidden = {" ".join(t.lower().split()) for t in forbidden_texts or ()}
    for e in kb.entries:
        where = f"entry {e.id}"
        if e.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(e.id)
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", e.id):
            problems.append(f"{where}: id must be lowercase-with-dashes")
        if e.topic not in topic_ids:
            problems.append(f"{where}: unknown topic {e.topic!r}")
        if len(e.phrasings) < MIN_PHRASINGS:
            problems.append(f"{where}: {len(e.phrasings)} phrasings, needs at least {MIN_PHRASINGS}")
        if not e.sources or any(not s for s in e.sources):
            problems.append(f"{where}: no source")
        if e.reviewed > dt.date.today():
            problems.append(f"{where}: reviewed date {e.reviewed} is in the future")
        for section, key in PLACEHOLDER.findall(e.answer):
            if key not in (values.get(section) or {}) :
                problems.append(f"{where}: placeholder {{{section}.{key}}} is not in config.yaml")
        rendered = render(e.answer, values)
        if len(rendered) > MAX_ANSWER_CHARS:
            problems.append(f"{where}: answer is {len(rendered)} characters, at most {MAX_ANSWER_CHARS}")
        if re.search(r"[{}]", PLACEHOLDER.sub("", e.answer)):
            problems.append(f"{where}: stray brace in answer")
        if re.search(r"(\+?\d[\d\s-]{7,}\d)", PLACEHOLDER.sub("", e.answer)):
            problems.append(f"{where}: a phone number in the answer text; put it in config.yaml contacts")
        for r in e.related:
            if r == e.id or r not in ids:
                problems.append(f"{where}: related id {r!r} does not exist")
        for text in (e.question, *e.phrasings):
            folded = " ".join(text.lower().split())
            if folded in forbidden or (forbidden and process.extractOne(folded, forbidden, scorer=fuzz.ratio,
                                                                          score_cutoff=85)):
                problems.append(f"{where}: phrasing copied from an evaluation set: {text!r}")
    for t in required_topics or ():
        if t not in topic_ids:
            problems.append(f"topic {t}: missing from _topics.yaml")
        elif t not in covered:
            problems.append(f"topic {t}: no entry")
    return problems
