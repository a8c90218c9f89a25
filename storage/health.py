"""The readiness probe's database check (bot/web/app.py /readyz)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def ping(engine: Engine) -> None:
    """Open a connection and run a trivial query; raises whatever the database raises."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
