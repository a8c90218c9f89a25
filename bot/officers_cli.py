"""`helpdesk officers add/list/disable/enable`."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.passwords import hash_password, new_password
from bot.settings import Settings


def _db(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.db import make_engine
    from storage.migrate import upgrade_to_head

    db = make_engine(settings.database_url)
    upgrade_to_head(db)
    return db


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import unit_of_work
    from storage.officers import OfficerError, add_officer

    password = args.password
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Password (empty: generate one): ") or None
        if not password:
            password, generated = new_password(), True
    if len(password) < 8:
        print("officers add: the password must have at least 8 characters", file=sys.stderr)
        return 2
    try:
        with unit_of_work(_db(settings)) as s:
            add_officer(s, username=args.username, password_hash=hash_password(password), role=args.role,
                        display_name=args.name or "")
    except OfficerError as exc:
        print(f"officers add: {exc}", file=sys.stderr)
        return 1
    print(f"added {args.role} {args.username.lower()}" + (f" with password: {password}" if generated else ""))
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import unit_of_work
    from storage.officers import list_officers

    with unit_of_work(_db(settings)) as s:
        for o in list_officers(s):
            print(f"{o.username:20s} {o.role:10s} {'active' if o.active else 'disabled':8s} {o.display_name}")
    return 0


def _change(settings: Settings, change, done: str) -> int:  # type: ignore[no-untyped-def]
    """Apply `change(session)` to an account; print `done`, or the refusal and exit 1."""
    from storage.db import unit_of_work
    from storage.officers import OfficerError

    try:
        with unit_of_work(_db(settings)) as s:
            change(s)
    except OfficerError as exc:
        print(f"officers: {exc}", file=sys.stderr)
        return 1
    print(done)
    return 0


def cmd_set_active(settings: Settings, args: argparse.Namespace) -> int:
    from storage.officers import set_active

    return _change(settings, lambda s: set_active(s, username=args.username, active=args.active),
                   f"{args.username}: {'enabled' if args.active else 'disabled'}")


def cmd_link(settings: Settings, args: argparse.Namespace) -> int:
    from storage.officers import link_telegram

    return _change(settings, lambda s: link_telegram(s, username=args.username, telegram_user_id=args.telegram_id),
                   f"{args.username}: Telegram user {args.telegram_id} may now act in the staff chat")


def add_officer_commands(sub) -> None:  # type: ignore[no-untyped-def]
    off = sub.add_parser("officers", help="staff console accounts").add_subparsers(dest="officers_command",
                                                                                 required=True)
    s = off.add_parser("add", help="add an officer account")
    s.add_argument("username")
    s.add_argument("--role", default="officer", choices=["officer", "supervisor", "admin"])
    s.add_argument("--name", help="display name")
    s.add_argument("--password", help="password (default: ask, or generate and print one)")
    s.set_defaults(func=cmd_add)
    s = off.add_parser("link", help="link an officer to their Telegram user id (staff desk)")
    s.add_argument("username")
    s.add_argument("telegram_id", type=int)
    s.set_defaults(func=cmd_link)
    s = off.add_parser("list", help="list officer accounts")
    s.set_defaults(func=cmd_list)
    s = off.add_parser("disable", help="disable an officer account")
    s.add_argument("username")
    s.set_defaults(func=cmd_set_active, active=False)
    s = off.add_parser("enable", help="enable an officer account again")
    s.add_argument("username")
    s.set_defaults(func=cmd_set_active, active=True)
