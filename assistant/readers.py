"""Readers: one small function per file type, each returning the pages of a file."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from assistant.errors import DocumentError, UnsupportedFileType
from assistant.types import Document, Page

logging.getLogger("pypdf").setLevel(logging.ERROR)

Reader = Callable[[Path, bytes], list[Page]]


def _decode_text(path: Path, data: bytes) -> str:
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"{path}: binary data, not text")
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{path}: text in an unknown encoding (tried UTF-8, UTF-16, GB18030)")


def read_text(path: Path, data: bytes) -> list[Page]:
    return [Page(number=None, text=_decode_text(path, data))]


def read_pdf(path: Path, data: bytes) -> list[Page]:
    import io

    import pypdf
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise DocumentError(f"{path}: not a PDF file (no %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path}: the PDF is encrypted with a password")
        pages = [Page(number=i, text=p.extract_text() or "") for i, p in enumerate(reader.pages, start=1)]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({exc})") from exc
    if not any(p.text.strip() for p in pages):
        raise DocumentError(f"{path}: the PDF has no text layer (scanned pages are not supported yet)")
    return pages


READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("txt", read_text),
    ".md": ("md", read_text),
    ".markdown": ("md", read_text),
    ".pdf": ("pdf", read_pdf),
}


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_document(path: Path, company: str, max_bytes: int | None = None) -> Document:
    """Parse one file into a Document, or raise an error naming the file and the reason."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        known = ", ".join(sorted(READERS))
        raise UnsupportedFileType(f"{path}: unsupported file type '{suffix or '(none)'}' (supported: {known})")
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise DocumentError(f"{path}: file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
        data = path.read_bytes()
    except PermissionError as exc:
        raise DocumentError(f"{path}: permission denied") from exc
    except IsADirectoryError as exc:
        raise DocumentError(f"{path}: is a directory") from exc
    name, reader = READERS[suffix]
    pages = reader(path, data)
    return Document(
        path=str(path),
        doc=path.name,
        company=company,
        sha256=hashlib.sha256(data).hexdigest(),
        reader=name,
        pages=pages,
    )
