"""PDF: one Page per PDF page (1-based numbers).

Keeps: the text layer as PDFium reads it (pypdf where PDFium cannot; see ``pdf_pages``); ruled tables as
Markdown tables (see ``pdf_tables``); the text of scanned pages (no text layer but an image) by OCR (see
``ocr``), with ``Page.ocr_confidence``. Drops: running headers, footers and page numbers (see
``pdf_margins``), images, annotations, outlines.

Pages are read by ``pdf_pages`` (text layer, scan detection, tables). A large PDF is shared between this
process and a worker process (see ``pdf_worker``; batches of pages handed out as each finishes) because
pdfplumber's table finder manages about 40 pages/s on one core (fed by PDFium, see ``pdf_objects``); the
text layer itself costs PDFium a few milliseconds a page. A small PDF is read in this process. An empty
user password is tried on encrypted PDFs (with a warning); any other password is an error.
"""

from __future__ import annotations

import hashlib
import logging
import os

from assistant.core.errors import DocumentError
from assistant.core.records import Page
from assistant.ingest.readers import pdf_pages, pdf_tables, pdf_worker
from assistant.ingest.readers.common import Source, clean_text, one_line
from assistant.ingest.readers.margins import find_margins
from assistant.ingest.readers.pdf_pages import RawPage, local_pages, open_pdf

logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its repairs of damaged files are not our errors
logging.getLogger("pdfminer").setLevel(logging.ERROR)

PARALLEL_MIN_PAGES = 24
TABLES = True


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
    batches = [list(range(start, min(start + BATCH_PAGES, count))) for start in range(0, count, BATCH_PAGES)]
    done = pdf_worker.run_batches(
        data, key, batches, tables, jobs - 1, lambda b: pdf_pages.extract_pages(data, key, b, tables)
    )
    pdf_pages.release()
    pages: list[RawPage] = []
    for number, batch in enumerate(batches):
        part = done.get(number)
        pages += part if part is not None else local_pages(data, key, batch, tables)
    return pages


# ------------------------------------------------------------------------------------------------
# the reader
# ------------------------------------------------------------------------------------------------


def _ocr(source: Source, indexes: list[int], encrypted: bool) -> dict[int, tuple[str, float | None]]:
    """OCR text and confidence of the 0-based pages ``indexes``."""
    import pypdfium2 as pdfium

    from assistant.ingest.readers.ocr import ocr_pdf_page

    with pdf_pages.LOCK:  # PDFium is not thread-safe
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
    """Pages of a PDF: text layer, tables as Markdown, OCR for scans; margins removed (and recorded in
    ``source.boilerplate``)."""
    path, data = source.path, source.data
    if b"%PDF" not in data[:1024]:
        raise DocumentError(f"{path}: not a PDF file (no %PDF header)")
    try:
        opened = open_pdf(data, str(path))
        count, encrypted = opened.pages, opened.encrypted
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({one_line(exc)})") from exc
    if count == 0:
        opened.close()
        raise DocumentError(f"{path}: corrupt or unreadable PDF (no pages found)")
    if encrypted:
        source.warnings.append("the PDF is encrypted with an empty user password: decrypted to read it")
    key = hashlib.sha256(data).hexdigest()
    with pdf_pages.READ_LOCK:  # this process's parsed PDF is shared
        pdf_pages.hold(key, data, opened)  # the local share reuses this parsed PDF
        raw = _extract_all(data, key, count, TABLES)
    failed = [i for i, r in enumerate(raw, start=1) if r.error and not r.text]
    if len(failed) == count:
        raise DocumentError(f"{path}: corrupt or unreadable PDF ({raw[0].error})")
    for number, r in enumerate(raw, start=1):
        if r.error:
            source.warnings.append(f"page {number}: {r.error}")
    confidences = _ocr_scans(source, raw, encrypted)

    margins = find_margins([r.text for r in raw])
    texts, source.boilerplate = margins.pages, margins.boilerplate
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
