"""Reading the pages of one PDF, in whichever process does it (this one or a worker, see ``pdf_worker``):
the text layer through PDFium (see ``pdfium_text``), a scanned page's mark (no text but an image), the
ruled tables of a tabular page (see ``pdf_tables``, fed by PDFium, see ``pdf_objects``), and the fallbacks
for what PDFium cannot read: a PDF it cannot open is read by pypdf (with ``pdf_text``'s fast path), a page
it fails on by pypdf, then by pdfplumber. Each process keeps the parsed PDF it is reading (``hold`` /
``release``) so the batches of one PDF parse it once.

PDFium (C++) gives a page's text in about 3 ms, pypdf (pure Python) in 15–40 (with ``pdf_text``). On the
corpus's and the devset's PDFs the two read the same characters (but a glyph printed twice over itself, a
bold cover title, which PDFium reads once), in the same order on 94–100% of a report's pages (on the others
two table cells are in the other order: the tables themselves come from ``pdf_objects`` either way). The
white space differs: PDFium writes one space where the layout leaves a gap (pypdf a run of the spaces the
PDF drew, or none between a Chinese character and a figure: "近5 年" for "近 5 年"), and no blank lines.
``pdfium_text`` writes a hyphen that ends a line (PDFium's U+FFFE) as "-". ``tests/ingest/test_pdf_engine``
checks all this on every PDF at hand.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf.errors import DependencyError, FileNotDecryptedError

from assistant.core.errors import DocumentError
from assistant.ingest.readers import pdf_objects, pdf_tables, pdf_text
from assistant.ingest.readers.common import one_line, squash

log = logging.getLogger(__name__)

NEAR_EMPTY_CHARS = 16  # a page with fewer non-space characters than this may be a scan
TEXT_ENGINE = "pdfium"  # "pypdf": pypdf's text layer on every page (the reader before PDFium, to compare)
FAST_TEXT = True  # pypdf's text through ``pdf_text.fast_text`` (same text, ~3× faster); False for comparison
_PDFIUM_MARKS = str.maketrans({"\ufffe": "-", "\x02": "-", "\x00": None})  # a hyphen that ends a line
LOCK = threading.RLock()  # PDFium is not thread-safe: every call in this process is made holding it


@dataclass
class RawPage:
    """What a worker extracted from one page."""

    text: str
    tables: list[pdf_tables.RawTable] = field(default_factory=list)
    scanned: bool = False
    error: str | None = None


@dataclass
class Opened:
    """A parsed PDF: PDFium's document, or pypdf's reader when PDFium cannot open the file."""

    pages: int
    encrypted: bool
    pdfium: pdfium.PdfDocument | None = None
    pypdf: pypdf.PdfReader | None = None

    def close(self) -> None:
        if self.pdfium is not None:
            with LOCK:
                self.pdfium.close()


def open_pdf(data: bytes, label: str = "") -> Opened:
    """The PDF parsed by PDFium (by pypdf if PDFium cannot open it), with the empty user password tried;
    DocumentError when it needs another password."""
    try:
        with LOCK:
            document = pdfium.PdfDocument(data, password="")
            encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1
            return Opened(pages=len(document), encrypted=encrypted, pdfium=document)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise DocumentError(f"{label}: the PDF is encrypted with a password") from exc
        log.debug("PDFium cannot open %s (%s): reading it with pypdf", label, exc)
    reader, encrypted = open_pypdf(data, label)
    return Opened(pages=len(reader.pages), encrypted=encrypted, pypdf=reader)


def open_pypdf(data: bytes, label: str = "") -> tuple[pypdf.PdfReader, bool]:
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


def hold(key: str, data: bytes, opened: Opened) -> None:
    """Keep ``opened`` (already parsed) as this process's PDF ``key``."""
    release()
    _CACHE.update(key=key, data=data, opened=opened)


def _opened(data: bytes | None, key: str) -> tuple[Opened, dict[str, Any]]:
    """This process's parsed PDF ``key``, and the cache that holds it (kept between the batches of one PDF
    that a worker is given; ``data`` is sent with the first batch only)."""
    if _CACHE.get("key") != key:
        release()
        if data is None:
            raise RuntimeError("the PDF's bytes were not sent with its first batch")
        _CACHE.update(key=key, data=data, opened=open_pdf(data))
    return _CACHE["opened"], _CACHE


def release() -> None:
    """Forget this process's parsed PDF (closing pdfplumber's and PDFium's, which can fail on a damaged
    file)."""
    opened = [_CACHE.get("plumber"), _CACHE.get("opened")]
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


def _pypdf_reader(cache: dict[str, Any]) -> pypdf.PdfReader:
    """This process's pypdf reader of the PDF (opened on first use: only for what PDFium cannot read)."""
    opened: Opened = cache["opened"]
    if opened.pypdf is None:
        opened.pypdf = open_pypdf(cache["data"])[0]
    return opened.pypdf


def pdfium_text(text: str) -> str:
    """PDFium's text of a page with "\\n" line ends and its line-end hyphens as "-"."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_PDFIUM_MARKS)


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


def _fallback_text(cache: dict[str, Any], index: int) -> tuple[str, str]:
    """(text, engine) of a page PDFium failed on: pypdf's, else pdfplumber's ("" when both fail)."""
    try:
        with pdf_text.fast_text(FAST_TEXT, fonts=cache.setdefault("fonts", {})):
            text = _pypdf_reader(cache).pages[index].extract_text() or ""
        if text.strip():
            return text, "pypdf"
    except Exception as exc:
        log.debug("pypdf could not read page %d either: %s", index + 1, exc)
    try:
        page = _plumber_page(cache, index)
        text = page.extract_text() or ""
        page.close()
        return str(text), "pdfplumber"
    except Exception:
        return "", ""


def extract_pages(data: bytes | None, key: str, indexes: list[int], tables: bool = True) -> list[RawPage]:
    """Text (and ruled tables of tabular pages) of the 0-based pages ``indexes``. Runs in a worker."""
    opened, cache = _opened(data, key)
    if opened.pdfium is None or TEXT_ENGINE != "pdfium":
        with pdf_text.fast_text(FAST_TEXT, fonts=cache.setdefault("fonts", {})):  # fonts kept for the PDF
            return [_pypdf_page(_pypdf_reader(cache), cache, index, tables) for index in indexes]
    with LOCK:
        return [_pdfium_page(opened.pdfium, cache, index, tables) for index in indexes]


def _pdfium_page(document: pdfium.PdfDocument, cache: dict[str, Any], index: int, tables: bool) -> RawPage:
    """Text (and ruled tables if the page looks tabular) of 0-based page ``index``, read by PDFium."""
    raw = RawPage(text="")
    page = textpage = None
    try:
        page = document[index]
        textpage = page.get_textpage()
        raw.text = pdfium_text(textpage.get_text_range())
        if len(squash(raw.text)) < NEAR_EMPTY_CHARS:
            raw.scanned = pdf_objects.has_image(page.raw)
        objects = None
        tabular = tables and pdf_tables.looks_tabular(raw.text)
        if tabular:
            try:
                objects = pdf_objects.page_objects(page, textpage)
            except Exception as exc:
                log.debug("PDFium could not read the objects of page %d: %s", index + 1, exc)
    except Exception as exc:  # one damaged page must not lose the others
        error = f"({type(exc).__name__}: {one_line(exc, 120)})"
        raw.text, engine = _fallback_text(cache, index)
        raw.error = (
            f"text read by {engine}: PDFium failed {error}"
            if engine
            else f"text could not be extracted {error}"
        )
        return raw
    finally:
        for handle in (textpage, page):
            if handle is not None:
                handle.close()
    if tabular:
        _tables(raw, cache, index, objects)
    return raw


def _pypdf_page(reader: pypdf.PdfReader, cache: dict[str, Any], index: int, tables: bool) -> RawPage:
    """Text (and ruled tables if the page looks tabular) of 0-based page ``index``, read by pypdf."""
    raw = RawPage(text="")
    try:
        page = reader.pages[index]
        raw.text = page.extract_text() or ""
        if len(squash(raw.text)) < NEAR_EMPTY_CHARS:
            raw.scanned = _has_image(page)
    except Exception as exc:  # one damaged page must not lose the others
        raw.error = f"text could not be extracted ({type(exc).__name__}: {one_line(exc, 120)})"
        try:
            page = _plumber_page(cache, index)
            raw.text = str(page.extract_text() or "")
            page.close()
        except Exception:
            raw.text = ""
        if raw.text:
            raw.error = raw.error.replace(
                "text could not be extracted", "text read by pdfplumber: pypdf failed"
            )
    if tables and not raw.error and pdf_tables.looks_tabular(raw.text):
        _tables(raw, cache, index, _pdfium_objects(cache, index))
    return raw


def _pdfium_objects(cache: dict[str, Any], index: int) -> dict[str, Any] | None:
    """PDFium's characters and lines of a page read by pypdf (None: pdfminer reads them)."""
    document = cache["opened"].pdfium
    if document is None:
        return None
    try:
        with LOCK:
            page = document[index]
            try:
                text = page.get_textpage()
                try:
                    return pdf_objects.page_objects(page, text)
                finally:
                    text.close()
            finally:
                page.close()
    except Exception as exc:
        log.debug("PDFium could not read the objects of page %d: %s", index + 1, exc)
        return None


def _tables(raw: RawPage, cache: dict[str, Any], index: int, objects: dict[str, Any] | None) -> None:
    """The ruled tables of a page into ``raw``: pdfplumber's table finder on the page's characters and lines
    as PDFium read them (``objects``; pdfminer reads the page when they are None)."""
    try:
        page = _plumber_page(cache, index)
        if objects is not None:
            page._objects = objects  # pdfplumber's cache of what it parsed
        raw.tables = pdf_tables.find_tables(page)
        page.close()
    except Exception as exc:
        raw.error = f"tables could not be extracted ({type(exc).__name__}: {one_line(exc, 120)})"


# ------------------------------------------------------------------------------------------------
# parallel extraction


def local_pages(data: bytes, key: str, indexes: list[int], tables: bool) -> list[RawPage]:
    """``extract_pages`` in this process, releasing the parsed PDF afterwards."""
    try:
        return extract_pages(data, key, indexes, tables)
    finally:
        release()
