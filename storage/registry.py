"""The agency registry in the database: atomic replacement by import batches."""

from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from storage.models import Agency, ImportBatch, utcnow


def replace_registry(session: Session, *, rows: Iterable[Mapping], file_name: str, imported_by: str,
                     is_sample: bool = False) -> ImportBatch:
    """Load a new list and drop the old one in the same transaction: readers see one or the other."""
    batch = ImportBatch(file_name=file_name, imported_by=imported_by, is_sample=is_sample, imported_at=utcnow())
    session.add(batch)
    session.flush()
    values = [{**dict(r), "batch_id": batch.id} for r in rows]
    for start in range(0, len(values), 5000):
        session.execute(insert(Agency), values[start:start + 5000])
    batch.row_count = len(values)
    session.execute(delete(Agency).where(col(Agency.batch_id) != batch.id))
    return batch


def current_batch(session: Session) -> ImportBatch | None:
    return session.exec(select(ImportBatch).order_by(col(ImportBatch.id).desc())).first()


def current_agencies(session: Session) -> list[Agency]:
    batch = current_batch(session)
    if batch is None:
        return []
    return list(session.exec(select(Agency).where(Agency.batch_id == batch.id)))
