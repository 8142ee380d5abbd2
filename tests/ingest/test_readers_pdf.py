"""PDF reader: text layer, Markdown tables, running headers/footers, encryption, damage, OCR, workers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError
from assistant.ingest.readers import pdf as pdf_reader
from assistant.ingest.readers import pdf_worker, read_document
from assistant.ingest.readers.pdf_margins import strip_margins
from assistant.ingest.readers.pdf_tables import RawTable, looks_tabular, place_tables, render

FONT = "STSong-Light"

ROWS = [
    ["项目", "2023年", "2022年"],
    ["营业收入", "86,523,000.00", "65,900,000.00"],
    ["研发投入合计", "31,572,004.18", "25,001,200.00"],
    ["Net profit", "12,400,000.00", "9,100,000.00"],
    ["研发人员数量", "58", "41"],
]


def _font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def make_pdf(path: Path, pages: list[list[str]], encrypt: object = None, size: float = 11) -> Path:
    """One page per list of lines, written top-down."""
    from reportlab.pdfgen import canvas

    _font()
    c = canvas.Canvas(str(path), invariant=1, encrypt=encrypt)
    for lines in pages:
        c.setFont(FONT, size)
        for i, line in enumerate(lines):
            c.drawString(50, 800 - i * (size + 7), line)
        c.showPage()
    c.save()
    return path


def make_table_pdf(path: Path, rows: list[list[str]], intro: str = "单位：元", repeat: int = 1) -> Path:
    """A ruled table (grid lines) below a line of text, as Word/WPS print them."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _font()
    style = ParagraphStyle("zh", fontName=FONT, fontSize=10)
    table = Table(rows * repeat if repeat == 1 else [rows[0]] + rows[1:] * repeat)
    table.setStyle(
        TableStyle([("FONT", (0, 0), (-1, -1), FONT, 10), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    )
    story = [Paragraph("4. 研发投入 R&amp;D investment", style), Paragraph(intro, style), Spacer(1, 6), table]
    story.append(Paragraph("研发投入同比增长26.3%，主要系新产品立项增加。", style))
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


# ------------------------------------------------------------------------------------------------
# text layer
# ------------------------------------------------------------------------------------------------
def test_text_layer_pages_are_one_based(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "r.pdf", [["第一页 营业收入8,652.30万元"], ["Page two: 14 invention patents"]])
    doc = read_document(path, "C")
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.pages[0].text == "第一页 营业收入8,652.30万元"
    assert doc.pages[1].text == "Page two: 14 invention patents"
    assert doc.warnings == [] and all(p.ocr_confidence is None for p in doc.pages)


def test_table_becomes_markdown_in_place(tmp_path: Path) -> None:
    doc = read_document(make_table_pdf(tmp_path / "t.pdf", ROWS), "C")
    text = doc.pages[0].text
    assert "| 项目 | 2023年 | 2022年 |\n|---|---|---|\n| 营业收入 | 86,523,000.00 | 65,900,000.00 |" in text
    assert "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |" in text
    assert "| Net profit | 12,400,000.00 | 9,100,000.00 |" in text
    # the flattened pypdf lines are gone; the text around the table stays, in order
    assert "研发投入合计 31,572,004.18" not in text
    assert text.index("单位：元") < text.index("| 项目 |") < text.index("研发投入同比增长26.3%")


def test_table_continued_on_next_page_keeps_its_header(tmp_path: Path) -> None:
    doc = read_document(make_table_pdf(tmp_path / "long.pdf", ROWS, repeat=20), "C")
    assert len(doc.pages) >= 2
    assert doc.pages[0].text.count("| 项目 | 2023年 | 2022年 |") == 1
    for page in doc.pages[1:]:
        assert page.text.lstrip().startswith("| 项目 | 2023年 | 2022年 |\n|---|---|---|\n"), page.text[:200]
    assert "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |" in doc.pages[-1].text


def test_looks_tabular_is_cheap_and_selective() -> None:
    assert looks_tabular("营业收入 86,523,000.00 65,900,000.00\n研发 1.5 2.5\n人员 58 41\n")
    assert looks_tabular(
        "项目\n2023年\n营业收入\n86,523,000.00\n65,900,000.00\n研发\n1.5\n2.5\n人员\n58\n41\n3\n"
    )
    assert not looks_tabular("2023年公司实现营业收入8,652.30万元，同比增长31.2%。\n研发人员58人。\n")


def test_table_that_cannot_be_located_is_appended() -> None:
    rendered, _ = render([RawTable(rows=[["a", "b"], ["c", "1.5"]], top=0.1, bottom=0.2)], None)
    assert place_tables("unrelated text", rendered) == "unrelated text\n\n| a | b |\n|---|---|\n| c | 1.5 |"


# ------------------------------------------------------------------------------------------------
# running headers and footers
# ------------------------------------------------------------------------------------------------
BODY = [
    [
        "公司主营工业机器人关节模组。",
        "Revenue grew 31.2% in 2023.",
        "研发人员58人，占比32.4%。",
        "The plant is in Suzhou.",
    ],
    [
        "星河科技股份有限公司 2023年年度报告",
        "报告期内新增发明专利14项。",
        "Gross margin was 41.5%.",
        "客户集中度下降。",
    ],
    [
        "应收账款周转天数为87天。",
        "Net cash from operations: 12.4m.",
        "公司无重大诉讼。",
        "Capex rose to 30m.",
    ],
    [
        "董事会建议每10股派息1.20元。",
        "Headcount reached 420.",
        "存货同比减少8.1%。",
        "No going-concern doubt.",
    ],
]


def test_running_headers_footers_and_page_numbers_are_removed(tmp_path: Path) -> None:
    pages = []
    for n, body in enumerate(BODY, start=1):
        footer = f"— {n} —" if n % 2 else f"第 {n} 页 共 4 页"
        pages.append(
            ["星河科技股份有限公司 2023年年度报告", f"{n} / 4", *body, "", f"Confidential draft {n}", footer]
        )
    doc = read_document(make_pdf(tmp_path / "h.pdf", pages), "C")
    for n, page in enumerate(doc.pages, start=1):
        assert page.text.split("\n") == BODY[n - 1], page.text  # the header's words inside page 2's body stay
    assert "星河科技股份有限公司 2023年年度报告" in doc.boilerplate  # kept once, in the document's metadata
    assert (
        "Confidential draft 1" in doc.boilerplate
    )  # a running line with a changing number, as first printed
    assert not {"1 / 4", "— 1 —", "第 2 页 共 4 页"} & set(doc.boilerplate)  # page numbers are not recorded


def test_a_page_is_never_emptied_by_margin_removal() -> None:
    pages = [f"第{n}章 概述\n正文 {n}" for n in range(1, 5)] + ["第5章 概述"]
    assert strip_margins(pages)[-1] == "第5章 概述"


def test_margins_are_kept_on_short_documents() -> None:
    assert strip_margins(["Header\nbody one", "Header\nbody two"]) == ["Header\nbody one", "Header\nbody two"]
    assert strip_margins(["body\n- 1 -"]) == ["body"]  # a decorated page number goes anyway


# ------------------------------------------------------------------------------------------------
# encryption and damage
# ------------------------------------------------------------------------------------------------
def test_encrypted_with_a_password(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = make_pdf(tmp_path / "locked.pdf", [["机密 secret"]], encrypt=StandardEncryption("s3cret", "owner"))
    with pytest.raises(DocumentError, match=r"locked\.pdf: the PDF is encrypted with a password"):
        read_document(path, "C")


def test_encrypted_with_an_empty_user_password_reads_with_a_warning(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = make_pdf(
        tmp_path / "open.pdf", [["研发投入合计 31,572,004.18 元"]], encrypt=StandardEncryption("", "owner")
    )
    doc = read_document(path, "C")
    assert doc.pages[0].text == "研发投入合计 31,572,004.18 元"
    assert doc.warnings == ["the PDF is encrypted with an empty user password: decrypted to read it"]


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> garbage \x00\xff" * 3)
    with pytest.raises(DocumentError, match=r"bad\.pdf: corrupt or unreadable PDF"):
        read_document(path, "C")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_an_error_or_a_partial_read_never_a_crash(tmp_path: Path, keep: float) -> None:
    whole = make_pdf(tmp_path / "whole.pdf", [[f"第{n}页 revenue {n}00"] for n in range(1, 6)]).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: int(len(whole) * keep)])
    try:
        doc = read_document(path, "C")
    except DocumentError as exc:
        assert str(exc).startswith(f"{path}: ")
    else:
        assert any("第" in p.text for p in doc.pages)


# ------------------------------------------------------------------------------------------------
# OCR of scanned pages
# ------------------------------------------------------------------------------------------------
def _scan_of(text_pdf: bytes, path: Path, blank_second_page: bool = False) -> Path:
    """An image-only PDF: the pages of ``text_pdf`` rasterised and wrapped as pictures."""
    import pypdfium2 as pdfium
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    source = pdfium.PdfDocument(text_pdf)
    images = [source[i].render(scale=2).to_pil().convert("RGB") for i in range(len(source))]
    if blank_second_page:
        images.append(Image.new("RGB", images[0].size, "white"))
    width, height = source[0].get_size()
    c = canvas.Canvas(str(path), pagesize=(width, height))
    for image in images:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        c.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width, height)
        c.showPage()
    c.save()
    return path


def test_scanned_pages_are_read_by_ocr(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    _font()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(420, 160))
    c.setFont(FONT, 22)
    c.drawString(20, 110, "研发投入合计31,572,004.18元")
    c.drawString(20, 60, "Revenue grew strongly")
    c.save()
    path = _scan_of(buffer.getvalue(), tmp_path / "scan.pdf", blank_second_page=True)
    doc = read_document(path, "C")
    page = doc.pages[0]
    assert "研发投入合计" in page.text and "31,572,004.18" in page.text
    assert "Revenue" in page.text
    assert page.ocr_confidence is not None and page.ocr_confidence > 0.5
    assert page.text.index("研发投入合计") < page.text.index("Revenue")  # reading order
    assert doc.pages[1].text == "" and doc.pages[1].ocr_confidence is None
    assert any(w.startswith("page 1: no text layer, read by OCR (mean confidence") for w in doc.warnings)
    assert "page 2: no text layer and OCR found no text" in doc.warnings


# ------------------------------------------------------------------------------------------------
# worker processes
# ------------------------------------------------------------------------------------------------
def test_worker_processes_give_the_same_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_table_pdf(tmp_path / "long.pdf", ROWS, repeat=20)
    alone = read_document(path, "C")
    monkeypatch.setattr(pdf_reader, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(pdf_reader, "workers", lambda: 2)
    shared = read_document(path, "C")
    assert pdf_worker._WORKERS and pdf_worker._WORKERS[0].alive()
    assert shared.pages == alone.pages


def test_a_failing_worker_falls_back_to_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __init__(self) -> None:
            raise OSError("cannot start")

    pdf_worker.stop_all()
    monkeypatch.setattr(pdf_worker, "Worker", Broken)
    monkeypatch.setattr(pdf_reader, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(pdf_reader, "workers", lambda: 2)
    doc = read_document(make_pdf(tmp_path / "p.pdf", [[f"page {n} 第{n}页"] for n in range(1, 5)]), "C")
    assert [p.text for p in doc.pages] == [f"page {n} 第{n}页" for n in range(1, 5)]


def test_a_key_value_table_gets_an_empty_header_and_keeps_every_row(tmp_path: Path) -> None:
    rows = [["本期费用化研发投入", "7,905,118.40"], ["本期资本化研发投入", "1,210,450.00"],
            ["研发投入合计", "9,115,568.40"], ["研发投入总额占营业收入比例（%）", "11.46"],
            ["公司研发人员的数量", "187"], ["研发人员数量占公司总人数的比例（%）", "29.13"],
            ["研发投入资本化的比重（%）", "13.28"]]  # fmt: skip
    text = read_document(make_table_pdf(tmp_path / "kv.pdf", rows), "C").pages[0].text
    assert (
        "单位：元\n\n|  |  |\n|---|---|\n| 本期费用化研发投入 | 7,905,118.40 |\n"
        "| 本期资本化研发投入 | 1,210,450.00 |\n| 研发投入合计 | 9,115,568.40 |"
    ) in text
    assert "| 研发投入资本化的比重（%） | 13.28 |" in text


def test_header_cells_printed_on_two_lines_are_joined(tmp_path: Path) -> None:
    rows = [["研发项目", "研发投入\n金额", "研发投入\n费用化金额"]] + [
        [f"项目{n}", f"{n},120,000.00", f"{n},080,000.00"] for n in range(1, 7)
    ]
    text = read_document(make_table_pdf(tmp_path / "h.pdf", rows), "C").pages[0].text
    assert "| 研发项目 | 研发投入金额 | 研发投入费用化金额 |\n|---|---|---|" in text
    assert "| 项目2 | 2,120,000.00 | 2,080,000.00 |" in text


def test_a_page_pdfium_cannot_read_is_read_by_pypdf_then_pdfplumber(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdf

    from assistant.ingest.readers import pdf_pages

    path = make_pdf(tmp_path / "p.pdf", [["第一页 page one"], ["第二页 page two"]])
    original = pdf_pages.pdfium_text

    def flaky(text: str) -> str:
        if "第二页" in text:
            raise ValueError("bad content stream")
        return original(text)

    monkeypatch.setattr(pdf_pages, "pdfium_text", flaky)
    doc = read_document(path, "C")
    assert [p.text for p in doc.pages] == ["第一页 page one", "第二页 page two"]
    assert doc.warnings == ["page 2: text read by pypdf: PDFium failed (ValueError: bad content stream)"]

    original_pypdf = pypdf.PageObject.extract_text

    def flaky_pypdf(self: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        if "第二页" in (original_pypdf(self) or ""):
            raise ValueError("bad content stream")
        return original_pypdf(self)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky_pypdf)
    doc = read_document(path, "C")
    assert [p.text for p in doc.pages] == ["第一页 page one", "第二页 page two"]
    assert doc.warnings == ["page 2: text read by pdfplumber: PDFium failed (ValueError: bad content stream)"]


def test_a_page_pypdf_cannot_parse_is_read_by_pdfplumber(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdf

    from assistant.ingest.readers import pdf_pages

    monkeypatch.setattr(pdf_pages, "TEXT_ENGINE", "pypdf")  # the reader before PDFium, kept for comparison
    path = make_pdf(tmp_path / "p.pdf", [["第一页 page one"], ["第二页 page two"]])
    original = pypdf.PageObject.extract_text

    def flaky(self: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        if "第二页" in (original(self) or ""):
            raise ValueError("bad content stream")
        return original(self)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky)
    doc = read_document(path, "C")
    assert [p.text for p in doc.pages] == ["第一页 page one", "第二页 page two"]
    assert doc.warnings == ["page 2: text read by pdfplumber: pypdf failed (ValueError: bad content stream)"]


def test_image_only_pdf_without_text_is_an_error_naming_the_reason(tmp_path: Path) -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    path = tmp_path / "blank scan.pdf"
    c = canvas.Canvas(str(path), pagesize=(200, 100))
    c.drawImage(ImageReader(Image.new("RGB", (200, 100), "white")), 0, 0, 200, 100)
    c.save()
    with pytest.raises(
        DocumentError,
        match=r"blank scan\.pdf: no text found in the PDF file \(page 1: no text layer and OCR found no text",
    ):
        read_document(path, "C")


def test_cells_merged_down_are_repeated_and_title_rows_lifted(tmp_path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    _font()
    rows = [
        ["分行业情况", "", ""],
        ["分行业", "成本构成项目", "本期金额"],
        ["生物制药", "原材料", "4,812,330.20"],
        ["", "包装费", "615,090.45"],
        ["", "小计", "5,427,420.65"],
        ["其他行业", "折旧", "228,760.00"],
        ["", "人工", "1,092,415.80"],
        ["", "小计", "1,321,175.80"],
    ]
    table = Table(rows)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("SPAN", (0, 0), (2, 0)),
                ("SPAN", (0, 2), (0, 4)),
                ("SPAN", (0, 5), (0, 7)),
            ]
        )
    )
    SimpleDocTemplate(str(tmp_path / "m.pdf")).build([table])
    text = read_document(tmp_path / "m.pdf", "C").pages[0].text
    assert text == (
        "分行业情况\n\n"
        "| 分行业 | 成本构成项目 | 本期金额 |\n|---|---|---|\n"
        "| 生物制药 | 原材料 | 4,812,330.20 |\n"
        "| 生物制药 | 包装费 | 615,090.45 |\n"
        "| 生物制药 | 小计 | 5,427,420.65 |\n"
        "| 其他行业 | 折旧 | 228,760.00 |\n"
        "| 其他行业 | 人工 | 1,092,415.80 |\n"
        "| 其他行业 | 小计 | 1,321,175.80 |"
    )


def test_a_worker_dying_mid_document_loses_no_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_table_pdf(tmp_path / "long.pdf", ROWS, repeat=20)
    alone = read_document(path, "C")
    calls = {"n": 0}
    real = pdf_worker.Worker.receive

    def flaky(self: pdf_worker.Worker) -> object:
        calls["n"] += 1
        if calls["n"] == 1:  # the worker dies holding its batch
            self.process.kill()
            raise EOFError("worker closed its pipe")
        return real(self)

    pdf_worker.stop_all()
    monkeypatch.setattr(pdf_worker.Worker, "receive", flaky)
    monkeypatch.setattr(pdf_reader, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(pdf_reader, "BATCH_PAGES", 2)
    monkeypatch.setattr(pdf_reader, "workers", lambda: 2)
    shared = read_document(path, "C")
    assert calls["n"] >= 1 and shared.pages == alone.pages
