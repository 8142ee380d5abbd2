"""PDFium reads the text layer: the same characters in the same order as pypdf on every corpus PDF (and on the
devset's when present, but for a few table cells in another order and glyphs printed twice over themselves), its
line-end hyphens written as "-", pypdf where PDFium cannot open a file; safe across threads; and the worker
processes' replies are all read however they arrive."""

from __future__ import annotations

import threading
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest

from assistant.ingest.readers import pdf_pages, read_document
from assistant.ingest.readers.common import squash
from assistant.ingest.readers.pdf_text import fast_text

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT.parent / "shared" / "devset"  # read in place, never copied; skipped when absent
CORPUS_PDFS = sorted((ROOT / "corpus").glob("[!_]*/*.pdf"))
DEVSET_PDFS = sorted((DEVSET / "docs").glob("*.pdf")) + sorted(
    (DEVSET / "annual_reports" / "docs").glob("*.pdf")
)


def _pdfium_pages(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(document)):
            page = document[i]
            text = page.get_textpage()
            out.append(pdf_pages.pdfium_text(text.get_text_range()))
            text.close()
            page.close()
        return out
    finally:
        document.close()


def _pypdf_pages(path: Path) -> list[str]:
    with fast_text():
        return [page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages]


@pytest.mark.parametrize("path", CORPUS_PDFS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_pdfs_read_the_same_characters_as_pypdf(path: Path) -> None:
    ours, theirs = _pdfium_pages(path), _pypdf_pages(path)
    assert [squash(t) for t in ours] == [squash(t) for t in theirs]
    # line by line too (runs of spaces aside: PDFium writes one where the PDF drew several)
    for a, b in zip(ours, theirs, strict=True):
        assert [" ".join(x.split()) for x in a.split("\n") if x.strip()] == [
            " ".join(x.split()) for x in b.split("\n") if x.strip()
        ]


@pytest.mark.skipif(not DEVSET_PDFS, reason="../shared/devset is absent")
@pytest.mark.parametrize("path", DEVSET_PDFS, ids=lambda p: p.name[:40])
def test_devset_pdfs_read_the_same_characters_as_pypdf(path: Path) -> None:
    from collections import Counter

    ours, theirs = _pdfium_pages(path), _pypdf_pages(path)
    assert len(ours) == len(theirs)
    for number, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        mine, pypdfs = Counter(squash(a)), Counter(squash(b))
        assert not mine - pypdfs, (path.name, number)  # PDFium never reads a character pypdf does not
        # what only pypdf reads is a glyph printed twice over itself (a bold cover title: "二二○○一一五五年年"),
        # which PDFium reads once
        assert set(pypdfs - mine) <= set(mine), (path.name, number)
    same_order = sum(squash(a) == squash(b) for a, b in zip(ours, theirs, strict=True))
    # a few table pages come out with two cells in the other order
    assert same_order >= 0.9 * len(ours), (path.name, same_order, len(ours))


def test_line_end_hyphens_and_line_breaks_are_plain_text() -> None:
    assert (
        pdf_pages.pdfium_text("A/WH/09 株+Re\ufffeA/WH\r\nnext\x02\rlast\x00")
        == "A/WH/09 株+Re-A/WH\nnext-\nlast"
    )


def _pdf(path: Path, pages: list[str]) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), invariant=1)
    for text in pages:
        c.setFont("STSong-Light", 11)
        c.drawString(50, 800, text)
        c.showPage()
    c.save()
    return path


def test_a_pdf_pdfium_cannot_open_is_read_by_pypdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _pdf(tmp_path / "p.pdf", ["第一页 营业收入8,652.30万元", "Page two: 14 invention patents"])

    def refusing(*args: object, **kwargs: object) -> None:
        raise pdfium.PdfiumError("Failed to load document (PDFium: Data format error).", err_code=3)

    monkeypatch.setattr(pdf_pages.pdfium, "PdfDocument", refusing)
    opened = pdf_pages.open_pdf(path.read_bytes(), str(path))
    assert opened.pdfium is None and opened.pypdf is not None and opened.pages == 2
    doc = read_document(path, "C")
    assert [p.text for p in doc.pages] == ["第一页 营业收入8,652.30万元", "Page two: 14 invention patents"]


def test_pdfs_read_in_several_threads_at_once(tmp_path: Path) -> None:
    paths = [
        _pdf(tmp_path / f"p{n}.pdf", [f"第{n}份 第{k}页 revenue {n}{k}00" for k in range(30)])
        for n in range(4)
    ]
    alone = {p: read_document(p, "C").pages for p in paths}
    got: dict[Path, object] = {}
    errors: list[BaseException] = []

    def read(path: Path) -> None:
        try:
            got[path] = read_document(path, "C").pages
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(p,)) for p in paths * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and got == alone


def test_replies_waiting_together_in_a_workers_pipe_are_all_read(tmp_path: Path) -> None:
    import time

    from assistant.ingest.readers import pdf_worker

    data = _pdf(tmp_path / "p.pdf", [f"第{k}页 revenue {k}00" for k in range(10)]).read_bytes()
    batches = [[k] for k in range(10)]

    def slow_local(batch: list[int]) -> list[pdf_pages.RawPage]:
        if batch == [2]:  # the worker answers its first two batches meanwhile: both replies wait in the pipe
            stdout = pdf_worker._WORKERS[0].process.stdout
            assert stdout is not None
            deadline = time.time() + 20
            while not pdf_worker._ready([stdout.fileno()], 0.1) and time.time() < deadline:
                pass
            time.sleep(0.5)
        return pdf_pages.local_pages(data, "k", batch, True)

    done: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: done.update(pages=pdf_worker.run_batches(data, "k", batches, True, 1, slow_local)),
        daemon=True,
    )
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "a reply was left unread"
    pages = done["pages"]
    assert isinstance(pages, dict) and sorted(pages) == list(range(10))
    assert [pages[k][0].text for k in range(10)] == [f"第{k}页 revenue {k}00" for k in range(10)]
    pdf_worker.stop_all()


def test_pdfium_calls_of_the_table_reader_keep_the_gil_and_give_the_same_answers(tmp_path: Path) -> None:
    import ctypes

    import pypdfium2.raw as pdfium_c

    from assistant.ingest.readers import pdf_objects

    fast = pdf_objects._fast("FPDFText_GetUnicode")
    # a ctypes function that holds the GIL (PYFUNCTYPE), not one that lets go of it around each call (CFUNCTYPE)
    assert fast._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]
    assert not pdfium_c.FPDFText_GetUnicode._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]
    path = _pdf(tmp_path / "p.pdf", ["第一页 营业收入8,652.30万元"])
    document = pdfium.PdfDocument(str(path))
    page = document[0]
    text = page.get_textpage()
    count = pdfium_c.FPDFText_CountChars(text.raw)
    assert count > 10
    assert [fast(text.raw, i) for i in range(count)] == [
        pdfium_c.FPDFText_GetUnicode(text.raw, i) for i in range(count)
    ]
    text.close()
    page.close()
    document.close()
