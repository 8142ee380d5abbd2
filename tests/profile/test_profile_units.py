"""Extractors, verification, reconciliation and the LLM hook on small hand-written passages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from assistant.core.records import Chunk
from assistant.profile import profile_from_chunks
from assistant.profile.extract import extract
from assistant.profile.extract.candidates import Candidate, verify
from assistant.profile.extract.text import segments
from assistant.profile.reconcile import agree


def _chunk(text: str, doc: str = "annual_report_2023.pdf", page: int | None = 2, cid: str = "c1") -> Chunk:
    return Chunk(chunk_id=cid, company="Acme", doc=doc, page=page, text=text)


def _values(chunks: list[Chunk], company: str = "Acme") -> dict[tuple[str, str | None], object]:
    ex, _ = extract(chunks, company)
    return {(c.field, c.period): c.value for c in ex.candidates}


def test_wrapped_lines_are_joined_but_quotes_keep_the_line_break() -> None:
    chunk = _chunk(
        "2023年11月，公司作为原告向杭州市西湖区人民法院提起买卖合同纠纷诉讼，\n要求被告支付货款412.60万元。"
    )
    (seg,) = segments(chunk)
    assert "\n" not in seg.text
    quote = seg.quote(0, len(seg.text))
    assert quote == chunk.text and quote in chunk.text


def test_chinese_sentences() -> None:
    got = _values(
        [
            _chunk(
                "2023年，公司实现营业收入16,842.57万元，较2022年的12,306.18万元同比增长36.86%。\n"
                "2024年公司营业收入目标为2.6亿元。\n"
                "截至2023年12月31日，公司员工总数为154人，其中研发人员41人，占员工总数的26.62%。\n"
                "员工中硕士及以上学历47人。\n"
                "2023年，公司研发费用为865.40万元，占营业收入的比例为8.76%。\n"
                "其中发明专利6项、实用新型专利19项，另有12项发明专利申请处于实质审查阶段。\n"
                "最近三年累计研发投入为4,445.15万元，占最近三年累计营业收入的比例为19.75%。"
            )
        ]
    )
    assert got[("revenue", "2023")] == 168_425_700 and got[("revenue", "2022")] == 123_061_800
    assert ("revenue", "2024") not in got  # a target, not a figure
    assert got[("employees", "2023")] == 154 and got[("rd_staff", "2023")] == 41
    assert got[("rd_staff_ratio", "2023")] == 26.62
    assert got[("rd_expense", "2023")] == 8_654_000 and got[("rd_ratio", "2023")] == 8.76
    assert got[("invention_patents", "2023")] == 6 and got[("utility_model_patents", "2023")] == 19
    assert 47 not in got.values() and 12 not in got.values()  # degree counts, pending applications
    assert 44_451_500 not in got.values()  # cumulative


def test_english_sentences() -> None:
    got = _values(
        [
            _chunk(
                "Revenue for 2023 was $27.6 million, up 23.8% from $22.3 million in 2022.\n"
                "Gross margin was 36.8% in 2023 (2022: 35.4%).\n"
                "Research and development expense was $4.1 million in 2023, or 14.9% of revenue.\n"
                "At 31 December 2023 the Company had 212 employees.\n"
                "Of these, 64 employees worked in research and development.\n"
                "The average number of employees during 2023 was 198.\n"
                "Our largest customer, a hospital network, accounted for 38.2% of 2023 revenue.\n"
                "Annual recurring revenue reached $8.1 million at December 31, 2023.\n"
                "Cash was $12.9 million at December 31, 2023.\n"
                "We generated net income attributable to Acme Inc. of $1,316 million, or $1.54 per diluted share.\n"
                "We expect to reach revenue of $32.0 million in 2024."
            )
        ]
    )
    assert got[("revenue", "2023")] == 27_600_000 and got[("revenue", "2022")] == 22_300_000
    assert got[("gross_margin", "2023")] == 36.8 and got[("gross_margin", "2022")] == 35.4
    assert got[("rd_expense", "2023")] == 4_100_000 and got[("rd_ratio", "2023")] == 14.9
    assert got[("employees", "2023")] == 212 and got[("rd_staff", "2023")] == 64
    assert got[("top1_customer_share", "2023")] == 38.2
    assert 8_100_000 not in got.values() and ("revenue", "2024") not in got and 198 not in got.values()
    assert got[("cash", "2023")] == 12_900_000  # a sentence ending in a date is not a table row
    assert got[("net_profit", "2023")] == 1_316_000_000  # not the $1.54 per share


def test_tables() -> None:
    md = _chunk(
        "研发投入情况表 / 单位：元\n| | |\n|---|---|\n| 研发投入合计 | 48,315,220.17 |\n"
        "| 研发投入总额占营业收入比例（%） | 11.46 |\n| 公司研发人员的数量 | 187 |",
        cid="m",
    )
    plan = _chunk(
        "| 指标 | 2022年（实际） | 2023年（实际） | 2024年（预测） |\n|---|---|---|---|\n"
        "| 营业收入（亿元） | 1.23 | 1.90 | 2.60 |\n| 综合毛利率 | 36.2% | 39.5% | 40.0% |",
        doc="business_plan_2024.md",
        page=None,
        cid="p",
    )
    text = _chunk(
        "(in thousands of USD, except percentages)\nItem 2023 2022\nRevenue 18,742 12,961\n"
        "Net loss (3,218) (4,507)",
        cid="t",
    )
    got = _values([md, plan, text])
    assert got[("rd_expense", "2023")] == 48_315_220.17 and got[("rd_ratio", "2023")] == 11.46
    assert got[("rd_staff", "2023")] == 187
    assert got[("revenue", "2022")] in (123_000_000, 12_961_000)
    assert ("revenue", "2024") not in got  # forecast column
    assert got[("net_profit", "2023")] == -3_218_000
    ex, _ = extract([text], "Acme")
    assert {c.value for c in ex.candidates if c.field == "revenue"} == {18_742_000, 12_961_000}
    # "(in thousands)" without a currency: the page's own money tells it
    bare = _chunk(
        "Selected data (in thousands)\nItem 2023 2022\nRevenue 18,742 12,961\n"
        "Total revenue was $18,742 thousand in fiscal 2023.",
        cid="b",
    )
    assert {(c.value, c.unit) for c in extract([bare], "Acme")[0].candidates if c.field == "revenue"} == {
        (18_742_000, "USD"),
        (12_961_000, "USD"),
    }


def test_identity() -> None:
    got = _values(
        [
            _chunk(
                "公司中文名称：杭州栖云智算科技股份有限公司\n统一社会信用代码：91330106MA2J7K4X6L\n统一社会信用代码：91330106MA2J7K4X6M\n"
                "法定代表人：沈立帆（董事长兼总经理）\n注册资本：5,000万元，实收资本：3,200万元\n注册地址：浙江省杭州市西湖区三墩镇\n"
                "公司成立于2017年4月18日。",
                page=1,
            )
        ],
        company="栖云智算",
    )
    assert got[("legal_name", None)] == "杭州栖云智算科技股份有限公司"
    assert (
        got[("unified_social_credit_code", None)] == "91330106MA2J7K4X6L"
    )  # the other code fails its check digit
    assert got[("legal_representative", None)] == "沈立帆"
    assert got[("registered_capital", None)] == 50_000_000 and got[("paid_in_capital", None)] == 32_000_000
    assert got[("headquarters", None)] == "浙江省杭州市" and got[("founded", None)] == "2017-04-18"
    # the next label printed without a separator is not part of the name
    glued = _values(
        [_chunk("法定代表人：周岚主管会计工作负责人：欧阳明会计机构负责人：何一", page=1)], company="X"
    )
    assert glued[("legal_representative", None)] == "周岚"


def _cand(value: float, number: str, tol: float, approx: bool = False) -> Candidate:
    return Candidate(
        field="revenue",
        value=value,
        unit="CNY",
        period="2023",
        raw=number,
        number=number,
        doc="d",
        quote=number,
        chunk_id="c",
        tolerance=tol,
        approx=approx,
    )


def test_agreement_within_rounding() -> None:
    audited = _cand(123_061_800, "12,306.18", 50)
    assert agree(_cand(123_000_000, "1.23", 500_000), audited)  # 1.23亿
    assert not agree(_cand(190_000_000, "1.90", 500_000), _cand(168_425_700, "16,842.57", 50))
    assert agree(_cand(210, "210", 0, approx=True), _cand(208, "208", 0))  # 约210人 vs 208


def test_verification_rejects_unquoted_values() -> None:
    chunk = _chunk("2023年，公司实现营业收入16,842.57万元。")
    good = Candidate(
        field="revenue",
        value=168_425_700,
        unit="CNY",
        period="2023",
        raw="16,842.57万元",
        number="16,842.57",
        doc=chunk.doc,
        page=2,
        quote="公司实现营业收入16,842.57万元",
        chunk_id="c1",
    )
    assert verify(good, chunk)
    assert not verify(
        good.model_copy(update={"quote": "公司实现营业收入16842.57万元"}), chunk
    )  # not verbatim
    assert not verify(good.model_copy(update={"number": "17,000.00"}), chunk)  # number not in the quote


class _FakeLLM:
    """An LLM extractor stand-in: one verifiable value, one invented one, one for a field not asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, chunks: Sequence[Chunk], missing: Sequence[str]) -> list[Candidate]:
        self.asked = list(missing)
        c = chunks[0]
        base = dict(unit=None, period=None, doc=c.doc, page=c.page, chunk_id=c.chunk_id)
        return [
            Candidate(
                field="industry",
                value="仪器仪表制造业",
                raw="仪器仪表制造业",
                quote="属于仪器仪表制造业",
                **base,
            ),
            Candidate(field="main_business", value="机器人", raw="机器人", quote="主营机器人", **base),
            Candidate(field="revenue", value=1, raw="1", quote="属于仪器仪表制造业", **base),
        ]


def test_llm_hook_keeps_only_verified_missing_fields() -> None:
    chunk = _chunk("公司属于仪器仪表制造业。2023年，公司实现营业收入9,876.45万元。", cid="x")
    llm = _FakeLLM()
    profile = profile_from_chunks([chunk], "Acme", today=date(2024, 6, 30), llm_extractor=llm)
    assert "industry" in llm.asked and "revenue" not in llm.asked
    assert profile.fields["industry"].value == "仪器仪表制造业"
    assert profile.fields["main_business"].status == "unknown"  # invented quote rejected
    assert profile.fields["revenue"].value == 98_764_500


def test_the_legal_representative_is_the_first_the_report_names_not_the_longest_name() -> None:
    # a report names its own legal representative first; shareholders' come later (chunk ids are hashes:
    # their order says nothing, the stored order does)
    chunks = [
        _chunk("公司信息\n法定代表人：岳明", doc="txt_annual_report_2023.txt", page=None, cid="zz9"),
        _chunk(
            "控股股东情况\n法人代表：欧阳建华\n注册资本：人民币30,000万元",
            doc="txt_annual_report_2023.txt",
            page=None,
            cid="aa1",
        ),
    ]
    profile = profile_from_chunks(chunks, "Acme", today=date(2024, 6, 30))
    assert profile.fields["legal_representative"].value == "岳明"


def test_a_row_under_a_header_of_several_years_gets_no_year_from_the_header_line() -> None:
    text = "研发投入情况\n2023 年 2022 年 变动比例\n研发人员数量占比 27.80% 14.81% 增加 12.99 个百分点"
    got = _values([_chunk(text, doc="notes.txt", page=None)])
    assert ("rd_staff_ratio", "2022") not in got  # the header's last year is not this row's


def test_an_interim_report_is_no_annual_report_and_has_no_fiscal_year() -> None:
    from assistant.profile.sources import doc_context

    annual = doc_context("chenxi_2023.txt", [_chunk("晨曦微电子股份有限公司2023年年度报告\n第一节 重要提示")])
    assert annual.type == "annual_report" and annual.fiscal_year == 2023
    for name, head in (
        ("chenxi_2023.txt", "晨曦微电子股份有限公司2023年半年度报告\n第一节 重要提示"),
        ("chenxi_interim_report_2023.pdf", "Interim Report 2023"),
        ("chenxi_2023年第三季度报告.pdf", "2023年第三季度报告"),
    ):
        ctx = doc_context(name, [_chunk(head)])
        assert ctx.type != "annual_report" and ctx.fiscal_year is None, name


def test_several_years_of_reports_make_one_profile_whose_tables_are_read_by_scope() -> None:
    from assistant.core.records import Document, Page
    from assistant.facts.read import document_facts
    from assistant.ingest.chunking import chunk_document

    def report(year: int, rows: str, rep: str) -> tuple[list[Chunk], list]:
        doc = f"annual_report_{year}.md"
        text = (
            f"# 晨曦微电子{year}年年度报告\n法定代表人：{rep}\n单位：元\n\n## 合并利润表\n\n"
            f"| 项目 | 本期发生额 | 上期发生额 |\n|---|---|---|\n{rows}\n\n## 母公司利润表\n单位：元\n\n"
            f"| 项目 | {year}年度 | {year - 1}年度 |\n|---|---|---|\n| 营业收入 | 1,000.00 | 2,000.00 |\n"
        )
        document = Document(
            path=doc, doc=doc, company="晨曦微电子", sha256="0" * 64, reader="md", pages=[Page(text=text)]
        )
        chunks = chunk_document(document)
        return chunks, document_facts(document, chunks)

    old_chunks, old_facts = report(2022, "| 营业收入 | 301,447,902.18 | 254,006,118.40 |", "周岚")
    new_chunks, new_facts = report(2023, "| 营业收入 | 412,880,316.52 | 301,447,902.18 |", "岳明")
    profile = profile_from_chunks(
        old_chunks + new_chunks, "晨曦微电子", today=date(2024, 6, 30), facts=old_facts + new_facts
    )
    revenue = {y: row["revenue"].value for y, row in profile.financials.items() if "revenue" in row}
    assert revenue == {"2021": 254006118.40, "2022": 301447902.18, "2023": 412880316.52}
    assert not profile.conflicts  # the parent company's 2,000.00 is no group revenue: no conflict
    assert profile.fields["legal_representative"].value == "岳明"  # the newer report names the present one


def test_one_customers_share_of_revenue_is_the_largest_customers_and_a_bound_is_none() -> None:
    got = _values(
        [_chunk("Sales to one customer, a regional utility, were 23% of Halvard's total revenue in 2023.")]
    )
    assert got[("top1_customer_share", "2023")] == 23
    for bound in (
        "No one customer bought more than 10% of Halvard's output in 2023.",
        "No single customer accounted for more than 10% of revenue in 2023.",
    ):
        assert not [k for k in _values([_chunk(bound)]) if k[0] == "top1_customer_share"]
