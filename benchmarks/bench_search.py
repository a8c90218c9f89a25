"""Console case search over 10 000 cases: p50/p99 per kind of query, as a supervisor and as an officer.

    python benchmarks/bench_search.py [--cases 10000] [--repeat 40] [--no-gc-freeze]

Seeds a temporary SQLite database by bulk insert (fixed seed): every case with a WhatsApp
address, three messages, intake answers naming a destination and, for one case in ten, an
agency of the (fictional) sample registry. Then measures GET /console/cari through FastAPI's
TestClient (routing, the confidentiality-aware queries, paging counts, rendering) for: a case
number, a phone number typed the local way, a word of the messages, an agency name, filters
only (category + status + destination + date range) on a later page, and an officer's search
(their own cases in full, unassigned ones by number and summary only).

Target: p99 ≤ 200 ms for every kind. Bounded: well under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import report, service_environment  # noqa: E402

SEED = 20261201
CATEGORIES = ["trafficking", "violence", "wages", "passport", "lost_contact", "illegal_recruiter", "stranded", "other"]
STATUSES = [("new", 40), ("claimed", 20), ("waiting", 10), ("resolved", 20), ("closed", 10)]
PLACES = ["Johor Bahru, Malaysia", "Kuala Lumpur, Malaysia", "Singapura", "Hong Kong", "Taiwan", "Riyadh", "Batam"]
WORDS = ["gaji belum dibayar", "paspor ditahan agen", "dikunci majikan", "tidak boleh pulang", "dipotong terus",
         "kontrak diganti", "sakit tidak diobati", "hilang kontak sebulan"]
NAMES = ["Siti", "Dewi", "Rahmat", "Yanti", "Agus", "Nur", "Wati", "Budi", ""]


def seed(db: Any, n: int, officer_ids: list[int], agency_names: list[str]) -> None:
    from sqlalchemy import insert

    from storage.models import Case, Contact, Conversation, MessageLog

    rnd = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    contacts, convs, rows, messages = [], [], [], []
    for i in range(1, n + 1):
        created = now - dt.timedelta(minutes=rnd.randint(0, 60 * 24 * 365))
        status = rnd.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
        priority = rnd.choices(["emergency", "high", "normal"], weights=[2, 28, 70])[0]
        what = rnd.choice(WORDS)
        who = rnd.choice(agency_names) if agency_names and i % 10 == 0 else "majikan"
        address = f"+62812{i:08d}"  # placeholder numbers, one per case
        contacts.append({"id": i, "urn": f"whatsapp:{address}", "channel": "whatsapp", "address": address,
                         "display_name": rnd.choice(NAMES), "created_at": created})
        convs.append({"id": i, "contact_id": i, "flow": "case", "step": "open", "slots": {}, "updated_at": created})
        rows.append({"id": i, "number": f"MC-2026-{i:05d}", "contact_id": i, "conversation_id": i,
                     "category": rnd.choice(CATEGORIES), "priority": priority,
                     "priority_rank": {"emergency": 0, "high": 1, "normal": 2}[priority],
                     "emergency": priority == "emergency", "status": status, "summary": f"{what} ({i})",
                     "intake": {"what": what, "where": rnd.choice(PLACES), "who": who},
                     "assignee_id": None if status == "new" else rnd.choice(officer_ids), "created_at": created,
                     "sla_due_at": created + dt.timedelta(hours=2)})
        for k in range(3):
            messages.append({"conversation_id": i, "direction": "in", "author": "user", "buttons": [], "media": [],
                             "text": f"{rnd.choice(WORDS)} sejak {rnd.randint(1, 12)} bulan, pesan {k}",
                             "created_at": created + dt.timedelta(minutes=k)})
    with db.begin() as conn:
        for model, data in ((Contact, contacts), (Conversation, convs), (Case, rows), (MessageLog, messages)):
            for start in range(0, len(data), 5000):
                conn.execute(insert(model), data[start:start + 5000])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false")
    args = parser.parse_args(argv if argv is not None else [])
    with service_environment():
        run(args)


def _sign_in(client: Any, service: Any, username: str) -> None:
    """The login form, then the second factor's code when the account has one (supervisors)."""
    import pyotp

    from storage import officers
    from storage.db import unit_of_work

    form = client.get("/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = client.post("/console/login", data={"username": username, "password": "bench-pw", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.status_code
    if r.headers["location"].startswith("/console/login/kode"):
        with unit_of_work(service.db) as s:
            officer = officers.by_username(s, username)
            assert officer is not None and officer.totp_secret
            secret = officer.totp_secret
        page = client.get("/console/login/kode").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = client.post("/console/login/kode", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
                        follow_redirects=False)
        assert r.status_code == 303, r.status_code


def run(args: argparse.Namespace) -> None:
    from fastapi.testclient import TestClient

    from bot.web.app import create_app
    from bot.web.passwords import hash_password
    from bot.service import build_service
    from bot.settings import load_settings
    import pyotp

    from storage import officer_totp, officers, registry
    from storage.db import unit_of_work

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(ROOT / "config.yaml", env={"HELPDESK_DATABASE_URL": f"sqlite:///{tmp}/bench.db"})
        t = time.perf_counter()
        service = build_service(settings)
        with unit_of_work(service.db) as s:
            ids = [officers.add_officer(s, username=f"petugas{i}", password_hash=hash_password("bench-pw"),
                                        role="supervisor" if i == 0 else "officer").id for i in range(5)]
            # supervisors sign in with a second factor (issue 15, point 7): enrol one for petugas0
            officer_totp.start_enrolment(s, officer_id=ids[0], secret=pyotp.random_base32())  # type: ignore[arg-type]
            officer_totp.confirm_enrolment(s, officer_id=ids[0], step=0, code_hashes=[])  # type: ignore[arg-type]
            agency_names = [a.name for a in registry.current_agencies(s)][:20]
        seed(service.db, args.cases, ids, agency_names)  # type: ignore[arg-type]
        print(f"  seeded {args.cases} cases, {3 * args.cases} messages in {time.perf_counter() - t:.1f} s")
        agency_word = " ".join(agency_names[0].split()[1:3]) if agency_names else "majikan"

        app = create_app(settings, service)
        with TestClient(app) as sup, TestClient(app) as officer:
            _sign_in(sup, service, "petugas0")
            _sign_in(officer, service, "petugas1")
            if args.gc_freeze:
                gc.collect()
                gc.freeze()
            today = dt.date.today()
            queries = [
                ("case number", sup, {"q": "MC-2026-04242"}),
                ("phone, typed 0812-…", sup, {"q": "0812-0000-4242"}),
                ("word in messages/intake", sup, {"q": "dikunci majikan"}),
                (f"agency name ({agency_word})", sup, {"q": agency_word}),
                ("filters only, page 3", sup, {"kategori": "wages", "status": "open", "tujuan": "malaysia",
                                               "dari": (today - dt.timedelta(days=300)).isoformat(),
                                               "sampai": today.isoformat(), "halaman": "3"}),
                ("officer: word (own full, rest summary)", officer, {"q": "paspor ditahan"}),
                ("officer: filters, open", officer, {"status": "open", "prioritas": "high"}),
            ]
            worst = 0.0
            for name, client, params in queries:
                resp = client.get("/console/cari", params=params)  # warm caches
                assert resp.status_code == 200, (name, resp.status_code)
                total = re.search(r'data-total="(\d+)"', resp.text)
                ms = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    resp = client.get("/console/cari", params=params)
                    ms.append((time.perf_counter() - t) * 1000)
                    assert resp.status_code == 200
                ms.sort()
                worst = max(worst, ms[min(len(ms) - 1, int(len(ms) * 0.99))])
                report(f"GET /console/cari {name}", ms, f"hits={total.group(1) if total else '?'}")
        service.db.dispose()
    print(f"  target: p99 <= 200 ms for every kind ({'met' if worst <= 200 else 'NOT met'}; "
          f"worst {worst:.1f} ms){'; gc frozen' if args.gc_freeze else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
