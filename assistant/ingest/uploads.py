"""Uploaded documents: checked names and types, saved under ``<store>/uploads/<company>/<name>`` and
ingested. A refused or failed upload leaves nothing behind: no file, no ledger row, no chunk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
import unicodedata
import uuid
from pathlib import Path
from typing import BinaryIO

from assistant.core.errors import InputError
from assistant.core.names import safe_name
from assistant.core.records import FileReport
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_file
from assistant.ingest.readers import EXTENSIONS
from assistant.store.index import Store

#: reader → content types a client may declare for it (besides the generic ones)
MIME_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({"application/pdf", "application/x-pdf"}),
    "docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    "xlsx": frozenset(
        {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-excel.sheet.macroenabled.12",
        }
    ),
    "html": frozenset({"text/html", "application/xhtml+xml"}),
    "csv": frozenset(
        {"text/csv", "text/tab-separated-values", "application/csv", "application/vnd.ms-excel"}
    ),
    "json": frozenset(
        {
            "application/json",
            "application/x-ndjson",
            "application/jsonl",
            "application/x-jsonlines",
            "application/ndjson",
            "text/json",
        }
    ),
    "txt": frozenset({"text/plain"}),
    "md": frozenset({"text/markdown", "text/x-markdown", "text/plain"}),
}
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_TEXT_READERS = {"txt", "md", "csv", "json", "html"}
_NOT_DOCUMENTS = {
    b"\x7fELF": "an executable program",
    b"MZ": "a Windows executable",
    b"\xca\xfe\xba\xbe": "an executable or Java class file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\xd0\xcf\x11\xe0": "a legacy Office file (.doc/.xls/.ppt): save it as .docx or .xlsx",
}
_FORBIDDEN = set('/\\<>:"|?*')
CHUNK = 1 << 20
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class UploadRefused(InputError):
    """An upload that is refused before anything is stored; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _plain_name(raw: str, what: str) -> str:
    """A single path component: no folders, NUL or control characters, not hidden."""
    if "\x00" in raw:
        raise UploadRefused(f"the {what} contains a NUL byte")
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        raise UploadRefused(f"the {what} contains control characters")
    if "/" in raw or "\\" in raw or raw.strip() in (".", ".."):
        raise UploadRefused(
            f"the {what} {raw!r} is a path: send a plain name without folders (e.g. report.pdf)"
        )
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise UploadRefused(f"the {what} is empty")
    bad = sorted(set(name) & _FORBIDDEN)
    if bad:
        raise UploadRefused(f"the {what} {name!r} contains characters not allowed in names: {' '.join(bad)}")
    if name.startswith((".", "_")):
        raise UploadRefused(f"the {what} {name!r} starts with '.' or '_': such names are never ingested")
    if len(name.encode()) > 200:
        raise UploadRefused(f"the {what} is {len(name.encode())} bytes long; the limit is 200")
    return name


def safe_file_name(raw: str | None) -> str:
    """The upload's file name, checked (it becomes the document's name ``doc``)."""
    if not raw:
        raise UploadRefused("the upload has no file name")
    name = _plain_name(raw, "file name")
    suffix = Path(name).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise UploadRefused(
            f"unsupported file type '{suffix or '(none)'}' of {name!r} (supported: {known})", 415
        )
    return name


def safe_company(raw: str) -> str:
    """A new company's name, checked (it names the upload folder)."""
    name = _plain_name(raw, "company name")
    if len(name) > 100:
        raise UploadRefused(f"the company name is {len(name)} characters long; the limit is 100")
    return name


def check_content_type(name: str, declared: str | None) -> None:
    """Refuse a declared content type that contradicts the file's extension (415)."""
    mime = (declared or "").split(";")[0].strip().lower()
    reader = EXTENSIONS[Path(name).suffix.lower()]
    if mime in GENERIC_TYPES or mime in MIME_TYPES[reader]:
        return
    if reader in _TEXT_READERS and mime.startswith("text/"):
        return
    expected = " or ".join(sorted(MIME_TYPES[reader]))
    raise UploadRefused(f"content type '{mime}' does not match {name!r} (expected {expected})", 415)


def check_content(name: str, head: bytes) -> None:
    """Refuse content that is plainly not a document (executables, images, archives) (415)."""
    if not head.strip():
        raise UploadRefused(f"{name!r} is empty")
    for magic, what in _NOT_DOCUMENTS.items():
        if head.startswith(magic):
            raise UploadRefused(f"{name!r} is {what}, not a document", 415)


class Uploads:
    """Saves uploads under ``<store>/uploads`` and ingests them, one at a time."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.root = Path(settings.store) / "uploads"
        self.incoming = self.root / ".incoming"
        with _LOCKS_GUARD:  # one lock per uploads folder, shared by the API's and the web app's Uploads
            self._lock = _LOCKS.setdefault(str(self.root.resolve()), threading.Lock())

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_file_mb * 1e6)

    def path_of(self, company: str, doc: str) -> Path:
        return self.root / safe_name(company, "company") / doc

    def receive(self, source: BinaryIO, name: str) -> Path:
        """Copy an upload into ``.incoming`` within the size limit and check its content; the temp path."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        temp = self.incoming / uuid.uuid4().hex
        size, head = 0, b""
        try:
            with temp.open("wb") as out:
                while block := source.read(CHUNK):
                    size += len(block)
                    if size > self.max_bytes:
                        raise UploadRefused(
                            f"{name!r} is over the {self.settings.max_file_mb:g} MB upload limit", 413
                        )
                    if len(head) < 4096:
                        head += block[: 4096 - len(head)]
                    out.write(block)
            check_content(name, head)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp

    def ingest(self, temp: Path, company: str, name: str) -> FileReport:
        """Move a received file into place and ingest it. Stored or unchanged: it stays; duplicate or
        failed: the file is removed (an earlier version put back) and the ledger forgets the failure."""
        final = self.path_of(company, name)
        if not final.resolve().is_relative_to(self.root.resolve()):  # defence in depth; names are plain
            temp.unlink(missing_ok=True)
            raise UploadRefused(f"the file name {name!r} leads outside the uploads folder")
        final.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            backup = None
            if final.exists():
                backup = self.incoming / f"{uuid.uuid4().hex}.previous"
                os.replace(final, backup)
            os.replace(temp, final)
            t0 = time.perf_counter()
            report = ingest_file(final, company, self.store, self.settings, explicit=True)
            keep = report.status in ("stored", "unchanged")
            if not keep:
                final.unlink(missing_ok=True)
                if backup is not None:
                    os.replace(backup, final)
                self.store.ledger.clear_failure(str(final))
            elif backup is not None:
                backup.unlink(missing_ok=True)
            if not final.parent.exists() or not any(final.parent.iterdir()):
                shutil.rmtree(final.parent, ignore_errors=True)
        shown = f"uploads/{final.parent.name}/{name}"
        report.path = shown
        if report.error:
            report.error = report.error.replace(str(final), shown)
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def remove(self, company: str, doc: str) -> bool:
        """Delete the uploaded file of a document that was removed from the store (if it was uploaded),
        also where an earlier version kept it (a folder named ``company-`` + 16 hex digits of the name's sha256,
        or the name itself), so deleting a document never leaves its uploaded copy behind."""
        legacy = self.root / ("company-" + hashlib.sha256(company.encode()).hexdigest()[:16]) / doc
        with self._lock:
            for path in (self.path_of(company, doc), legacy, self.root / company / doc):
                if path.resolve().parent.parent == self.root.resolve() and path.is_file():
                    path.unlink()
                    if not any(path.parent.iterdir()):
                        path.parent.rmdir()
                    return True
        return False
