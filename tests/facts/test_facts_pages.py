"""A statement printed over a page break keeps its column years and unit on the next page (fictional reports)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from assistant.core.records import Document, Fact, Page
from assistant.facts.read import document_facts, read_facts
from assistant.ingest.chunking import chunk_document
from assistant.ingest.readers import read_document

HEADER = "星澜微电子股份有限公司 2023 年年度报告全文"


def _fact(facts: list[Fact], item: str, period: str = "2023") -> Fact:
    return next(f for f in facts if f.item == item and f.period == period and f.scope == "consolidated")


def test_rows_on_the_next_page_keep_the_header_and_unit() -> None:
    pages = [
        Page(number=7, text="合并利润表\n单位：万元\n项目 2023年 2022年\n营业收入 16,842.57 12,306.18"),
        Page(number=8, text="营业成本 9,001.20 7,002.10\n净利润 1,234.50 987.60"),
    ]
    doc = Document(
        path="r.txt", doc="annual_report_2023.txt", company="星澜", sha256="", reader="txt", pages=pages
    )
    facts = document_facts(doc, chunk_document(doc))
    profit = _fact(facts, "net_profit")
    assert (profit.page, Decimal(profit.value), profit.unit) == (8, Decimal("12345000"), "CNY")
    assert Decimal(_fact(facts, "net_profit", "2022").value) == Decimal("9876000")


def test_a_text_export_statement_over_a_page_break(tmp_path: Path) -> None:
    pages = [
        ["第十一节 财务报告", "公司按照企业会计准则编制财务报表，以下为合并利润表的主要项目。"],
        ["合并利润表", "单位：元", "项目 2023 年度 2022 年度", "营业收入 168,425,700.00 123,061,800.00"],
        ["营业成本 90,012,000.00 70,021,000.00", "净利润 12,345,000.00 9,876,000.00"],
        ["财务报表附注：本公司报告期内会计政策未发生变更。"],
    ]
    lines: list[str] = []
    for n, body in enumerate(pages, start=1):
        lines += [f"{HEADER} ", f"{n} ", *[f"{x} " for x in body]]
    path = tmp_path / "annual_report_2023.txt"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    doc = read_document(path, "星澜微电子")
    chunks = chunk_document(doc)
    facts = read_facts(doc, chunks)
    profit = _fact(facts, "net_profit")
    assert (profit.page, Decimal(profit.value), profit.unit) == (3, Decimal("12345000.00"), "CNY")
    assert Decimal(_fact(facts, "net_profit", "2022").value) == Decimal("9876000.00")
    assert _fact(facts, "revenue").page == 2


def test_a_new_table_with_untitled_columns_takes_no_years_from_the_table_before() -> None:
    pages = [
        Page(
            number=40,
            text="合并资产负债表\n单位：万元\n| 项目 | 2021年 | 2022年 | 2023年 |\n|---|---|---|---|\n"
            "| 货币资金 | 1,200.00 | 1,500.00 | 1,800.00 |",
        ),
        Page(
            number=41,
            text="(一) 员工情况\n\n|  |  |\n|---|---|\n| 母公司在职员工的数量 | 42 |\n"
            "| 在职员工的数量合计 | 612 |\n|  |  |\n| 生产人员 | 300 |",
        ),
    ]
    doc = Document(
        path="r.pdf", doc="annual_report_2023.pdf", company="星澜", sha256="", reader="pdf", pages=pages
    )
    facts = document_facts(doc, chunk_document(doc))
    staff = _fact(facts, "employees")  # a one-value row of the report's own year
    assert (staff.page, staff.value, staff.unit) == (41, "612", None)
    assert Decimal(_fact(facts, "cash", "2021").value) == Decimal("12000000")
