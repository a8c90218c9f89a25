"""The primary key of a saved row, typed as the `int` it is.

SQLModel types every `id` as `int | None`, because it is None until the INSERT. Code that passes
the id of a row it has loaded or flushed calls `saved_id(row.id)` instead of silencing mypy: the
type is right, and a row that was never flushed fails here with a clear message.
"""

from __future__ import annotations


def saved_id(row_id: int | None) -> int:
    if row_id is None:  # a programming error: the caller forgot to flush
        raise ValueError("the row has no id yet: flush the session first")
    return row_id
