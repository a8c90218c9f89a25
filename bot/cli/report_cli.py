"""`helpdesk report --month YYYY-MM --out FILE.xlsx|FILE.csv`: the monthly figures for BP3MI/KP2MI.

The same tables as the console's dashboard (/console/ringkasan) for one calendar month in the
service's time zone, aggregates only (bot/web/monthly_report.py). The format follows the file's
suffix. Reads the database; writes nothing to it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.settings import Settings


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.web import dashboard_figures
    from bot.web import monthly_report
    from knowledge import kb
    from storage.db import make_engine, read_session
    from storage.migrate import upgrade_to_head
    from storage.models import utcnow

    try:
        first, last = dashboard_figures.month_days(args.month)
    except ValueError:
        print(f"report: --month must look like 2026-11, not {args.month!r}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        print("report: --out must end in .xlsx or .csv", file=sys.stderr)
        return 2
    topics = dashboard_figures.TopicMap(kb.load())
    db = make_engine(settings.database_url)
    try:
        upgrade_to_head(db)
        with read_session(db) as s:
            figures = dashboard_figures.build(s, first_day=first, last_day=last,
                                              tz=ZoneInfo(settings.service.timezone),
                                              sla_minutes=settings.sla_minutes.model_dump(), topics=topics,
                                              now=utcnow())
    finally:
        db.dispose()
    if out.suffix.lower() == ".xlsx":
        monthly_report.write_xlsx(figures, out)
    else:
        out.write_text(monthly_report.csv_text(figures), encoding="utf-8", newline="")
    print(f"report {args.month}: {len(figures.report_tables())} tables written to {out}")
    return 0


def add_report_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("report", help="the month's dashboard figures as XLSX or CSV (aggregates only)")
    s.add_argument("--month", required=True, help="YYYY-MM, in the service's time zone")
    s.add_argument("--out", required=True, help="FILE.xlsx (one sheet per table) or FILE.csv")
    s.set_defaults(func=cmd_report)
