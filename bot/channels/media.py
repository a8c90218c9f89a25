"""Evidence files: what a reporter sent (photo, document, voice note) downloaded into the evidence folder.

The engine records an `Evidence` row (kind, channel ref, content type) in the same transaction
as the message; the download happens afterwards, outside any transaction, and fills
`stored_path`. Each channel brings a `Fetcher` (Twilio media URL with Basic auth, Telegram
file id through getFile). Files are written owner-only (0600 in a 0700 folder): they are
evidence about people at risk.

What a file is comes from its bytes, never from the sender's claim (`detect`, with the
`filetype` library for binary formats and a small check of our own for text): a Telegram
"photo.png" that is really an HTML page is kept as `.html`, and the console only ever offers
it as a download. Known evidence types (ALLOWED_TYPES) and markup (MARKUP_TYPES, kept for the
record) are stored up to `max_bytes`; anything else (executables, archives, unknown binary)
is refused. The console serves files through bot/web/console_evidence.py only.
"""

from __future__ import annotations

import asyncio
import codecs
import datetime as dt
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import filetype
from sqlalchemy.engine import Engine

from bot.channels import MediaError
from storage import evidence as evidence_rows
from storage.db import read_session, unit_of_work
from storage.evidence import PendingEvidence
from storage.models import utcnow

log = logging.getLogger(__name__)

# evidence types: content type -> file extension (what a WhatsApp media header may claim, too)
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
# markup is kept as what it is (a fake job offer page can be evidence) but never shown inline
MARKUP_TYPES: dict[str, str] = {"text/html": ".html", "image/svg+xml": ".svg", "application/xml": ".xml"}
KEPT_TYPES: dict[str, str] = {**ALLOWED_TYPES, **MARKUP_TYPES}
# what the console may show in the page itself; everything else is a download (audio: a player)
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# what filetype calls some types, against the names above
_ALIASES = {"image/apng": "image/png", "audio/x-m4a": "audio/mp4"}
SNIFF_BYTES = 8192  # filetype reads no more than this, and the text check looks no further
_MARKUP = re.compile(rb"<(?:!doctype\s+html|!--|\?xml|svg|[a-z][a-z0-9]*[\s/>])", re.IGNORECASE)
SWEEP_AGE = dt.timedelta(days=7)


def normalise_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def accepted(content_type: str) -> bool:
    return normalise_type(content_type) in ALLOWED_TYPES


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of Office 97-2003 files
_OLE_TYPES = frozenset({"application/msword", "application/vnd.ms-excel"})


def _fallback(head: bytes, claimed: str) -> str | None:
    """Two binary formats filetype misses."""
    # its 3GP matcher looks for "ftyp3gp" at offset 0 instead of 4, so it never matches
    if head[4:8] == b"ftyp" and head[8:11] == b"3gp":
        return "video/3gpp"
    # it knows a .doc or .xls only by markers that many writers put elsewhere: an Office
    # container claimed as one of the two is taken as claimed (it cannot become anything else)
    if head.startswith(_OLE) and claimed in _OLE_TYPES:
        return claimed
    return None


def _text_type(head: bytes, complete: bool) -> str | None:
    """text/plain, a markup type, or None when the bytes are not UTF-8 text."""
    if b"\x00" in head:
        return None
    try:
        # incremental: a head cut in the middle of a character is still text
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return None
    start = text.lstrip("\ufeff \t\r\n\f").encode("utf-8")[:512]
    if not _MARKUP.match(start):
        return "text/plain"
    lowered = start.lower()
    if b"<svg" in lowered:
        return "image/svg+xml"
    if lowered.startswith(b"<?xml") and b"<html" not in lowered:
        return "application/xml"
    return "text/html"


def detect(data: bytes, *, claimed: str = "", complete: bool = True) -> tuple[str, str]:
    """The content type and file extension the bytes really are; MediaError when not kept as evidence.

    The sender's `claimed` type decides nothing, except between the two Office 97-2003
    formats. `complete=False` says `data` is only the head of a file (the text check then
    allows a character cut at its end).
    """
    head = bytes(data[:SNIFF_BYTES])
    guess = filetype.guess(head)
    if guess is not None:
        found: str | None = _ALIASES.get(guess.mime, guess.mime)
    else:
        found = _fallback(head, normalise_type(claimed))
    if found is None:
        found = _text_type(head, complete and len(data) <= SNIFF_BYTES)
    if found is None:
        raise MediaError("content not recognised")
    if found not in KEPT_TYPES:
        raise MediaError(f"content is {found}, which is not accepted")
    return found, KEPT_TYPES[found]


def presentation(content_type: str) -> str:
    """How the console offers a stored file: "image" (shown), "audio" (a player) or "download"."""
    content_type = normalise_type(content_type)
    if content_type in INLINE_IMAGES:
        return "image"
    if content_type.startswith("audio/") and content_type in ALLOWED_TYPES:
        return "audio"
    return "download"


def evidence_root(configured: str, project_root: Path) -> Path:
    """The evidence folder as configured (relative paths are under the project), symlinks resolved."""
    folder = Path(configured)
    return (folder if folder.is_absolute() else project_root / folder).resolve()


def stored_file(root: Path, stored_path: str) -> Path | None:
    """The stored file, if it is a regular file inside the evidence folder; None otherwise.

    The path comes from the database: a row edited by hand, a restored backup or a symlink
    must not make the console serve a file from elsewhere on the server.
    """
    path = Path(stored_path)
    try:
        real = (path if path.is_absolute() else root / path).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real


class Fetcher(Protocol):
    async def fetch(self, ref: str, content_type: str, max_bytes: int) -> tuple[bytes, str]:
        """The file's bytes and its content type. Raise MediaError when it cannot or must not be fetched."""


def pending(db: Engine, *, refs: Sequence[str] | None = None, limit: int = 50) -> list[PendingEvidence]:
    """Evidence rows without a stored file: these refs, or (sweep) any from the last SWEEP_AGE."""
    with read_session(db) as s:
        return evidence_rows.pending(s, refs=refs, since=utcnow() - SWEEP_AGE, limit=limit)


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
    with unit_of_work(db) as s:
        # conditional: a second fetch of the same row (sweep racing a webhook) does not overwrite
        return evidence_rows.record_stored(s, evidence_id=evidence_id, stored_path=str(path),
                                           content_type=content_type)


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
                data, claimed = await fetcher.fetch(row.ref, row.content_type, self.max_bytes)
                if len(data) > self.max_bytes:
                    raise MediaError("file larger than the limit")
                content_type, extension = detect(data, claimed=claimed)
                if content_type != normalise_type(claimed):  # types only: nothing personal in this line
                    log.info("evidence %s: sent as %s, content is %s", row.evidence_id,
                             normalise_type(claimed)[:60] or "unknown", content_type)
                name = f"{row.evidence_id}{extension}"
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
