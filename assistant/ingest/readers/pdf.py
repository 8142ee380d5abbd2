"""PDF: one Page per PDF page (1-based numbers).

Keeps: the text layer as pypdf extracts it; ruled tables as Markdown tables (see ``pdf_tables``); the
text of scanned pages (no text layer but an image) by OCR (see ``ocr``), with ``Page.ocr_confidence``.
Drops: running headers, footers and page numbers (see ``pdf_margins``), images, annotations, outlines.

A large PDF is shared between this process and a worker process (see ``pdf_worker``; pages interleaved)
because pypdf manages about 60 pages/s on one core (with ``pdf_text``'s fast path; 22 without) and
pdfplumber's table finder about 40 (fed by PDFium, see ``pdf_objects``; 12 when pdfminer parses the
page); a small PDF is read in this process. A page pypdf cannot parse is tried with pdfplumber's text (with a warning).
An empty user password is tried on encrypted PDFs (with a warning); any other password is an error.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError

from assistant.core.errors import DocumentError
from assistant.core.records import Page
from assistant.ingest.readers import pdf_objects, pdf_tables, pdf_text
from assistant.ingest.readers.common import Source, clean_text, one_line, squash
from assistant.ingest.readers.pdf_margins import strip_margins

logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its repairs of damaged files are not our errors
logging.getLogger("pdfminer").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

PARALLEL_MIN_PAGES = 24
NEAR_EMPTY_CHARS = 16  # a page with fewer non-space characters than this may be a scan
TABLES = True
FAST_TEXT = True  # pypdf's text through ``pdf_text.fast_text`` (same text, ~3× faster); False for comparison


@dataclass
class RawPage:
    """What a worker extracted from one page."""

    text: str
    tables: list[pdf_tables.RawTable] = field(default_factory=list)
    scanned: bool = False
    error: str | None = None


# ------------------------------------------------------------------------------------------------
# opening
# ------------------------------------------------------------------------------------------------
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
_READ_LOCK = threading.Lock()


def _readers(data: bytes | None, key: str) -> tuple[pypdf.PdfReader, dict[str, Any]]:
    """This process's pypdf reader for the PDF ``key``, and the cache that holds it (kept between the
    batches of one PDF that a worker is given; ``data`` is sent with the first batch only)."""
    if _CACHE.get("key") != key:
        _release()
        if data is None:
            raise RuntimeError("the PDF's bytes were not sent with its first batch")
        _CACHE.update(key=key, data=data, pypdf=open_pdf(data)[0], plumber=None)
    return _CACHE["pypdf"], _CACHE


def _release() -> None:
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
# ------------------------------------------------------------------------------------------------
def workers() -> int:
    """Worker processes to use for a big PDF: the usable cores, at most 2 (1 = read in this process)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


BATCH_PAGES = 4


def _extract_all(data: bytes, key: str, count: int, tables: bool) -> list[RawPage]:
    """All pages. A big PDF is shared between this process and worker processes in batches of
    BATCH_PAGES consecutive pages handed out as each finishes (so a slower process — a table-heavy
    stretch, a core taken by other work — simply does fewer)."""
    jobs = workers() if count >= PARALLEL_MIN_PAGES else 1
    if jobs == 1:
        return local_pages(data, key, list(range(count)), tables)
    from assistant.ingest.readers import pdf_worker

    batches = [list(range(start, min(start + BATCH_PAGES, count))) for start in range(0, count, BATCH_PAGES)]
    done = pdf_worker.run_batches(
        data, key, batches, tables, jobs - 1, lambda b: extract_pages(data, key, b, tables)
    )
    _release()
    pages: list[RawPage] = []
    for number, batch in enumerate(batches):
        part = done.get(number)
        pages += part if part is not None else local_pages(data, key, batch, tables)
    return pages


def local_pages(data: bytes, key: str, indexes: list[int], tables: bool) -> list[RawPage]:
    """``extract_pages`` in this process, releasing the parsed PDF afterwards."""
    try:
        return extract_pages(data, key, indexes, tables)
    finally:
        _release()


# ------------------------------------------------------------------------------------------------
# the reader
# ------------------------------------------------------------------------------------------------
def _ocr(source: Source, indexes: list[int], encrypted: bool) -> dict[int, tuple[str, float | None]]:
    """OCR text and confidence of the 0-based pages ``indexes``."""
    import pypdfium2 as pdfium

    from assistant.ingest.readers.ocr import ocr_pdf_page

    document = pdfium.PdfDocument(source.data, password="" if encrypted else None)
    try:
        return {index: ocr_pdf_page(document, index) for index in indexes}
    finally:
        document.close()


def _pages(numbers: list[int]) -> str:
    """[3] → "page 3"; [1, 2, 3, 5] → "pages 1-3, 5"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)
    return f"page {text}" if len(numbers) == 1 else f"pages {text}"


def read_pdf(source: Source) -> list[Page]:
    """Pages of a PDF: text layer, tables as Markdown, OCR for scans; margins removed."""
    path, data = source.path, source.data
    if b"%PDF" not in data[:1024]:
        raise DocumentError(f"{path}: not a PDF file (no %PDF header)")
    try:
        reader, encrypted = open_pdf(data, str(path))
        count = len(reader.pages)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({one_line(exc)})") from exc
    if count == 0:
        raise DocumentError(f"{path}: corrupt or unreadable PDF (no pages found)")
    if encrypted:
        source.warnings.append("the PDF is encrypted with an empty user password: decrypted to read it")
    key = hashlib.sha256(data).hexdigest()
    with _READ_LOCK:  # the per-process cache below is shared
        _release()
        _CACHE.update(key=key, data=data, pypdf=reader, plumber=None)  # the local share reuses this reader
        raw = _extract_all(data, key, count, TABLES)
    failed = [i for i, r in enumerate(raw, start=1) if r.error and not r.text]
    if len(failed) == count:
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({raw[0].error})")
    for number, r in enumerate(raw, start=1):
        if r.error:
            source.warnings.append(f"page {number}: {r.error}")
    confidences = _ocr_scans(source, raw, encrypted)

    texts = strip_margins([r.text for r in raw])
    carry: pdf_tables.Carry | None = None
    for i, r in enumerate(raw):
        rendered, carry = pdf_tables.render(r.tables, carry)
        if rendered:
            texts[i] = pdf_tables.place_tables(texts[i], rendered)
    return [
        Page(number=i + 1, text=clean_text(text), ocr_confidence=confidences.get(i))
        for i, text in enumerate(texts)
    ]


def _ocr_scans(source: Source, raw: list[RawPage], encrypted: bool) -> dict[int, float]:
    """OCR the scanned pages into ``raw`` (text replaced); their confidences by 0-based index."""
    scans = [i for i, r in enumerate(raw) if r.scanned]
    if not scans:
        return {}
    try:
        found = _ocr(source, scans, encrypted)
    except Exception as exc:
        source.warnings.append(f"{_pages([i + 1 for i in scans])}: OCR failed ({one_line(exc)})")
        return {}
    confidences: dict[int, float] = {}
    empty: list[int] = []
    for index, (text, confidence) in found.items():
        if text.strip() and confidence is not None:
            raw[index].text = text
            confidences[index] = confidence
        else:
            empty.append(index + 1)
    if confidences:
        mean = sum(confidences.values()) / len(confidences)
        read = _pages([i + 1 for i in sorted(confidences)])
        source.warnings.append(f"{read}: no text layer, read by OCR (mean confidence {mean:.2f})")
    if empty:
        source.warnings.append(f"{_pages(empty)}: no text layer and OCR found no text")
    return confidences
