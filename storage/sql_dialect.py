"""SQL constructs whose text differs between SQLite and PostgreSQL, compiled per dialect.

The dashboard's figures group by a timestamp's local calendar day and measure the seconds
between two timestamps; everything else they use is standard SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Float


class local_day(FunctionElement):
    """The local calendar day of a UTC timestamp, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


@compiles(local_day)
def _local_day_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    column, minutes = list(element.clauses)
    # the offset is an int we computed, rendered as a literal: GROUP BY sees one expression
    return f"date({compiler.process(column, **kw)}, '{int(minutes.value):+d} minutes')"


@compiles(local_day, "postgresql")
def _local_day_pg(element: Any, compiler: Any, **kw: Any) -> str:
    column, minutes = list(element.clauses)
    return f"to_char({compiler.process(column, **kw)} + interval '{int(minutes.value)} minutes', 'YYYY-MM-DD')"


class seconds_between(FunctionElement):
    """later - earlier, in seconds (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
