"""Spreadsheet readers (.xlsx, .csv): every row as "header: value; …", sheets, formats, encodings, bombs."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError
from assistant.ingest.readers import read_document
from assistant.ingest.readers.sheet import column_letter, row_lines


def make_xlsx(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "财务摘要"
    ws.append(["2023年主要财务数据"])
    ws.append([])
    ws.append(["项目", "2023年", "2022年", "增长率", None])
    ws.append(["研发投入合计", 31572004.18, 25001200.0, 0.26284, None])
    ws["B4"].number_format = ws["C4"].number_format = "#,##0.00"
    ws["D4"].number_format = "0.0%"
    ws.append(["Revenue (USD)", 86523000, None, None, "note"])
    ws.append([None, None, None, None, None])
    ws.append(["报告日期", dt.datetime(2024, 3, 31), None, None, None])
    patents = wb.create_sheet("Patents 专利")
    patents.append(["Title", "Granted", "Valid"])
    patents.append(["机器人关节\n模组", 2021, True])
    wb.create_sheet("空表")
    wb.save(path)
    return path


def test_xlsx_rows_keep_their_column_names(tmp_path: Path) -> None:
    doc = read_document(make_xlsx(tmp_path / "财务.xlsx"), "C")
    assert doc.reader == "xlsx" and doc.warnings == [] and doc.pages[0].number is None
    assert doc.pages[0].text == (
        "## Sheet: 财务摘要\n\n"
        "2023年主要财务数据\n"
        "项目: 研发投入合计; 2023年: 31,572,004.18; 2022年: 25,001,200.00; 增长率: 26.3%\n"
        "项目: Revenue (USD); 2023年: 86523000; E: note\n"
        "项目: 报告日期; 2023年: 2024-03-31\n\n"
        "## Sheet: Patents 专利\n\n"
        "Title: 机器人关节模组; Granted: 2021; Valid: TRUE\n\n"
        "## Sheet: 空表"
    )


def test_csv_gbk_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "研发.csv"
    path.write_bytes(
        "项目;2023年;2022年\n研发投入合计;31,572,004.18;25,001,200.00\n研发人员;58;\n".encode("gbk")
    )
    doc = read_document(path, "C")
    assert doc.reader == "csv"
    assert doc.pages[0].text == (
        "项目: 研发投入合计; 2023年: 31,572,004.18; 2022年: 25,001,200.00\n项目: 研发人员; 2023年: 58"
    )


def test_csv_quoted_commas_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        'name,revenue,city\n"Acme, Inc.","12,400,000",Austin\n星河科技,"8,652.30万元",深圳\n',
        encoding="utf-8",
    )
    assert read_document(path, "C").pages[0].text == (
        "name: Acme, Inc.; revenue: 12,400,000; city: Austin\nname: 星河科技; revenue: 8,652.30万元; city: 深圳"
    )
    tsv = tmp_path / "b.tsv"
    tsv.write_text("公司\t城市\n星河科技\t深圳\n", encoding="utf-8")
    assert read_document(tsv, "C").pages[0].text == "公司: 星河科技; 城市: 深圳"


def test_row_lines_edge_cases() -> None:
    assert row_lines([["名称"], ["A公司"], ["B公司"]]) == ["名称: A公司", "名称: B公司"]  # one column
    assert row_lines([["只有一个单元格"]]) == ["只有一个单元格"]
    assert row_lines([["", "金额"], ["研发", "1.5", "extra"]]) == ["A: 研发; 金额: 1.5; C: extra"]
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_xlsx_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            for _ in range(210):
                entry.write(b"\0" * (1 << 20))
    with pytest.raises(DocumentError, match=r"bomb\.xlsx: looks like a zip bomb"):
        read_document(path, "C")


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    with pytest.raises(DocumentError, match=r"bad\.xlsx: corrupt or unreadable XLSX file"):
        read_document(path, "C")


def test_xlsx_named_docx_is_read_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "oops.docx"
    path.write_bytes(make_xlsx(tmp_path / "x.xlsx").read_bytes())
    doc = read_document(path, "C")
    assert doc.reader == "xlsx" and doc.warnings == ["wrong extension: looks like XLSX"]
    assert "项目: 研发投入合计; 2023年: 31,572,004.18" in doc.pages[0].text
