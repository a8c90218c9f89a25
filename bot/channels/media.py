"""Evidence files: what a reporter sent (photo, document, voice note) downloaded into the evidence folder.

The engine records an `Evidence` row (kind, channel ref, content type) in the same transaction
as the message; the download happens afterwards, outside any transaction, and fills
`stored_path`. Each channel brings a `Fetcher` (Twilio media URL with Basic auth, Telegram
file id through getFile). Only known content types up to `max_bytes` are kept: the files are
shown to officers later, so an HTML page or an executable must never land among them.
Files are written owner-only (0600 in a 0700 folder): they are evidence about people at risk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import Case, Contact, Evidence, utcnow

log = logging.getLogger(__name__)

# content type -> file extension; anything else is refused
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif", "image/heic": ".heic",
    "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
    "audio/opus": ".opus", "video/mp4": ".mp4", "video/3gpp": ".3gp",
    "application/pdf": ".pdf", "text/plain": ".txt",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
SWEEP_AGE = dt.timedelta(days=7)


class MediaError(Exception):
    """A file could not be fetched or is not accepted (type, size, host). The message names no person."""


def normalise_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def accepted(content_type: str) -> bool:
    return normalise_type(content_type) in ALLOWED_TYPES


class Fetcher(Protocol):
    async def fetch(self, ref: str, content_type: str, max_bytes: int) -> tuple[bytes, str]:
        """The file's bytes and its content type. Raise MediaError when it cannot or must not be fetched."""


@dataclass(frozen=True)
class PendingEvidence:
    evidence_id: int
    case_number: str
    channel: str
    ref: str
    content_type: str


def pending(db: Engine, *, refs: Sequence[str] | None = None, limit: int = 50) -> list[PendingEvidence]:
    """Evidence rows without a stored file: these refs, or (sweep) any from the last SWEEP_AGE."""
    with Session(db) as s:
        q = (select(Evidence.id, Case.number, Contact.channel, Evidence.ref, Evidence.content_type)
             .join(Case, col(Case.id) == col(Evidence.case_id)).join(Contact, col(Contact.id) == col(Case.contact_id))
             .where(col(Evidence.stored_path).is_(None)))
        if refs is not None:
            q = q.where(col(Evidence.ref).in_(list(refs)))
        else:
            q = q.where(col(Evidence.created_at) >= utcnow() - SWEEP_AGE)
        rows = s.exec(q.order_by(col(Evidence.id)).limit(limit)).all()
    return [PendingEvidence(*row) for row in rows]  # type: ignore[arg-type]


def _write_private(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / name
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)  # a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _record(db: Engine, evidence_id: int, path: Path, content_type: str) -> bool:
    with Session(db) as s:
        # conditional: a second fetch of the same row (sweep racing a webhook) does not overwrite
        result = s.exec(update(Evidence).where(col(Evidence.id) == evidence_id, col(Evidence.stored_path).is_(None))
                        .values(stored_path=str(path), content_type=content_type))  # type: ignore[call-overload]
        s.commit()
        return bool(result.rowcount)


class EvidenceStore:
    """Downloads pending evidence with the channel's fetcher and records where it was stored."""

    def __init__(self, db: Engine, folder: Path, max_bytes: int, fetchers: dict[str, Fetcher]) -> None:
        self.db = db
        self.folder = folder
        self.max_bytes = max_bytes
        self.fetchers = fetchers
        self._tasks: set[asyncio.Task[int]] = set()

    async def fetch(self, refs: Sequence[str] | None = None) -> int:
        """Download what is pending (for these refs, or the sweep); return how many files were stored."""
        rows = await asyncio.to_thread(pending, self.db, refs=refs)
        stored = 0
        for row in rows:
            fetcher = self.fetchers.get(row.channel)
            if fetcher is None:
                continue
            try:
                data, content_type = await fetcher.fetch(row.ref, row.content_type, self.max_bytes)
                content_type = normalise_type(content_type)
                if content_type not in ALLOWED_TYPES:
                    raise MediaError(f"content type {content_type or 'missing'} is not accepted")
                if len(data) > self.max_bytes:
                    raise MediaError("file larger than the limit")
                name = f"{row.evidence_id}{ALLOWED_TYPES[content_type]}"
                path = await asyncio.to_thread(_write_private, self.folder / row.case_number, name, data)
                if await asyncio.to_thread(_record, self.db, row.evidence_id, path, content_type):
                    stored += 1
            except MediaError as exc:
                log.warning("evidence %s of case %s not stored: %s", row.evidence_id, row.case_number, exc)
        return stored

    def schedule(self, refs: Sequence[str] | None = None) -> asyncio.Task[int]:
        """Fetch in the background (the webhook has already answered); the task is kept until done."""
        task = asyncio.get_running_loop().create_task(self._guarded(refs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, refs: Sequence[str] | None) -> int:
        try:
            return await self.fetch(refs)
        except asyncio.CancelledError:
            raise
        except Exception:  # a background download must not die silently; the startup sweep retries it
            log.exception("evidence download failed")
            return 0

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
