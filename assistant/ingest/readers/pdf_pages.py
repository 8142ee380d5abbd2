"""Reading the pages of one PDF, in whichever process does it (this one or a worker, see ``pdf_worker``):
the text layer through pypdf (with ``pdf_text``'s fast path), a scanned page's mark (no text but an image),
pdfplumber's text for a page pypdf fails on, and the ruled tables of a tabular page (see ``pdf_tables``,
fed by PDFium, see ``pdf_objects``). Each process keeps the parsed PDF it is reading (``hold`` / ``release``)
so the batches of one PDF parse it once.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError

from assistant.core.errors import DocumentError
from assistant.ingest.readers import pdf_objects, pdf_tables, pdf_text
from assistant.ingest.readers.common import one_line, squash

log = logging.getLogger(__name__)

NEAR_EMPTY_CHARS = 16  # a page with fewer non-space characters than this may be a scan
FAST_TEXT = True  # pypdf's text through ``pdf_text.fast_text`` (same text, ~3× faster); False for comparison


@dataclass
class RawPage:
    """What a worker extracted from one page."""

    text: str
    tables: list[pdf_tables.RawTable] = field(default_factory=list)
    scanned: bool = False
    error: str | None = None


def open_pdf(data: bytes, label: str = "") -> tuple[pypdf.PdfReader, bool]:
    """A pypdf reader, decrypted with the empty password if needed; and whether it was encrypted."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        if encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError as exc:
                raise DocumentError(
                    f"{label}: the PDF uses encryption that needs a missing library ({exc})"
                ) from exc
            if not ok:
                raise DocumentError(f"{label}: the PDF is encrypted with a password")
        return reader, encrypted
    except FileNotDecryptedError as exc:
        raise DocumentError(f"{label}: the PDF is encrypted with a password") from exc


_CACHE: dict[str, Any] = {}
READ_LOCK = threading.Lock()  # a reading of a whole PDF in this process (the cache is shared)


def hold(key: str, data: bytes, reader: pypdf.PdfReader) -> None:
    """Keep ``reader`` (already open) as this process's parsed PDF ``key``."""
    release()
    _CACHE.update(key=key, data=data, pypdf=reader, plumber=None)


def _readers(data: bytes | None, key: str) -> tuple[pypdf.PdfReader, dict[str, Any]]:
    """This process's pypdf reader for the PDF ``key``, and the cache that holds it (kept between the
    batches of one PDF that a worker is given; ``data`` is sent with the first batch only)."""
    if _CACHE.get("key") != key:
        release()
        if data is None:
            raise RuntimeError("the PDF's bytes were not sent with its first batch")
        _CACHE.update(key=key, data=data, pypdf=open_pdf(data)[0], plumber=None)
    return _CACHE["pypdf"], _CACHE


def release() -> None:
    """Forget this process's parsed PDF (closing pdfplumber's and PDFium's, which can fail on a damaged
    file)."""
    opened = [_CACHE.get("plumber"), _CACHE.get("pdfium")]
    _CACHE.clear()
    for document in opened:
        if document is not None:
            try:
                document.close()
            except Exception as exc:
                log.debug("closing a parsed PDF failed: %s", exc)


def _plumber_page(cache: dict[str, Any], index: int) -> Any:
    """Page ``index`` of this process's pdfplumber document (opened on first use)."""
    if cache.get("plumber") is None:
        import pdfplumber

        cache["plumber"] = pdfplumber.open(io.BytesIO(cache["data"]), password="")
    return cache["plumber"].pages[index]


def _table_page(cache: dict[str, Any], index: int) -> Any:
    """Page ``index`` for pdfplumber's table finder, its characters and lines read by PDFium (see
    ``pdf_objects``; pdfminer reads it when PDFium cannot)."""
    page = _plumber_page(cache, index)
    try:
        if cache.get("pdfium") is None:
            cache["pdfium"] = pdf_objects.open_document(cache["data"])
        objects = pdf_objects.plumber_objects(cache["pdfium"], index)
    except Exception as exc:
        log.debug("PDFium could not read page %d: %s", index + 1, exc)
        objects = None
    if objects is not None:
        page._objects = objects
    return page


def _has_image(page: Any, depth: int = 0) -> bool:
    """Whether a pypdf page (or form XObject) draws an image: the mark of a scanned page."""
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image" or (subtype == "/Form" and depth < 3 and _has_image(obj, depth + 1)):
                return True
    except Exception:  # a damaged resource dictionary: treat as no image
        return False
    return False


def _fallback_text(cache: dict[str, Any], index: int) -> str:
    """pdfplumber's text of a page pypdf failed on ("" when it fails too)."""
    try:
        page = _plumber_page(cache, index)
        text = page.extract_text() or ""
        page.close()
        return str(text)
    except Exception:
        return ""


def extract_pages(data: bytes | None, key: str, indexes: list[int], tables: bool = True) -> list[RawPage]:
    """Text (and ruled tables of tabular pages) of the 0-based pages ``indexes``. Runs in a worker."""
    reader, cache = _readers(data, key)
    with pdf_text.fast_text(FAST_TEXT, fonts=cache.setdefault("fonts", {})):  # fonts kept for the whole PDF
        return [_extract_page(reader, cache, index, tables) for index in indexes]


def _extract_page(reader: pypdf.PdfReader, cache: dict[str, Any], index: int, tables: bool) -> RawPage:
    """Text (and ruled tables if the page looks tabular) of 0-based page ``index``."""
    raw = RawPage(text="")
    try:
        page = reader.pages[index]
        raw.text = page.extract_text() or ""
        if len(squash(raw.text)) < NEAR_EMPTY_CHARS:
            raw.scanned = _has_image(page)
    except Exception as exc:  # one damaged page must not lose the others
        raw.error = f"text could not be extracted ({type(exc).__name__}: {one_line(exc, 120)})"
        raw.text = _fallback_text(cache, index)
        if raw.text:
            raw.error = raw.error.replace(
                "text could not be extracted", "text read by pdfplumber: pypdf failed"
            )
    if tables and not raw.error and pdf_tables.looks_tabular(raw.text):
        try:
            plumber_page = _table_page(cache, index)
            raw.tables = pdf_tables.find_tables(plumber_page)
            plumber_page.close()
        except Exception as exc:
            raw.error = f"tables could not be extracted ({type(exc).__name__}: {one_line(exc, 120)})"
    return raw


# ------------------------------------------------------------------------------------------------
# parallel extraction


def local_pages(data: bytes, key: str, indexes: list[int], tables: bool) -> list[RawPage]:
    """``extract_pages`` in this process, releasing the parsed PDF afterwards."""
    try:
        return extract_pages(data, key, indexes, tables)
    finally:
        release()


# ------------------------------------------------------------------------------------------------
