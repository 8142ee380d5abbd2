"""DOCX reader: headings, paragraphs and tables in document order; zip bombs; damaged and misnamed files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError
from assistant.ingest.readers import read_document


def make_docx(path: Path) -> Path:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_heading("星河科技 2023年度经营报告", 0)
    d.add_heading("一、研发投入 R&D", 1)
    d.add_paragraph("2023年公司研发投入持续增长。Revenue grew 31.2% year on year.")
    table = d.add_table(rows=4, cols=3)
    rows = [
        ["项目", "2023年", "2022年"],
        ["研发投入合计", "31,572,004.18", "25,001,200.00"],
        ["研发人员", "58", "41"],
        ["合计说明", "", ""],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(3, 0).merge(table.cell(3, 2))  # a row-wide cell: written once
    d.add_paragraph("表后段落 after the table.")
    custom = d.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)  # a Chinese-named heading style
    d.add_paragraph("1.1 专利 Patents", style=custom)
    based = d.styles.add_style("Report Heading", WD_STYLE_TYPE.PARAGRAPH)
    based.base_style = d.styles["Heading 3"]
    d.add_paragraph("1.1.1 发明专利", style=based)
    outlined = d.add_paragraph("按大纲级别的标题")
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "1")
    outlined._p.get_or_add_pPr().append(level)
    d.add_paragraph("14 invention patents", style="List Bullet")
    d.add_paragraph("")  # empty paragraphs vanish
    d.sections[0].header.paragraphs[0].text = "页眉 Confidential"
    d.save(str(path))
    return path


def test_docx_headings_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "年报.docx"), "C")
    assert doc.reader == "docx" and doc.warnings == [] and len(doc.pages) == 1 and doc.pages[0].number is None
    assert doc.pages[0].text == (
        "# 星河科技 2023年度经营报告\n\n"
        "# 一、研发投入 R&D\n"
        "2023年公司研发投入持续增长。Revenue grew 31.2% year on year.\n\n"
        "| 项目 | 2023年 | 2022年 |\n"
        "|---|---|---|\n"
        "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |\n"
        "| 研发人员 | 58 | 41 |\n"
        "| 合计说明 |  |  |\n\n"
        "表后段落 after the table.\n\n"
        "## 1.1 专利 Patents\n\n"
        "### 1.1.1 发明专利\n\n"
        "## 按大纲级别的标题\n"
        "- 14 invention patents"
    )


def test_vertically_merged_cells_repeat_on_each_row(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    table = d.add_table(rows=3, cols=2)
    for r, row in enumerate([["类别", "金额"], ["研发费用", "100.5"], ["", "200.5"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0))
    inner = table.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "内嵌", "nested"
    d.save(str(tmp_path / "m.docx"))
    text = read_document(tmp_path / "m.docx", "C").pages[0].text
    assert text.splitlines() == [
        "| 类别 | 金额 |",
        "|---|---|",
        "| 研发费用 | 100.5内嵌nested |",
        "| 研发费用 | 200.5 |",
    ]


def _bomb(path: Path, megabytes: int) -> Path:
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            for _ in range(megabytes):
                entry.write(chunk)
    return path


def test_zip_bomb_total_size(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.docx", 300)
    assert path.stat().st_size < 3_000_000
    with pytest.raises(DocumentError, match=r"bomb\.docx: looks like a zip bomb \(315 MB uncompressed"):
        read_document(path, "C")


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    with pytest.raises(
        DocumentError, match=r"ratio\.docx: looks like a zip bomb \(word/document\.xml expands"
    ):
        read_document(_bomb(tmp_path / "ratio.docx", 50), "C")


def test_zip_bomb_entry_count(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for i in range(10_001):
            archive.writestr(f"word/media/{i}.bin", b"")
    with pytest.raises(DocumentError, match=r"many\.docx: looks like a zip bomb \(10002 entries"):
        read_document(path, "C")


def test_plain_text_named_docx_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    path.write_text("拜访纪要：公司计划2024年扩产。Visit notes.", encoding="utf-8")
    doc = read_document(path, "C")
    assert doc.reader == "txt" and doc.pages[0].text == "拜访纪要：公司计划2024年扩产。Visit notes."
    assert doc.warnings == ["wrong extension: looks like text"]


def test_truncated_docx(tmp_path: Path) -> None:
    whole = make_docx(tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DocumentError, match=r"cut\.docx: corrupt or truncated zip container"):
        read_document(path, "C")


def test_docx_with_broken_xml(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(DocumentError, match=r"broken\.docx: corrupt or unreadable DOCX file"):
        read_document(path, "C")


def test_other_zip_named_docx(tmp_path: Path) -> None:
    path = tmp_path / "slides.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ppt/presentation.xml", "<p/>")
    with pytest.raises(DocumentError, match=r"slides\.docx: a zip archive that is neither a Word"):
        read_document(path, "C")
