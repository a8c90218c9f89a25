"""A database with known contents for the dashboard tests, and the figures expected from it,
worked out here from the seed itself (plain Python over the lists below), not by the code under test.

The period is November 2026 in Asia/Jakarta (UTC+7). Some rows sit just inside or outside it
in local time (00:30 on 1 November is 31 October in UTC), so a day taken in UTC would show.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from knowledge import kb as kb_module
from knowledge.kb import render
from storage.db import unit_of_work
from storage.models import (
    Case,
    CaseEvent,
    CaseRecord,
    Contact,
    Conversation,
    Feedback,
    MessageLog,
    UnansweredQuestion,
)

TZ = ZoneInfo("Asia/Jakarta")
FIRST, LAST = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)  # "now" for the figures built directly
SLA = {"emergency": 15, "high": 120, "normal": 1440}

# people: the names and numbers must never appear in a report
PEOPLE = [("whatsapp", "+6281234567890", "Siti Rahayu"), ("telegram", "987654321", "Budi Santoso"),
          ("web", "sess-7f3a9c", ""), ("whatsapp", "+60123456789", "Dewi Lestari")]
SECRET_TEXT = "nomor majikan saya 0812-9999-1111"  # a message nobody may find in a report


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(dt.UTC)


@dataclass
class Spec:
    key: str
    person: int
    created: str  # local time
    category: str
    priority: str
    status: str
    claim: int | None = None  # minutes after opening
    replies: list[int] = field(default_factory=list)  # officer replies, minutes after opening
    resolve: int | None = None
    rating: int | None = None
    intake: dict = field(default_factory=dict)
    spam: bool = False
    country: str = "Tidak disebut"  # what the report names, as a person reading it would say
    recorded: str = ""  # the destination an officer recorded on the case record (wins over the words)

    @property
    def created_utc(self) -> dt.datetime:
        return local(self.created)

    def at(self, minutes: int | None) -> dt.datetime | None:
        return None if minutes is None else self.created_utc + dt.timedelta(minutes=minutes)


CASES = [
    Spec("A", 0, "2026-11-02 09:00", "wages", "normal", "resolved", 30, [45, 300], 2 * 1440, 5,
         {"what": "gaji saya tidak dibayar di Malaysia, " + SECRET_TEXT, "where": "Malaysia"}, country="Malaysia"),
    Spec("B", 1, "2026-11-03 10:00", "passport", "high", "closed", 10, [200], 600, 3,
         {"what": "paspor ditahan majikan di Singapura"}, country="Singapura"),
    Spec("C", 2, "2026-11-10 08:00", "trafficking", "emergency", "claimed", 5, [10], intake={"what": "tolong saya dikurung"},
         recorded="Kamboja", country="Kamboja"),
    Spec("D", 3, "2026-11-11 12:00", "violence", "emergency", "new", intake={"what": "dipukul majikan di Hong Kong"},
         country="Hong Kong"),
    Spec("E", 0, "2026-11-20 07:00", "wages", "normal", "waiting", 60, [1500], intake={"where": "Taiwan"},
         recorded="Hong Kong", country="Hong Kong"),
    Spec("N", 3, "2026-11-21 07:00", "wages", "normal", "new", intake={"where": "Taiwan"},
         recorded="rumah majikan, Jl. Mawar 5", country="Taiwan"),  # an officer's note that names no country
    Spec("F", 1, "2026-11-25 22:00", "other", "normal", "resolved", 20, [], 40, 4),
    Spec("G", 2, "2026-11-28 09:00", "other", "normal", "closed", None, [], 5, intake={"what": "Malaysia"}, spam=True),
    Spec("H", 3, "2026-10-30 09:00", "wages", "high", "resolved", 15, [30], 4 * 1440, 2, {"where": "Malaysia"},
         country="Malaysia"),
    Spec("I", 0, "2026-11-30 23:30", "stranded", "high", "new", intake={"what": "terlantar di Johor"},
         country="Malaysia"),
    Spec("J", 1, "2026-12-01 00:30", "wages", "normal", "new", intake={"what": "gaji di Malaysia"}),
    Spec("K", 2, "2026-09-01 10:00", "other", "normal", "new"),
    Spec("L", 3, "2026-11-29 10:00", "lost_contact", "high", "claimed", 30, [90], intake={"where": "Arab Saudi"},
         country="Arab Saudi"),
    Spec("M", 1, "2026-11-01 00:30", "illegal_recruiter", "normal", "resolved", 120, [60], 1440, 1,
         {"what": "agen minta uang, katanya kerja di Jepang"}, country="Jepang"),
]

# inbound messages (person, local time); plus outbound rows that must not count
INBOUND = [(0, "2026-11-01 00:30"), (0, "2026-11-01 08:00"), (1, "2026-11-01 09:00"), (2, "2026-11-02 10:00"),
           (3, "2026-11-15 23:59"), (3, "2026-11-16 00:01"), (1, "2026-11-30 23:59"), (2, "2026-11-30 12:00"),
           (0, "2026-10-31 23:59"), (1, "2026-12-01 00:00")]
FAQ_ANSWERS = [("jaminan-sosial-iuran", 3), ("cek-p3mi-cara", 2), ("paspor-ditahan-boleh", 1)]
FEEDBACK = [("jaminan-sosial-iuran", True, "2026-11-05 10:00"), ("jaminan-sosial-iuran", True, "2026-11-06 10:00"),
            ("jaminan-sosial-iuran", False, "2026-11-07 10:00"), ("cek-p3mi-cara", False, "2026-11-08 10:00"),
            ("cek-p3mi-cara", True, "2026-10-08 10:00")]
UNANSWERED = [("Berapa gaji di Jepang?", "2026-11-03 10:00", None), ("  berapa gaji di jepang? ", "2026-11-04 10:00", None),
              ("BERAPA GAJI DI JEPANG?", "2026-11-05 10:00", None),
              ("Apa itu visa kerja Korea?", "2026-11-06 10:00", "jaminan-sosial-iuran"),
              ("Berapa gaji di Jepang?", "2026-10-03 10:00", None)]


def entries_for_test(kb) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Real entry ids of three topics, so the test does not break when the KB renames one."""
    by_topic: dict[str, str] = {}
    for e in kb.entries:
        by_topic.setdefault(e.topic, e.id)
    return {"jaminan-sosial-iuran": by_topic["jaminan-sosial"], "cek-p3mi-cara": by_topic["cek-p3mi"],
            "paspor-ditahan-boleh": by_topic["paspor-ditahan"]}


def seed(db, values, kb=None) -> None:  # type: ignore[no-untyped-def]
    """Write the rows above (ORM objects, one transaction). `kb`: the one the service answers with."""
    kb = kb or kb_module.load()
    ids = entries_for_test(kb)
    with unit_of_work(db) as s:
        convs = []
        for channel, address, name in PEOPLE:
            contact = Contact(urn=f"{channel}:{address}", channel=channel, address=address, display_name=name)
            s.add(contact)
            s.flush()
            conv = Conversation(contact_id=contact.id)  # type: ignore[arg-type]
            s.add(conv)
            s.flush()
            convs.append((contact, conv))
        for spec in CASES:
            contact, conv = convs[spec.person]
            case = Case(number=f"MC-2026-9{spec.key}", contact_id=contact.id, conversation_id=conv.id,  # type: ignore[arg-type]
                        category=spec.category, priority=spec.priority,
                        priority_rank={"emergency": 0, "high": 1, "normal": 2}[spec.priority],
                        emergency=spec.priority == "emergency", status=spec.status,
                        summary=f"{contact.display_name} {SECRET_TEXT}", intake=spec.intake,
                        created_at=spec.created_utc, sla_due_at=spec.created_utc, claimed_at=spec.at(spec.claim),
                        resolved_at=spec.at(spec.resolve), rating=spec.rating,
                        spam_closed_from="new" if spec.spam else None, suspected_spam=spec.spam)
            s.add(case)
            s.flush()
            if spec.recorded:
                s.add(CaseRecord(case_id=case.id, destination_country=spec.recorded, updated_by="petugas1"))  # type: ignore[arg-type]
            s.add(CaseEvent(case_id=case.id, kind="created", actor="bot", created_at=spec.created_utc))  # type: ignore[arg-type]
            for minutes in spec.replies:
                at = spec.at(minutes)
                s.add(CaseEvent(case_id=case.id, kind="replied", actor="petugas1", created_at=at))  # type: ignore[arg-type]
                s.add(MessageLog(conversation_id=conv.id, direction="out", author="officer:petugas1",  # type: ignore[arg-type]
                                 text=f"Halo {contact.display_name}, hubungi {contact.address}", created_at=at))
        for person, when in INBOUND:
            conv = convs[person][1]
            s.add(MessageLog(conversation_id=conv.id, direction="in", author="user",  # type: ignore[arg-type]
                             text=f"{SECRET_TEXT} {PEOPLE[person][2]}", created_at=local(when)))
            s.add(MessageLog(conversation_id=conv.id, direction="out", author="bot", text="balasan",  # type: ignore[arg-type]
                             created_at=local(when) + dt.timedelta(seconds=1)))
        from flows import phrases

        conv = convs[0][1]
        for alias, times in FAQ_ANSWERS:
            entry = kb.entry(ids[alias])
            text = f"{render(entry.answer, values)}\n\n{phrases.HELPFUL_Q}"
            for i in range(times):
                s.add(MessageLog(conversation_id=conv.id, direction="out", author="bot", text=text, intent="faq",  # type: ignore[arg-type]
                                 entry_id=entry.id,
                                 created_at=local(f"2026-11-1{i} 10:00")))
        s.add(MessageLog(conversation_id=conv.id, direction="out", author="bot", text=phrases.DID_YOU_MEAN,  # type: ignore[arg-type]
                         intent="faq", created_at=local("2026-11-12 10:00")))
        entry = kb.entry(ids["cek-p3mi-cara"])  # an answer from October: outside the period
        s.add(MessageLog(conversation_id=conv.id, direction="out", author="bot", intent="faq", entry_id=entry.id,  # type: ignore[arg-type]
                         text=f"{render(entry.answer, values)}\n\n{phrases.HELPFUL_Q}", created_at=local("2026-10-12 10:00")))
        for alias, helpful, when in FEEDBACK:
            s.add(Feedback(conversation_id=conv.id, entry_id=ids[alias], helpful=helpful, created_at=local(when)))  # type: ignore[arg-type]
        for text, when, near in UNANSWERED:
            s.add(UnansweredQuestion(conversation_id=conv.id, text=text, created_at=local(when),  # type: ignore[arg-type]
                                     best_entry_id=ids[near] if near else None, confidence=0.1))


# --- the expected figures ------------------------------------------------------------------------


def _in_period(moment: dt.datetime | None) -> bool:
    return moment is not None and FIRST <= moment.astimezone(TZ).date() <= LAST


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def counted() -> list[Spec]:
    """Cases opened in the period, spam left out."""
    return [c for c in CASES if _in_period(c.created_utc) and not c.spam]


def messages_per_day() -> dict[tuple[dt.date, str], int]:
    out: dict[tuple[dt.date, str], int] = {}
    for person, when in INBOUND:
        moment = local(when)
        if _in_period(moment):
            key = (moment.astimezone(TZ).date(), PEOPLE[person][0])
            out[key] = out.get(key, 0) + 1
    return out


def per_week(kind: str) -> dict[tuple[dt.date, str], int]:
    out: dict[tuple[dt.date, str], int] = {}
    for c in CASES:
        moment = c.created_utc if kind == "opened" else c.at(c.resolve)
        if c.spam or not _in_period(moment):
            continue
        key = (_monday(moment.astimezone(TZ).date()), c.category)  # type: ignore[union-attr]
        out[key] = out.get(key, 0) + 1
    return out


def sla(now: dt.datetime) -> dict[str, tuple[int, int, int, int]]:
    """priority -> (met, late, no reply past the SLA, not judged yet)."""
    out = {p: [0, 0, 0, 0] for p in SLA}
    for c in counted():
        limit = SLA[c.priority]
        if c.replies:
            out[c.priority][0 if min(c.replies) <= limit else 1] += 1
            continue
        ended = c.at(c.resolve) or now
        out[c.priority][2 if ended - c.created_utc > dt.timedelta(minutes=limit) else 3] += 1
    return {p: tuple(v) for p, v in out.items()}  # type: ignore[misc]


def medians() -> dict[str, tuple[float | None, int]]:
    """measure -> (median minutes, cases)."""
    cases = counted()
    values = {"claim": [c.claim for c in cases if c.claim is not None],
              "first_reply": [min(c.replies) for c in cases if c.replies],
              "resolution": [c.resolve for c in cases if c.resolve is not None]}
    return {k: (float(statistics.median(v)) if v else None, len(v)) for k, v in values.items()}


def open_ages(now: dt.datetime) -> list[int]:
    bounds = [1, 3, 7, 30]
    out = [0] * 5
    for c in CASES:
        if c.status in ("new", "claimed", "waiting") and not c.spam:
            days = (now - c.created_utc).total_seconds() / 86400
            out[next((i for i, b in enumerate(bounds) if days < b), 4)] += 1
    return out


def countries() -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counted():
        out[c.country] = out.get(c.country, 0) + 1
    return out


def faq_topics(kb) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = entries_for_test(kb)
    titles = {t.id: t.title for t in kb.topics}
    return {titles[kb.entry(ids[alias]).topic]: n for alias, n in FAQ_ANSWERS}


def feedback(kb) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    ids = entries_for_test(kb)
    titles = {t.id: t.title for t in kb.topics}
    out: dict[str, list[int]] = {}
    for alias, helpful, when in FEEDBACK:
        if _in_period(local(when)):
            pair = out.setdefault(titles[kb.entry(ids[alias]).topic], [0, 0])
            pair[0 if helpful else 1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def unanswered() -> dict[str, int]:
    out: dict[str, int] = {}
    for text, when, _ in UNANSWERED:
        if _in_period(local(when)):
            key = " ".join(text.split()).lower()
            out[key] = out.get(key, 0) + 1
    return out


def ratings() -> dict[int, int]:
    out = {r: 0 for r in range(1, 6)}
    for c in CASES:
        if c.rating and not c.spam and _in_period(c.at(c.resolve)):
            out[c.rating] += 1
    return out
