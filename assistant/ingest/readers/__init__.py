"""Readers: turn one file into a Document, choosing the reader by what the file contains.

``supported(path)`` answers by extension (to skip unknown files in folders). ``read_document`` checks
the file (exists, not a directory, readable, within the size limit, not empty), sniffs its content —
``%PDF`` → PDF; a zip with ``word/document.xml`` → DOCX or ``xl/workbook.xml`` → XLSX; text that starts
with a tag and has ``<html``, ``<!doctype html``, ``<head`` or ``<body`` in its first 2 KB → HTML;
``{`` / ``[`` that parses → JSON; otherwise text (legacy Office, images and archives are refused) — and
reads it with the matching module. A file whose content contradicts its extension is read by its
content, with a warning ("wrong extension: looks like PDF"). Every failure is a DocumentError (or
UnsupportedFileType) whose one-line message starts with the file's path and says why.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

from assistant.core.errors import DocumentError, UnsupportedFileType
from assistant.core.records import Document
from assistant.ingest.readers.common import Reader, Source, one_line, zip_names
from assistant.ingest.readers.docx import read_docx
from assistant.ingest.readers.html_page import read_html
from assistant.ingest.readers.jsonrec import read_json
from assistant.ingest.readers.pdf import read_pdf
from assistant.ingest.readers.sheet import read_csv, read_xlsx
from assistant.ingest.readers.text import decode_text, read_text

__all__ = ["EXTENSIONS", "READERS", "read_document", "sniff", "supported"]

#: reader name → function; the name is recorded in Document.reader
READERS: dict[str, Reader] = {
    "txt": read_text,
    "md": read_text,
    "pdf": read_pdf,
    "docx": read_docx,
    "html": read_html,
    "xlsx": read_xlsx,
    "csv": read_csv,
    "json": read_json,
}

#: extension → the reader its name promises
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}

_TEXT_FAMILY = {"txt", "md", "csv", "json", "html"}
_LABELS = {
    "pdf": "PDF",
    "docx": "DOCX",
    "xlsx": "XLSX",
    "html": "HTML",
    "json": "JSON",
    "csv": "CSV",
    "txt": "text",
    "md": "Markdown",
}
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_BINARY_MAGIC = {
    b"\xd0\xcf\x11\xe0": "a legacy Office file (.doc/.xls/.ppt): save it as .docx or .xlsx",
    b"\x89PNG": "a PNG image, not a document",
    b"\xff\xd8\xff": "a JPEG image, not a document",
    b"GIF8": "a GIF image, not a document",
    b"Rar!": "a RAR archive, not a document",
    b"\x1f\x8b": "a gzip archive, not a document",
    b"7z\xbc\xaf": "a 7-Zip archive, not a document",
    b"{\\rtf": "an RTF file: save it as .docx",
}


def supported(path: Path) -> bool:
    """Whether the extension is one a reader handles."""
    return path.suffix.lower() in EXTENSIONS


def _sniff_zip(source: Source) -> str:
    names = set(zip_names(source.path, source.data))
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise DocumentError(
        f"{source.path}: a zip archive that is neither a Word (.docx) nor an Excel (.xlsx) file"
    )


def _parses_as_json(text: str) -> bool:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
        return True
    except (ValueError, RecursionError):
        lines = [line for line in stripped.splitlines() if line.strip()]  # maybe JSON Lines
    try:  # JSON Lines
        return len(lines) > 1 and all(isinstance(json.loads(line), dict | list) for line in lines[:50])
    except (ValueError, RecursionError):
        return False


def sniff(source: Source, declared: str) -> str:
    """The reader the content calls for (decoding text into ``source.text`` on the way)."""
    data = source.data
    if data.lstrip()[:5] == b"%PDF-" or (b"%PDF-" in data[:1024] and declared not in _TEXT_FAMILY):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(source)
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise DocumentError(f"{source.path}: {what}")
    if declared == "pdf" and _looks_binary(data):
        raise DocumentError(f"{source.path}: not a PDF file (no %PDF header)")
    if declared in ("docx", "xlsx") and _looks_binary(data):
        raise DocumentError(
            f"{source.path}: not an Office Open XML ({_LABELS[declared]}) file (not a zip container)"
        )
    text = decode_text(source)
    head = text[:2048].lstrip()
    if head.startswith("<") and _HTML_TAG.search(head):
        return "html"
    if declared == "json" or (declared != "csv" and _parses_as_json(text)):
        return "json"
    return declared if declared in _TEXT_FAMILY else "txt"


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" in head or sum(1 for b in head if b < 9 or 13 < b < 32) > len(head) // 100


def _load(path: Path, max_bytes: int | None) -> bytes:
    try:
        if path.is_dir():
            raise DocumentError(f"{path}: is a directory, not a file")
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise DocumentError(f"{path}: file is {size / 1e6:.3g} MB, over the {max_bytes / 1e6:g} MB limit")
        data = path.read_bytes()
    except PermissionError as exc:
        raise DocumentError(f"{path}: permission denied") from exc
    except FileNotFoundError as exc:
        raise DocumentError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise DocumentError(f"{path}: is a directory, not a file") from exc
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or one_line(exc)})") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise DocumentError(
            f"{path}: file is {len(data) / 1e6:.3g} MB, over the {max_bytes / 1e6:g} MB limit"
        )
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty")
    return data


def read_document(path: Path, company: str, max_bytes: int | None = None) -> Document:
    """Parse one file into a Document, or raise an error naming the file and the reason."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise UnsupportedFileType(
            f"{path}: unsupported file type '{suffix or '(none)'}' (supported: {known})"
        )
    declared = EXTENSIONS[suffix]
    source = Source(path=path, data=_load(path, max_bytes))
    name = declared
    try:
        name = sniff(source, declared)
        if name != declared:
            source.warnings.insert(0, f"wrong extension: looks like {_LABELS[name]}")
        pages = READERS[name](source)
    except DocumentError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise DocumentError(
            f"{path}: too deeply nested or too large to parse ({type(exc).__name__})"
        ) from exc
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"{path}: corrupt or truncated zip container ({one_line(exc)})") from exc
    except Exception as exc:  # any parser's own error: the file is damaged or not what it claims
        label = _LABELS[name]
        raise DocumentError(
            f"{path}: corrupt or unreadable {label} file ({type(exc).__name__}: {one_line(exc)})"
        ) from exc
    if not any(page.text.strip() for page in pages):
        why = f" ({source.warnings[-1]})" if source.warnings else ""
        raise DocumentError(f"{path}: no text found in the {_LABELS[name]} file{why}")
    return Document(
        path=str(path),
        doc=path.name,
        company=company,
        sha256=hashlib.sha256(source.data).hexdigest(),
        reader=name,
        pages=pages,
        warnings=source.warnings,
        boilerplate=source.boilerplate,
    )
