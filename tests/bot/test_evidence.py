"""Evidence: what a file is comes from its bytes, and officers open it through an audited console route.

A reporter on Telegram sends files into an open case; a recording fake fetcher hands the
evidence store the bytes and the type the sender claimed; the console serves what was stored.
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from bot.web.app import create_app
from bot.channels import MediaError, media
from bot.channels.media import EvidenceStore
from bot.web.console_evidence import EVENT_KIND
from bot.settings_sections import MediaSettings
from flows.messages import MediaRef
from storage import case_detail, case_queue
from storage.db import unit_of_work
from storage.models import CaseEvent, Evidence
from tests.bot.console_util import LOCKED_IN, add_staff, login
from tests.bot.people_util import claim_as
from tests.conftest import Chat


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00")) + chunk(b"IEND", b""))


def ooxml(part: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(part, "<x/>")
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("foto.txt", "bukan dokumen")
    return buf.getvalue()


PNG = png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 60
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TEXT = "Saya dikurung majikan di Johor sejak Senin.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
MP4_3GP = b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x003gp4" + b"\x00" * 40
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


# --- the type is what the content is ------------------------------------------------------------------


@pytest.mark.parametrize("data, claimed, expected", [
    (PNG, "image/png", ("image/png", ".png")),
    (PNG, "image/jpeg", ("image/png", ".png")),  # the claim decides nothing
    (JPEG, "application/pdf", ("image/jpeg", ".jpg")),
    (OGG, "audio/mpeg", ("audio/ogg", ".ogg")),
    (PDF, "image/png", ("application/pdf", ".pdf")),
    (ooxml("word/document.xml"), "application/pdf",
     ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")),
    (ooxml("xl/workbook.xml"), "", ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")),
    (MP4_3GP, "video/mp4", ("video/3gpp", ".3gp")),
    (OLE, "application/msword", ("application/msword", ".doc")),
    (HTML, "image/png", ("text/html", ".html")),  # kept as what it is, never as a photo
    (b"  \n<p onclick=x>halo", "text/plain", ("text/html", ".html")),
    (SVG, "image/png", ("image/svg+xml", ".svg")),
    (TEXT, "image/jpeg", ("text/plain", ".txt")),
    (b"<3 untuk ibu", "text/plain", ("text/plain", ".txt")),
], ids=["png", "png-as-jpeg", "jpeg-as-pdf", "ogg-as-mp3", "pdf-as-png", "docx", "xlsx", "3gp", "doc",
        "html-as-png", "html-fragment", "svg-as-png", "text-as-jpeg", "text-with-lt"])
def test_the_type_comes_from_the_content(data: bytes, claimed: str, expected: tuple[str, str]) -> None:
    assert media.detect(data, claimed=claimed) == expected


@pytest.mark.parametrize("data, claimed", [
    (EXE, "application/pdf"), (ELF, "image/jpeg"), (plain_zip(), "application/vnd.ms-excel"),
    (OLE, "image/png"), (b"\x00\x01\x02\x03\xff\xfe" * 20, "image/jpeg"),
], ids=["exe-as-pdf", "elf-as-jpeg", "zip-as-xls", "ole-as-png", "unknown-binary"])
def test_executables_archives_and_unknown_binaries_are_refused(data: bytes, claimed: str) -> None:
    with pytest.raises(MediaError):
        media.detect(data, claimed=claimed)


@pytest.mark.parametrize("content_type, shown", [
    ("image/jpeg", "image"), ("image/png", "image"), ("image/heic", "download"), ("image/svg+xml", "download"),
    ("audio/ogg", "audio"), ("audio/mpeg", "audio"), ("text/html", "download"), ("application/pdf", "download"),
    ("text/plain", "download"), ("video/mp4", "download"),
])
def test_only_photos_are_shown_and_audio_is_played(content_type: str, shown: str) -> None:
    assert media.presentation(content_type) == shown


# --- stored with the detected extension ---------------------------------------------------------------


class FakeFetcher:
    """media.Fetcher that hands out registered bytes with the type the sender claimed; records each fetch."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files
        self.fetched: list[str] = []

    async def fetch(self, ref: str, content_type: str, max_bytes: int) -> tuple[bytes, str]:
        self.fetched.append(ref)
        return self.files[ref]


FILES = {
    "tg-photo": (PNG, "image/png"),
    "tg-voice": (OGG, "audio/ogg"),
    "tg-contract": (PDF, "application/pdf"),
    "tg-fake-photo": (HTML, "image/png"),
    "tg-jpeg-said-png": (JPEG, "image/png"),
    "tg-program": (EXE, "application/pdf"),
}
KINDS = {"tg-photo": "photo", "tg-voice": "voice", "tg-contract": "document", "tg-fake-photo": "document",
         "tg-jpeg-said-png": "document", "tg-program": "document"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def reporter(service) -> Chat:
    chat = Chat(service)
    chat.say(LOCKED_IN)
    return chat


@pytest.fixture
def stored(service, reporter, folder) -> dict[str, Evidence]:
    """Every file of FILES sent into the reporter's case and fetched; evidence rows by ref."""
    refs = tuple(MediaRef(KINDS[ref], ref, claimed) for ref, (_, claimed) in FILES.items())
    reporter.say("ini buktinya", media=refs)
    fetcher = FakeFetcher(FILES)
    store = EvidenceStore(service.db, folder, 1024 * 1024, {"telegram": fetcher})
    asyncio.run(store.fetch())
    assert sorted(fetcher.fetched) == sorted(FILES)
    with unit_of_work(service.db) as s:
        return {e.ref: e for e in s.exec(select(Evidence))}


def test_files_are_stored_as_what_they_are(stored, folder) -> None:
    photo, fake_photo, jpeg = stored["tg-photo"], stored["tg-fake-photo"], stored["tg-jpeg-said-png"]
    assert photo.stored_path.endswith(".png") and photo.content_type == "image/png"
    assert Path(photo.stored_path).read_bytes() == PNG
    # an HTML page sent as "photo.png" is kept, as HTML
    assert fake_photo.stored_path.endswith(".html") and fake_photo.content_type == "text/html"
    assert jpeg.stored_path.endswith(".jpg") and jpeg.content_type == "image/jpeg"
    assert stored["tg-voice"].stored_path.endswith(".ogg")
    assert stored["tg-contract"].stored_path.endswith(".pdf")
    # an executable is not kept at all
    assert stored["tg-program"].stored_path is None
    assert not [p for p in folder.rglob("*") if p.suffix in (".exe", ".bin") or p.name.startswith(".part-")]
    assert all(Path(e.stored_path).is_relative_to(folder) for e in stored.values() if e.stored_path)


# --- the console route --------------------------------------------------------------------------------


@pytest.fixture
def app_settings(settings, folder):
    return settings.model_copy(update={"media": MediaSettings(evidence_dir=str(folder), max_bytes=1024 * 1024)})


@pytest.fixture
def client(app_settings, service):
    with TestClient(create_app(app_settings, service)) as c:
        yield c


@pytest.fixture
def officer(client, stored) -> str:
    """An officer who has taken the reporter's case: evidence is part of the full case."""
    add_staff(client.app.state.service, "rina")
    login(client, "rina")
    for case_id in {e.case_id for e in stored.values()}:
        claim_as(client.app.state.service, case_id, "rina")
    return "rina"


def url(e: Evidence, download: bool = False) -> str:
    return f"/console/cases/{e.case_id}/evidence/{e.id}" + ("?unduh=1" if download else "")


def views(service, case_id: int) -> list[CaseEvent]:
    with unit_of_work(service.db) as s:
        return [e for e in case_detail.events(s, case_id=case_id) if e.kind == EVENT_KIND]


def assert_safe_headers(r) -> None:  # type: ignore[no-untyped-def]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_a_photo_is_shown_inline_and_each_view_is_audited(stored, client, officer, service) -> None:
    photo = stored["tg-photo"]
    r = client.get(url(photo))
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"].startswith("inline")
    assert_safe_headers(r)
    client.get(url(photo))
    trail = views(service, photo.case_id)
    assert [(e.actor, e.detail) for e in trail] == [("rina", f"bukti #{photo.id} (image/png) dibuka")] * 2


def test_a_photo_can_also_be_downloaded(stored, client, officer, service) -> None:
    photo = stored["tg-photo"]
    r = client.get(url(photo, download=True))
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    assert f'-bukti-{photo.id}.png"' in r.headers["content-disposition"]
    assert views(service, photo.case_id)[-1].detail.endswith("diunduh")


def test_a_voice_note_plays_in_the_case_page(stored, client, officer, service) -> None:
    voice = stored["tg-voice"]
    # issue 15: an officer sees an unassigned case as a summary only (no evidence); rina takes it first
    page = client.get(f"/console/cases/{voice.case_id}").text
    assert f'<audio controls preload="none" src="{url(voice)}"></audio>' in page
    assert not views(service, voice.case_id)  # the page itself fetched nothing: preload="none"
    r = client.get(url(voice), headers={"Range": "bytes=0-"})
    assert r.status_code in (200, 206) and r.headers["content-type"] == "audio/ogg"
    assert r.headers["content-disposition"].startswith("inline")
    assert_safe_headers(r)
    # the player's further range requests are the same listening, not new views
    client.get(url(voice), headers={"Range": "bytes=40-"})
    assert len(views(service, voice.case_id)) == 1


@pytest.mark.parametrize("ref, filename", [("tg-contract", ".pdf"), ("tg-fake-photo", ".html")])
def test_everything_else_is_a_download(stored, client, officer, ref, filename) -> None:
    e = stored[ref]
    r = client.get(url(e))  # even without ?unduh=1
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-disposition"].endswith(f'{filename}"')
    assert_safe_headers(r)
    if ref == "tg-fake-photo":
        # markup never goes out with a type a browser would render
        assert r.headers["content-type"] == "application/octet-stream"


def test_a_file_stored_under_a_false_type_is_still_only_a_download(stored, client, officer, service, folder) -> None:
    # as evidence was kept before detection: an HTML page stored as ".png", recorded as image/png
    e = stored["tg-photo"]
    legacy = folder / "legacy.png"
    legacy.write_bytes(HTML)
    with unit_of_work(service.db) as s:
        row = s.get(Evidence, e.id)
        row.stored_path, row.content_type = str(legacy), "image/png"
    r = client.get(url(e))
    assert r.status_code == 200 and r.content == HTML
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-type"] == "application/octet-stream"
    assert_safe_headers(r)


def test_the_case_page_links_the_evidence_and_shows_no_server_path(stored, client, officer, service) -> None:
    photo = stored["tg-photo"]
    # issue 15: an officer sees an unassigned case as a summary only (no evidence); rina takes it first
    page = client.get(f"/console/cases/{photo.case_id}").text
    assert f'href="{url(photo)}"' in page and f'href="{url(stored["tg-contract"], download=True)}"' in page
    assert 'href="' + url(stored["tg-fake-photo"]) + '"' not in page  # HTML: a download link only
    for e in stored.values():
        if e.stored_path:
            assert e.stored_path not in page and Path(e.stored_path).name not in page
    assert "berkas tidak tersimpan" in page  # the executable that was refused


@pytest.mark.parametrize("outside", ["elsewhere", "traversal", "symlink"])
def test_a_path_outside_the_evidence_folder_is_refused(stored, client, officer, service, folder, tmp_path,
                                                       outside) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("DATABASE_PASSWORD=hunter2")
    e = stored["tg-contract"]
    if outside == "elsewhere":
        path = str(secret)
    elif outside == "traversal":
        path = str(folder / e.stored_path.split("/")[-2] / ".." / ".." / "secret.txt")
    else:
        link = folder / "link.pdf"
        os.symlink(secret, link)
        path = str(link)
    with unit_of_work(service.db) as s:
        s.get(Evidence, e.id).stored_path = path
    r = client.get(url(e))
    assert r.status_code == 403 and "hunter2" not in r.text
    assert not views(service, e.case_id)  # nothing served, nothing to audit


def test_only_signed_in_staff_open_evidence(stored, client, service) -> None:
    photo = stored["tg-photo"]
    r = client.get(url(photo), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert not views(service, photo.case_id)
    # evidence is part of the full case: supervisors and admins open it; an officer who has not
    # taken the case sees its summary only, and the refused attempt is in the audit trail
    for name, role, status in (("ani", "officer", 403), ("sri", "supervisor", 200), ("adi", "admin", 200)):
        add_staff(service, name, role=role)
        client.cookies.clear()  # signed out, then in as the next person
        login(client, name)
        assert client.get(url(photo)).status_code == status
        assert client.get(f"/console/cases/{photo.case_id}").status_code == 200
    assert [e.actor for e in views(service, photo.case_id)] == ["sri", "adi"]
    with unit_of_work(service.db) as s:
        denied = s.exec(select(CaseEvent).where(col(CaseEvent.case_id) == photo.case_id,
                                                col(CaseEvent.kind) == "view_denied")).all()
    assert [(e.actor, e.detail) for e in denied] == [("ani", f"ditolak: bukti #{photo.id}")]


def test_evidence_is_found_only_under_its_own_case(stored, client, officer, service, reporter) -> None:
    other = Chat(service)
    other.say(LOCKED_IN)
    with unit_of_work(service.db) as s:
        ids = [c.id for c in case_queue.queue(s)]
    photo = stored["tg-photo"]
    other_case = next(i for i in ids if i != photo.case_id)
    claim_as(service, other_case, officer)
    assert client.get(f"/console/cases/{other_case}/evidence/{photo.id}").status_code == 404
    assert client.get(f"/console/cases/{photo.case_id}/evidence/999999").status_code == 404
    assert client.get(url(stored["tg-program"])).status_code == 404  # refused, so never stored
    # numbers no column holds are refused before the database is asked
    for path in (f"/console/cases/{photo.case_id}/evidence/{2**70}", f"/console/cases/{2**70}/evidence/1",
                 f"/console/cases/{photo.case_id}/evidence/0", url(photo) + "?unduh=7"):
        assert client.get(path).status_code == 422
    with unit_of_work(service.db) as s:
        assert not s.exec(select(CaseEvent).where(col(CaseEvent.kind) == EVENT_KIND)).all()
