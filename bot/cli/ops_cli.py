"""Operations commands: `helpdesk privacy export|erase|purge` and `helpdesk backup`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from bot.settings import Settings


def _db(settings: Settings) -> Engine:
    from storage.db import make_engine
    from storage.migrate import upgrade_to_head

    db = make_engine(settings.database_url)
    upgrade_to_head(db)
    return db


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import unit_of_work
    from storage.privacy import export_contact

    with unit_of_work(_db(settings)) as s:
        data = export_contact(s, urn=args.urn)
    if data is None:
        print(f"privacy export: no contact {args.urn}", file=sys.stderr)
        return 1
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_erase(settings: Settings, args: argparse.Namespace) -> int:
    from storage.contacts import by_urn
    from storage.db import unit_of_work
    from storage.ids import saved_id
    from storage.privacy import erase_contact

    with unit_of_work(_db(settings)) as s:
        contact = by_urn(s, urn=args.urn)
        if contact is None:
            print(f"privacy erase: no contact {args.urn}", file=sys.stderr)
            return 1
        done = erase_contact(s, contact_id=saved_id(contact.id))
    print("erased" if done else "erased except the open case; finished when the case is closed")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import unit_of_work
    from storage.privacy import purge

    with unit_of_work(_db(settings)) as s:
        result = purge(s, retention_days=settings.privacy.retention_days)
    print(json.dumps(result))
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Online SQLite backup (the service may keep running). PostgreSQL: use pg_dump (see README)."""
    from storage.db import resolve_url

    url = make_url(resolve_url(settings.database_url))
    if url.get_backend_name() != "sqlite":
        print("backup: the database is not SQLite; use pg_dump as the README describes", file=sys.stderr)
        return 2
    if not url.database:
        print("backup: the SQLite URL names no database file", file=sys.stderr)
        return 2
    target = Path(args.output or f"backups/helpdesk-{dt.datetime.now():%Y%m%d-%H%M%S}.db")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(url.database)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    dst.close()
    src.close()
    print(f"backup written to {target}")
    return 0


def add_ops_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pr = sub.add_parser("privacy", help="personal data requests").add_subparsers(dest="privacy_command", required=True)
    s = pr.add_parser("export", help="print everything stored about one person (JSON)")
    s.add_argument("urn", help="e.g. whatsapp:+62812… or telegram:12345")
    s.set_defaults(func=cmd_export)
    s = pr.add_parser("erase", help="delete one person's data (open cases are finished after closing)")
    s.add_argument("urn")
    s.set_defaults(func=cmd_erase)
    s = pr.add_parser("purge", help="apply the retention period now")
    s.set_defaults(func=cmd_purge)
    s = sub.add_parser("backup", help="online backup of the SQLite database")
    s.add_argument("--output", help="backup file (default backups/helpdesk-<time>.db)")
    s.set_defaults(func=cmd_backup)
