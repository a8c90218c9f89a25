"""`helpdesk officers add/password/reset-2fa/list/disable/enable/link`.

Passwords never go on the command line (argv is visible to other users and stays in shell
history): `add` and `password` ask twice at a terminal, or read one line from stdin
(`helpdesk officers add ani < file`, or a pipe from a password manager). They must meet the
policy in bot/web/passwords.py: at least 12 characters, not one of the most common passwords.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.web.passwords import PROBLEMS_EN, hash_password, password_problem
from bot.settings import Settings

if TYPE_CHECKING:  # the commands import the database layer only when they run: the CLI starts fast
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


def _db(settings: Settings) -> Engine:
    from storage.db import make_engine
    from storage.migrate import upgrade_to_head

    db = make_engine(settings.database_url)
    upgrade_to_head(db)
    return db


def read_password(command: str, username: str) -> str | None:
    """The new password from a prompt (asked twice) or the first line of stdin; None (and the
    reason on stderr) when there is none or it does not meet the policy."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("Again: ") != password:
            print(f"officers {command}: the two passwords differ", file=sys.stderr)
            return None
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print(f"officers {command}: no password given (type it at the prompt or pass it on stdin)", file=sys.stderr)
        return None
    problem = password_problem(password, username=username)
    if problem:
        print(f"officers {command}: {PROBLEMS_EN[problem]}", file=sys.stderr)
        return None
    return password


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import unit_of_work
    from storage.errors import OfficerError
    from storage.officers import add_officer

    password = read_password("add", args.username.strip().lower())
    if password is None:
        return 2
    try:
        with unit_of_work(_db(settings)) as s:
            add_officer(s, username=args.username, password_hash=hash_password(password), role=args.role,
                        display_name=args.name or "")
    except OfficerError as exc:
        print(f"officers add: {exc}", file=sys.stderr)
        return 1
    print(f"added {args.role} {args.username.lower()}")
    return 0


def cmd_password(settings: Settings, args: argparse.Namespace) -> int:
    """Set an account's password (e.g. the only admin forgot theirs); its console sessions end."""
    from storage.ids import saved_id
    from storage.errors import OfficerError
    from storage.officers import by_username, set_password

    username = args.username.strip().lower()
    password = read_password("password", username)
    if password is None:
        return 2
    password_hash = hash_password(password)

    def change(s: Session) -> None:
        officer = by_username(s, username)
        if officer is None:
            raise OfficerError(f"no officer {username!r}")
        set_password(s, officer_id=saved_id(officer.id), password_hash=password_hash)

    return _change(settings, change, f"{username}: password changed; their console sessions ended")


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import unit_of_work
    from storage.officers import list_officers

    with unit_of_work(_db(settings)) as s:
        for o in list_officers(s):
            print(f"{o.username:20s} {o.role:10s} {'active' if o.active else 'disabled':8s} {o.display_name}")
    return 0


def _change(settings: Settings, change: Callable[[Session], object], done: str) -> int:
    """Apply `change(session)` to an account; print `done`, or the refusal and exit 1."""
    from storage.db import unit_of_work
    from storage.errors import OfficerError

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


def cmd_reset_2fa(settings: Settings, args: argparse.Namespace) -> int:
    """Forget an account's second factor (a lost phone); its sessions end and it enrols again."""
    from storage.ids import saved_id
    from storage.officer_totp import reset
    from storage.errors import OfficerError
    from storage.officers import by_username

    username = args.username.strip().lower()

    def change(s: Session) -> None:
        officer = by_username(s, username)
        if officer is None:
            raise OfficerError(f"no officer {username!r}")
        reset(s, officer_id=saved_id(officer.id))

    return _change(settings, change, f"{username}: second factor and recovery codes removed; their console "
                                     "sessions ended (supervisors and admins enrol again at their next sign-in)")


def add_officer_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    off = sub.add_parser("officers", help="staff console accounts").add_subparsers(dest="officers_command",
                                                                                 required=True)
    s = off.add_parser("add", help="add an officer account (password asked, or one line on stdin)")
    s.add_argument("username")
    s.add_argument("--role", default="officer", choices=["officer", "supervisor", "admin"])
    s.add_argument("--name", help="display name")
    s.set_defaults(func=cmd_add)
    s = off.add_parser("password", help="set an officer's password (asked, or one line on stdin); ends their sessions")
    s.add_argument("username")
    s.set_defaults(func=cmd_password)
    s = off.add_parser("link", help="link an officer to their Telegram user id (staff desk)")
    s.add_argument("username")
    s.add_argument("telegram_id", type=int)
    s.set_defaults(func=cmd_link)
    s = off.add_parser("reset-2fa", help="remove an officer's second factor (lost phone); ends their sessions")
    s.add_argument("username")
    s.set_defaults(func=cmd_reset_2fa)
    s = off.add_parser("list", help="list officer accounts")
    s.set_defaults(func=cmd_list)
    s = off.add_parser("disable", help="disable an officer account")
    s.add_argument("username")
    s.set_defaults(func=cmd_set_active, active=False)
    s = off.add_parser("enable", help="enable an officer account again")
    s.add_argument("username")
    s.set_defaults(func=cmd_set_active, active=True)
