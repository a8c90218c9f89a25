"""Supervisors' dashboard: page time over 10 000 cases and 200 000 messages.

    python benchmarks/bench_dashboard.py [--cases 10000] [--messages 200000] [--requests 30] [--database URL]

Seeds a temporary SQLite database (or the empty database at --database, e.g. PostgreSQL) by
bulk insert with a fixed seed: a year of traffic on three channels, FAQ answers, feedback,
unanswered questions, cases with claims, officer replies, resolutions, ratings and places.
Then, signed in as a supervisor through the login form, measures with FastAPI's TestClient
(in process: routing, queries, figures, pygal charts, template):

- GET /console/ringkasan for the last 30 days (the default) and for a whole year, with every
  chart drawn again (as after new data) and with unchanged charts reused from the cache;
- the figures alone (the SQL and their assembly, no charts) for the same two ranges;
- the XLSX report of a month.

Target: the page p99 at most 300 ms for the default range. Bounded: about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import report, service_environment, timed

SEED = 20261201
CATEGORIES = ["trafficking", "violence", "wages", "passport", "lost_contact", "illegal_recruiter", "stranded", "other"]
PRIORITY_MIX = [("emergency", 3), ("high", 27), ("normal", 70)]
CHANNEL_MIX = [("whatsapp", 60), ("telegram", 25), ("web", 15)]
PLACES = ["Malaysia", "Singapura", "Hong Kong", "Taiwan", "Arab Saudi", "Jepang", "Korea Selatan", "Brunei", ""]
QUESTIONS = [f"pertanyaan uji nomor {i} tentang kerja di luar negeri" for i in range(400)]
SLA = {"emergency": 15, "high": 120, "normal": 1440}
DAYS = 365


def _pick(rnd: random.Random, mix: list[tuple[str, int]]) -> str:
    return rnd.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def seed(db, *, cases: int, messages: int, officer_ids: list[int], faq_texts: list[tuple[str, str]], entry_ids: list[str],
         did_you_mean: str) -> None:  # type: ignore[no-untyped-def]
    """Bulk insert a year of traffic (Core inserts, one transaction)."""
    from sqlalchemy import insert

    from storage.models import (
        Case,
        CaseEvent,
        Contact,
        Conversation,
        Feedback,
        MessageLog,
        UnansweredQuestion,
    )

    rnd = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    people = max(1000, cases)
    contacts, convs = [], []
    for i in range(1, people + 1):
        channel = _pick(rnd, CHANNEL_MIX)
        created = now - dt.timedelta(minutes=rnd.randint(0, DAYS * 24 * 60))
        contacts.append({"id": i, "urn": f"{channel}:bench{i}", "channel": channel, "address": f"bench{i}",
                         "display_name": "", "created_at": created})
        convs.append({"id": i, "contact_id": i, "flow": "menu", "step": "start", "slots": {}, "updated_at": created})
    rows, events = [], []
    # rows arrive in time order in real life (ids follow created_at): so do these
    opened = sorted(now - dt.timedelta(minutes=rnd.randint(0, DAYS * 24 * 60)) for _ in range(cases))
    for i, created in enumerate(opened, start=1):
        priority = _pick(rnd, PRIORITY_MIX)
        age = (now - created).total_seconds() / 60
        claim = rnd.expovariate(1 / (SLA[priority] * 0.6)) if rnd.random() < 0.9 else None
        reply = (claim or 0) + rnd.expovariate(1 / 30) if claim is not None and rnd.random() < 0.9 else None
        resolve = (reply or claim or 0) + rnd.expovariate(1 / 2880) if claim is not None and rnd.random() < 0.8 else None
        claim, reply, resolve = (m if m is not None and m < age else None for m in (claim, reply, resolve))
        status = "resolved" if resolve is not None else ("waiting" if reply is not None else
                                                          "claimed" if claim is not None else "new")
        place = rnd.choice(PLACES)
        rows.append({"id": i, "number": f"MC-2026-{i:05d}", "contact_id": rnd.randint(1, people),
                     "conversation_id": i if i <= people else rnd.randint(1, people), "category": rnd.choice(CATEGORIES),
                     "priority": priority, "priority_rank": {"emergency": 0, "high": 1, "normal": 2}[priority],
                     "emergency": priority == "emergency", "status": status, "summary": "laporan uji",
                     "intake": {"what": f"laporan uji {i} di {place}".strip(), **({"where": place} if place else {})},
                     "assignee_id": rnd.choice(officer_ids) if claim is not None else None, "created_at": created,
                     "sla_due_at": created + dt.timedelta(minutes=SLA[priority]),
                     "claimed_at": created + dt.timedelta(minutes=claim) if claim is not None else None,
                     "resolved_at": created + dt.timedelta(minutes=resolve) if resolve is not None else None,
                     "rating": rnd.randint(1, 5) if resolve is not None and rnd.random() < 0.4 else None,
                     "suspected_spam": False, "spam_closed_from": None})
        events.append({"case_id": i, "kind": "created", "actor": "bot", "detail": "", "created_at": created})
        if reply is not None:
            for extra in (0, rnd.expovariate(1 / 120)):
                events.append({"case_id": i, "kind": "replied", "actor": "petugas1", "detail": "",
                               "created_at": created + dt.timedelta(minutes=reply + extra)})
    logs = []
    for _ in range(messages):
        conv = rnd.randint(1, people)
        created = now - dt.timedelta(minutes=rnd.randint(0, DAYS * 24 * 60))
        r = rnd.random()
        if r < 0.5:
            logs.append({"conversation_id": conv, "direction": "in", "author": "user", "text": "pesan uji",
                         "buttons": [], "media": [], "intent": None, "entry_id": None, "created_at": created})
        elif r < 0.62:
            entry_id, text = rnd.choice(faq_texts)
            logs.append({"conversation_id": conv, "direction": "out", "author": "bot", "text": text,
                         "buttons": [], "media": [], "intent": "faq", "entry_id": entry_id, "created_at": created})
        elif r < 0.64:
            logs.append({"conversation_id": conv, "direction": "out", "author": "bot", "text": did_you_mean,
                         "buttons": [], "media": [], "intent": "faq", "entry_id": None, "created_at": created})
        else:
            logs.append({"conversation_id": conv, "direction": "out", "author": "bot", "text": "balasan uji",
                         "buttons": [], "media": [], "intent": "greeting", "entry_id": None, "created_at": created})
    logs.sort(key=lambda row: row["created_at"])
    events.sort(key=lambda row: row["created_at"])
    feedback = [{"conversation_id": rnd.randint(1, people), "entry_id": rnd.choice(entry_ids),
                 "helpful": rnd.random() < 0.7, "created_at": now - dt.timedelta(minutes=rnd.randint(0, DAYS * 1440))}
                for _ in range(messages // 40)]
    unanswered = [{"conversation_id": rnd.randint(1, people), "text": rnd.choice(QUESTIONS[:rnd.randint(1, 400)]),
                   "best_entry_id": rnd.choice(entry_ids + [None]), "confidence": 0.1,
                   "created_at": now - dt.timedelta(minutes=rnd.randint(0, DAYS * 1440))}
                  for _ in range(messages // 40)]
    feedback.sort(key=lambda row: row["created_at"])
    unanswered.sort(key=lambda row: row["created_at"])
    with db.begin() as conn:
        for model, batch in ((Contact, contacts), (Conversation, convs), (Case, rows), (CaseEvent, events),
                             (MessageLog, logs), (Feedback, feedback), (UnansweredQuestion, unanswered)):
            for start in range(0, len(batch), 20_000):
                conn.execute(insert(model), batch[start:start + 20_000])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", help="an empty database URL to seed instead of a temporary SQLite file")
    args = parser.parse_args(argv if argv is not None else [])
    with service_environment():
        with tempfile.TemporaryDirectory() as tmp:
            run(args, args.database or f"sqlite:///{tmp}/bench.db")


def run(args: argparse.Namespace, url: str) -> None:
    from zoneinfo import ZoneInfo

    from fastapi.testclient import TestClient

    from bot.web import dashboard_charts, dashboard_figures

    from bot.web import monthly_report
    from bot.web.app import create_app
    from bot.service import build_service
    from bot.settings import load_settings
    from flows import phrases
    from knowledge.kb import render
    from storage.db import read_session
    from storage.models import utcnow
    from tests.bot.console_util import (  # the console's sign-in, second factor included
        add_staff,
        login,
    )

    settings = load_settings(ROOT / "config.yaml", env={"HELPDESK_DATABASE_URL": url})
    t = time.perf_counter()
    service = build_service(settings)
    ids = [add_staff(service, f"petugas{i}", "bench-pw-12345", role="supervisor" if i == 0 else "officer")
           for i in range(5)]
    kb = service.ctx.kb
    faq_texts = [(e.id, f"{render(e.answer, service.ctx.values)}\n\n{phrases.HELPFUL_Q}") for e in kb.entries]
    seed(service.db, cases=args.cases, messages=args.messages, officer_ids=ids, faq_texts=faq_texts,  # type: ignore[arg-type]
         entry_ids=[e.id for e in kb.entries], did_you_mean=phrases.DID_YOU_MEAN)
    if service.db.dialect.name == "postgresql":  # autovacuum would do it soon after a load like this one
        with service.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"  seeded {args.cases} cases, {args.messages} messages in {time.perf_counter() - t:.1f} s "
          f"({service.db.dialect.name})")

    tz = ZoneInfo(settings.service.timezone)
    today = utcnow().astimezone(tz).date()
    topics = dashboard_figures.TopicMap(kb)

    def figures(days: int):  # type: ignore[no-untyped-def]
        with read_session(service.db) as s:
            return dashboard_figures.build(s, first_day=today - dt.timedelta(days=days - 1), last_day=today, tz=tz,
                                           sla_minutes=settings.sla_minutes.model_dump(), topics=topics, now=utcnow())

    with TestClient(create_app(settings, service)) as client:
        login(client, "petugas0", "bench-pw-12345")
        gc.collect()
        gc.freeze()  # as `helpdesk serve` does after start-up
        year = {"dari": (today - dt.timedelta(days=364)).isoformat(), "sampai": today.isoformat()}
        for name, params in (("last 30 days (default)", {}), ("a whole year", year)):
            page = client.get("/console/ringkasan", params=params, follow_redirects=False)  # warms the caches
            assert page.status_code == 200 and "Ringkasan layanan" in page.text, page.status_code

            def cold(params: dict = params) -> None:  # type: ignore[type-arg]
                dashboard_charts.chart_for.cache_clear()  # every chart drawn again, as after new data
                client.get("/console/ringkasan", params=params)

            report(f"page {name}, charts drawn", timed(cold, args.requests),
                   "target p99 <= 300 ms" if not params else "")
            ms = timed(lambda params=params: client.get("/console/ringkasan", params=params), args.requests)
            report(f"page {name}, unchanged charts reused", ms)
        for days in (30, 365):
            ms = timed(lambda days=days: figures(days), args.requests)
            report(f"figures only (SQL + tables), {days} days", ms)
        month = figures(30)
        ms = timed(lambda: monthly_report.xlsx_bytes(month), max(5, args.requests // 3))
        report("XLSX report of 30 days (openpyxl)", ms)
        print(f"  figures over the year: {figures(365).totals}")
    service.db.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
