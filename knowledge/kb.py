"""The curated knowledge base: YAML files under knowledge/kb/, loaded and checked.

Answers never hold phone numbers or addresses; they hold placeholders such as
`{contacts.kp2mi_callcentre}` or `{office.address}` that are filled from config.yaml when
the answer is shown, so an office changes a number in one place.

An entry's `answer` is the first message and fits one phone screen: the one action that matters
and the number to call. Its optional `more` holds the details, steps and legal basis ("Dasar: ...")
that the bot shows behind a "Selengkapnya" button.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from knowledge.errors import KnowledgeBaseError

KB_DIR = Path(__file__).parent / "kb"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster at start-up
MAX_ANSWER_CHARS = 350  # the first message, rendered: one phone screen
MAX_MORE_CHARS = 900  # the details behind "Selengkapnya", rendered
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
    more: str = ""  # details, steps and legal basis, shown on request


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


def _entry_from(raw: dict[str, Any], source: str) -> Entry:
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
        more=str(raw.get("more") or "").strip(),
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


# English words people in the villages do not know. Each is allowed where an Indonesian explanation
# follows in brackets or stands in the same sentence (one of its glosses). Keep the list short and here.
JARGON: dict[str, tuple[str, ...]] = {
    "job order": ("permintaan tenaga kerja", "permintaan pekerja", "pesanan kerja", "lowongan resmi"),
    "G to G": ("antarpemerintah", "pemerintah ke pemerintah", "antar pemerintah"),
    "P to P": ("lewat perusahaan", "melalui perusahaan", "perusahaan penempatan"),
    "caregiver": ("perawat", "pengasuh", "pendamping lansia"),
    "online scam": ("penipuan daring", "penipuan online", "penipuan lewat internet"),
    "overstay": ("melewati izin tinggal", "melebihi izin tinggal", "izin tinggal habis", "izin tinggalnya habis"),
    "direct hiring": ("rekrut langsung", "direkrut langsung", "langsung oleh majikan", "tanpa agen"),
    "work permit": ("izin kerja",),
    "shelter": ("penampungan", "rumah aman", "rumah singgah", "tempat tinggal sementara"),
}
_JARGON = {term: re.compile(r"(?<![\w-])" + r"[\s-]*".join(map(re.escape, term.split())) + r"(?![\w-])",
                           re.IGNORECASE) for term in JARGON}
_SENTENCE_END = re.compile(r"\n|[.!?;]+(?=\s|$)")  # a line (bullet) ends a sentence too
LABEL_CHARS = 64  # the Telegram adapter cuts button labels here: longer ones that start alike look the same
# a contact value's own name: an acronym (KBRI, KP2MI) or a capitalised word (Kemlu, Johor, WhatsApp)
_NAME_WORD = re.compile(r"\b[A-Z][A-Za-z0-9]{2,}\b")
_NOT_A_NAME = {"indonesia", "wni"}  # qualifiers ("dari Indonesia", "bahasa Indonesia"), not whose number it is


def _fold(label: str) -> str:
    return " ".join(label.lower().split()).rstrip("?.! ")[:LABEL_CHARS]


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence (or bullet line) holding text[start:end]."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return left, right.start() if right else len(text)


def unexplained_jargon(text: str) -> list[str]:
    """The terms of JARGON that appear in `text` with no Indonesian explanation at their first use."""
    found = []
    for term, pattern in _JARGON.items():
        m = pattern.search(text)
        if m is None:
            continue
        after = text[m.end():].lstrip()
        if after.startswith("(") or text[:m.start()].rstrip().endswith("("):
            continue  # "job order (permintaan tenaga kerja)" or "penipuan daring (online scam)"
        left, right = _sentence_around(text, m.start(), m.end())
        sentence = text[left:right].lower()
        if not any(g in sentence for g in JARGON[term]):
            found.append(term)
    return found


def contacts_named_twice(text: str, contacts: Mapping[str, object]) -> list[str]:
    """Contacts whose name the sentence around `{contacts.key}` repeats, though the value names it already
    ("hotline KBRI: +60 ... (hotline KBRI Kuala Lumpur)")."""
    twice = []
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) != "contacts":
            continue
        value = str(contacts.get(m.group(2)) or "")
        names = {w for w in _NAME_WORD.findall(value) if w.lower() not in _NOT_A_NAME}
        left, right = _sentence_around(text, m.start(), m.end())
        around = PLACEHOLDER.sub(" ", text[left:m.start()] + " " + text[m.end():right])
        # an acronym counts however it is written ("kbri"); a word like "Kerja" only as a name (capitalised)
        acronyms = {w.lower() for w in names if w.isupper() or any(c.isdigit() for c in w)}
        repeated = sorted((acronyms & set(re.findall(r"\w+", around.lower())))
                          | {w.lower() for w in names & set(_NAME_WORD.findall(around))})
        if repeated:
            twice.append(f"{m.group(2)} ({', '.join(repeated)})")
    return twice


def check(kb: KnowledgeBase, values: Mapping[str, Mapping[str, object]], required_topics: list[str] | None = None,
          forbidden_texts: list[str] | None = None, fixed_labels: tuple[str, ...] = ()) -> list[str]:
    """Every problem of the KB as one line each; an empty list means it is fit to ship.

    `fixed_labels` are the bot's own buttons shown beside an answer (feedback, menu, "Selengkapnya"):
    no related question may look the same."""
    problems: list[str] = []
    topic_ids = {t.id for t in kb.topics}
    seen: set[str] = set()
    by_id = {e.id: e for e in kb.entries}
    covered = {e.topic for e in kb.entries}
    forbidden = {" ".join(t.lower().split()) for t in forbidden_texts or ()}
    questions: dict[str, str] = {}
    contacts = values.get("contacts") or {}
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
        for part, text, limit in (("answer", e.answer, MAX_ANSWER_CHARS), ("more", e.more, MAX_MORE_CHARS)):
            for section, key in PLACEHOLDER.findall(text):
                if key not in (values.get(section) or {}):
                    problems.append(f"{where}: placeholder {{{section}.{key}}} is not in config.yaml")
            rendered = render(text, values)
            if len(rendered) > limit:
                problems.append(f"{where}: {part} is {len(rendered)} characters, at most {limit}")
            if re.search(r"[{}]", PLACEHOLDER.sub("", text)):
                problems.append(f"{where}: stray brace in {part}")
            if re.search(r"(\+?\d[\d\s-]{7,}\d)", PLACEHOLDER.sub("", text)):
                problems.append(f"{where}: a phone number in the {part} text; put it in config.yaml contacts")
            for term in unexplained_jargon(text):
                problems.append(f"{where}: {part} uses {term!r} without an Indonesian explanation")
            for named in contacts_named_twice(text, contacts):
                problems.append(f"{where}: {part} names the contact {named} twice; the config value names it")
        folded = _fold(e.question)
        if folded in questions:
            problems.append(f"{where}: same question as entry {questions[folded]}")
        questions.setdefault(folded, e.id)
        labels = {_fold(label): label for label in fixed_labels}
        for r in e.related:
            if r == e.id or r not in by_id:
                problems.append(f"{where}: related id {r!r} does not exist")
                continue
            label = _fold(by_id[r].question)
            if label in labels:
                problems.append(f"{where}: two buttons look the same: {labels[label]!r} and {by_id[r].question!r}")
            labels[label] = by_id[r].question
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
