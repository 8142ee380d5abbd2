"""Facts read from tables at ingest (fictional documents of the shapes real reports have)."""

from decimal import Decimal
from pathlib import Path

import pytest

from assistant.core.records import Document, Fact, Page
from assistant.core.services import Services
from assistant.facts.read import document_facts, row_item
from assistant.ingest.chunking import chunk_document
from assistant.ingest.pipeline import ingest_paths

# a 10-K balance sheet exported to text one cell per line (joined into rows by the text reader)
TEN_K = """Zentrix Photonics, Inc.
Consolidated Balance Sheets
December 31,
2023
December 31,
2022
(In thousands)
Current assets:
Cash and cash equivalents
$
4,210 $
3,118
Inventories (Note 4)

1,877
1,502
Total current assets

9,640
7,905
Total assets

15,220
12,004
Current liabilities:
Accounts payable
1,311
1,020
Total current liabilities

5,032
4,377
Consolidated Statements of Cash Flows
Accounts receivable, net
(512)
(301)
Purchases of property and equipment
(844)
(620)
Net cash provided by operating activities
2,015
1,288
"""

# an annual report page from a PDF text layer: a caption with the unit, plain rows, then the parent company
ZH_REPORT = """合并资产负债表
单位：元
项目 2023年12月31日 2022年12月31日
流动资产合计 86,420,315.27 70,118,902.55
存货 12,004,318.60 10,552,117.02
流动负债合计 41,205,660.18 39,870,115.43
母公司资产负债表
项目 2023年12月31日 2022年12月31日
流动资产合计 51,300,000.00 48,100,000.00
"""


def _document(text: str, doc: str, company: str, reader: str = "txt") -> Document:
    return Document(
        path=doc, doc=doc, company=company, sha256="0" * 64, reader=reader, pages=[Page(text=text)]
    )


def _facts(text: str, doc: str = "zentrix_10k_2023.txt", company: str = "Zentrix") -> list[Fact]:
    from assistant.text.tables import vertical_rows

    document = _document(vertical_rows(text), doc, company)
    return document_facts(document, chunk_document(document))


def _one(facts: list[Fact], item: str, period: str, scope: str = "consolidated") -> Fact:
    found = [f for f in facts if f.item == item and f.period == period and f.scope == scope]
    assert len(found) == 1, (item, period, found)
    return found[0]


def test_a_text_export_balance_sheet_gives_typed_facts_with_year_unit_and_sign() -> None:
    facts = _facts(TEN_K)
    assets = _one(facts, "current_assets", "2023")
    assert assets.value == "9640000" and assets.unit == "USD" and assets.label == "Total current assets"
    assert _one(facts, "current_assets", "2022").value == "7905000"
    assert _one(facts, "cash", "2023").value == "4210000"
    assert _one(facts, "inventory", "2022").raw == "1,502"
    assert _one(facts, "current_liabilities", "2023").quote == "Total current liabilities | 5,032 | 4,377"
    assert Decimal(_one(facts, "capex", "2023").value) == Decimal(-844000)  # "(844)" is negative
    # a cash-flow statement's "Accounts receivable" row is a change, not the balance
    assert not [f for f in facts if f.item == "accounts_receivable"]


def test_each_fact_cites_a_stored_passage_holding_its_row() -> None:
    from assistant.text.tables import vertical_rows

    document = _document(vertical_rows(TEN_K), "zentrix_10k_2023.txt", "Zentrix")
    chunks = {c.chunk_id: c for c in chunk_document(document, size=120, overlap=20)}
    facts = document_facts(document, list(chunks.values()))
    assert facts and all(f.quote in chunks[f.chunk_id].text for f in facts)


def test_a_chinese_report_page_gives_units_from_its_caption_and_scope_from_its_title() -> None:
    facts = _facts(ZH_REPORT, "annual_report_2023.pdf", "星河科技")
    assets = _one(facts, "current_assets", "2023")
    assert assets.value == "86420315.27" and assets.unit == "CNY"
    assert _one(facts, "current_assets", "2023", "parent").value == "51300000.00"
    assert _one(facts, "inventory", "2022").value == "10552117.02"


@pytest.mark.parametrize(
    ("label", "item"),
    [
        ("营业收入（万元）", "revenue"),
        ("其中：营业成本", "cost_of_revenue"),
        ("1、流动资产合计", "current_assets"),
        ("流 动 负 债 合 计", "current_liabilities"),
        ("流動資產合計", "current_assets"),  # Traditional script
        ("Inventories (Note 5)", "inventory"),
        ("Trade accounts receivable, net of allowances - $40 and $42", "accounts_receivable"),
        ("Total net revenue", "revenue"),
        ("Free cash flow", "free_cash_flow"),  # a non-GAAP table states the metric itself
        ("Goodwill", None),
    ],
)
def test_row_labels_are_matched_to_line_items_as_reports_print_them(label: str, item: str | None) -> None:
    found = row_item(label)
    assert (found.field if found else None) == item


def test_facts_are_stored_replaced_and_deleted_with_their_document(
    fake_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "docs" / "星河科技"
    folder.mkdir(parents=True)
    report = folder / "annual_report_2023.md"
    report.write_text(
        "# 星河科技2023年年度报告\n单位：万元\n\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n"
        "| 营业收入 | 8,652.30 | 6,590.00 |\n| 营业成本 | 5,120.11 | 4,002.56 |\n",
        encoding="utf-8",
    )
    store = fake_services.store
    ingest_paths([tmp_path / "docs"], store, fake_services.settings)
    revenue = store.facts("星河科技", "revenue", "2023")
    assert [f.value for f in revenue] == ["86523000.00"] and revenue[0].doc == "annual_report_2023.md"
    report.write_text(report.read_text(encoding="utf-8").replace("8,652.30", "8,700.00"), encoding="utf-8")
    ingest_paths([tmp_path / "docs"], store, fake_services.settings)
    assert [f.value for f in store.facts("星河科技", "revenue", "2023")] == ["87000000.00"]  # replaced
    assert store.delete_document("星河科技", "annual_report_2023.md")
    assert store.facts("星河科技") == []


# an annual report's summary pages: a quarterly table after a yearly one, one-value rows, two net profits
QUARTERS = """星河科技2023年年度报告
单位：元
项目 2023年 2022年
净利润 12,004,318.60 10,552,117.02
归属于上市公司股东的净利润 11,870,115.43 10,402,663.90
项目 第一季度 第二季度 第三季度 第四季度
归属于上市公司股东的净利润 2,100,000.00 3,200,000.00 2,900,000.00 3,670,115.43
在职员工的数量合计（人） 642
前五名客户合计销售金额占年度销售总额比例 38.12%
"""


def test_quarterly_columns_are_no_years_and_one_value_rows_are_of_the_report_year() -> None:
    from assistant.facts.metrics import rank

    facts = _facts(QUARTERS, "xinghe_annual_report_2023.txt", "星河科技")
    profits = sorted((f for f in facts if f.item == "net_profit" and f.period == "2023"), key=rank)
    assert [f.value for f in profits] == ["11870115.43", "12004318.60"]  # 归属于上市公司股东的 ranks first
    assert not [
        f for f in facts if f.value in ("2100000.00", "3670115.43") and f.period
    ]  # a quarter: no year
    assert _one(facts, "employees", "2023").value == "642"
    assert _one(facts, "top5_customer_share", "2023").value == "38.12"
    plan = _facts(QUARTERS.replace("星河科技2023年年度报告", "星河科技发展规划"), "plan.txt", "星河科技")
    assert not [f for f in plan if f.item == "employees" and f.period]  # not a report: no year of its own


def test_figures_stated_in_sentences_are_facts_too() -> None:
    from assistant.facts.read import sentence_facts

    text = (
        "星河科技2023年年度报告\n2023年度，公司实现营业收入8,652.30万元，较2022年的6,590.00万元增长31.29%。\n"
        "截至2023年12月31日，公司在职员工共计642人，其中研发人员187人。\n"
        "公司预计2024年营业收入将达到1.2亿元。\n"
    )
    document = _document(text, "annual_report_2023.txt", "星河科技")
    chunks = chunk_document(document)
    facts = sentence_facts(document, chunks)
    by = {(f.item, f.period): f for f in facts}
    assert by[("revenue", "2023")].value == "86523000" and by[("revenue", "2022")].value == "65900000"
    assert by[("employees", "2023")].value == "642" and by[("rd_staff", "2023")].value == "187"
    assert ("revenue", "2024") not in by  # a forecast is no fact
    assert all(f.quote in next(c.text for c in chunks if c.chunk_id == f.chunk_id) for f in facts)


def test_a_segments_figure_in_a_sentence_is_not_the_companys() -> None:
    from assistant.facts.read import sentence_facts

    text = (
        "Veltrona Inc. Annual Report 2024\n"
        "Sensor net sales of $2.1 billion in 2024 increased by 41%, compared to $1.5 billion in 2023.\n"
        "Data Center net revenue was $0.6 billion in 2024.\n"
        "Net sales for 2024 were $8.1 billion, an increase of 19% compared to 2023.\n"
    )
    document = _document(text, "veltrona_10k_2024.txt", "Veltrona")
    revenue = [f for f in sentence_facts(document, chunk_document(document)) if f.item == "revenue"]
    assert [(f.period, f.value) for f in revenue] == [("2024", "8100000000")]


def _read_facts(path: Path, company: str) -> list[Fact]:
    from assistant.ingest.readers import read_document

    document = read_document(path, company)
    return document_facts(document, chunk_document(document))


def test_spreadsheet_word_and_html_tables_give_the_same_facts(tmp_path: Path) -> None:
    import docx
    import openpyxl

    rows = [
        ("项目", "2023年", "2022年"),
        ("营业收入（万元）", "8,652.30", "6,590.00"),
        ("流动负债合计（万元）", "3,890.06", "4,020.00"),
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.save(tmp_path / "finance_2023.xlsx")
    word = docx.Document()
    word.add_paragraph("星河科技2023年年度报告摘要")
    table = word.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    word.save(str(tmp_path / "annual_report_2023.docx"))
    html = (
        "<html><body><h1>星河科技</h1><table>"
        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        + "</table></body></html>"
    )
    (tmp_path / "summary_2023.html").write_text(html, encoding="utf-8")
    for name in ("finance_2023.xlsx", "annual_report_2023.docx", "summary_2023.html"):
        facts = _read_facts(tmp_path / name, "星河科技")
        assert _one(facts, "revenue", "2023").value == "86523000.00", name
        assert _one(facts, "current_liabilities", "2022").value == "40200000.00", name


def test_a_table_the_facts_reader_chokes_on_never_costs_the_document(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.ingest.pipeline as pipeline

    def broken(*_: object) -> list[Fact]:
        raise ValueError("an unforeseen table")

    monkeypatch.setattr(pipeline, "read_facts", broken)
    folder = tmp_path / "docs" / "星河科技"
    folder.mkdir(parents=True)
    (folder / "annual_report_2023.md").write_text(
        "# 星河科技\n| 项目 | 2023年 |\n|---|---|\n| 营业收入 | 8,652.30 |\n"
    )
    report = ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    assert [f.status for f in report.files] == ["stored"]
    assert any("not read as facts" in w and "unforeseen" in w for w in report.files[0].warnings)
    assert fake_services.store.company_texts("星河科技") and fake_services.store.facts("星河科技") == []


# a text export of an annual report: spaced year titles, a change column in words, statements titled
# 本期/上期 and 期末余额/期初余额, a sentence naming one year, and a table that ends in prose
RELATIVE = """晨曦微电子2023年年度报告
公司研发投入情况
 2023 年 2022 年 变动比例
研发人员数量（人） 58 41 41.46%
研发人员数量占比 26.85% 21.03% 增加 5.82 个百分点
自 2016 年
公司持续加大研发投入，研发团队规模进一步扩大，核心技术人员保持稳定。
报告期内，公司新增发明专利授权 6 项，累计拥有发明专利 23 项，形成了较为完整的知识产权体系。
公司继续推进募投项目建设，新厂房已于报告期内完成主体结构施工。
在职员工的数量合计（人） 216
合并资产负债表
单位：元
项目 期末余额 上年年末余额
存货 8,120,336.50 6,904,118.27
合并现金流量表
项目 本期发生额 上期发生额
经营活动产生的现金流量净额 -3,208,114.62 1,775,020.91
| 序号 | 客户名称 | 销售额（元） |
|---|---|---|
|  |  |  |
| 前五名客户合计销售金额占年度销售总额比例 | 41.20% |
"""


def test_relative_and_spaced_titles_resolve_to_years_and_tables_end_where_prose_starts() -> None:
    facts = _facts(RELATIVE, "chenxi_annual_report_2023.txt", "晨曦微电子")
    assert _one(facts, "rd_staff", "2022").value == "41"  # "2022 年" is one title, not two columns
    ratio = _one(facts, "rd_staff_ratio", "2023")
    assert ratio.value == "26.85" and _one(facts, "rd_staff_ratio", "2022").value == "21.03"
    # prose ended the table; "自 2016 年" in a sentence is no header: a one-value row is the report's year
    assert _one(facts, "employees", "2023").value == "216"
    assert _one(facts, "inventory", "2022").value == "6904118.27"  # 上年年末余额
    assert _one(facts, "operating_cash_flow", "2023").value == "-3208114.62"  # 本期发生额
    assert _one(facts, "operating_cash_flow", "2022").value == "1775020.91"  # 上期发生额
    assert _one(facts, "top5_customer_share", "2023").value == "41.20"  # another table: no year columns
    assert not [f for f in facts if f.period == "2016"]


def test_a_table_after_prose_keeps_its_header_through_a_unit_note() -> None:
    text = (
        "The company grew revenue, margins and cash. It expanded, hired and invested.\n"
        "Demand was strong, pricing held, and costs fell.\nWe expect growth, we plan capacity, and we hire.\n"
        + TEN_K
    )
    facts = _facts(text.replace("(In thousands)", "(In thousands, except par value amounts)"))
    assert _one(facts, "current_assets", "2023").value == "9640000"


def test_relative_titles_are_no_years_outside_a_report_of_a_whole_year() -> None:
    interim = RELATIVE.replace("2023年年度报告", "2023年半年度报告")
    facts = _facts(interim, "chenxi_interim_2023.txt", "晨曦微电子")
    assert not [f for f in facts if f.item == "operating_cash_flow" and f.period]  # 本期 is a half year


def test_another_entitys_statement_in_a_note_is_not_the_groups() -> None:
    text = (
        "晨曦微电子2023年年度报告\n合并资产负债表\n编制单位：江苏晨曦微电子股份有限公司\n单位：元\n"
        "项目 期末余额 上年年末余额\n资产总计 912,406,337.18 833,120,554.02\n"
        "公司参股的结构化主体情况\n下附苏州远澜成长投资中心2023年12月31日资产负债表列报项目：\n单位：元\n"
        "项目 年末余额 年初余额\n资产总计 150,019,797.51 150,043,860.72\n"
    )
    facts = _facts(text, "chenxi_annual_report_2023.txt", "晨曦微电子")
    assert _one(facts, "total_assets", "2023").value == "912406337.18"  # the group's, once
    other = [f for f in facts if f.value == "150019797.51"]
    assert other and all(f.scope == "other" for f in other)
