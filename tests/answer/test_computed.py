"""Metric questions answered in code from facts: the formula with its inputs, each cited; yes/no decided by
the comparison; the model never asked (fictional companies, both languages)."""

from collections.abc import Callable

import pytest

from assistant.answer.answerer import Answerer


@pytest.fixture
def answerer(answerer_over: Callable[[dict[str, str]], Answerer]) -> Answerer:
    return answerer_over(
        {
            "Zentrix/zentrix_10k_2023.txt": (
                "Zentrix Photonics, Inc. annual report. All amounts in $.\nConsolidated Balance Sheets\n"
                "December 31,\n2023\nDecember 31,\n2022\n(In thousands)\nTotal current assets\n9,640\n7,905\n"
                "Inventories\n1,877\n1,502\nTotal current liabilities\n5,032\n4,377\n"
            ),
            "星河科技/annual_report_2023.md": (
                "# 星河科技2023年年度报告\n金额单位：万元\n\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n"
                "| 营业收入 | 8,652.30 | 6,590.00 |\n| 营业成本 | 5,120.11 | 4,002.56 |\n"
                "| 营业利润 | 980.40 | 1,012.00 |\n"
            ),
        }
    )


def test_a_yes_no_metric_question_is_decided_in_code_and_cites_every_input(
    answerer: Answerer, asked: list[str]
) -> None:
    answer = answerer.ask("Does Zentrix have positive working capital in FY2023?")
    assert answer.path == "computed" and answer.answer.startswith("Yes.") and asked == []
    assert "$4,608 thousand" in answer.answer  # 9,640 − 5,032
    assert "Total current assets $9,640 thousand [1]" in answer.answer
    stored, _ = answerer.store.chunks_with_vectors([c.chunk_id for c in answer.citations])
    assert {c.chunk_id for c in stored} == {c.chunk_id for c in answer.citations}
    assert all("9,640" in c.quote or "5,032" in c.quote for c in answer.citations)
    healthy = answerer.ask("Is Zentrix's quick ratio healthy for 2023?")  # (9,640 − 1,877) ÷ 5,032 = 1.54
    assert healthy.answer.startswith("Yes.") and "1.54" in healthy.answer
    below = answerer.ask("Is Zentrix's current ratio above 2 in 2023?")  # 1.92
    assert below.answer.startswith("No.") and "1.92" in below.answer


def test_a_chinese_metric_question_gets_the_formula_with_the_rounding_asked(
    answerer: Answerer, asked: list[str]
) -> None:
    answer = answerer.ask("星河科技2023年的毛利率是多少？保留一位小数")  # (8,652.30 − 5,120.11) ÷ 8,652.30
    assert answer.path == "computed" and "40.8%" in answer.answer and asked == []
    assert "营业收入 8,652.30万元 [1]" in answer.answer and "营业成本 5,120.11万元 [1]" in answer.answer
    worse = answerer.ask("星河科技的营业利润率是否改善了？")  # 11.33% in 2023 against 15.36% in 2022
    assert worse.path == "computed" and worse.answer.startswith("否。")


def test_questions_facts_cannot_answer_go_to_the_model(answerer: Answerer, asked: list[str]) -> None:
    why = answerer.ask("What drove the change in Zentrix's working capital in 2023?")
    assert why.path != "computed"
    missing = answerer.ask(
        "星河科技2023年的资产负债率是多少？"
    )  # no total assets or liabilities in its facts
    assert missing.path != "computed"
    assert len(asked) >= 1


def test_a_metric_missing_an_input_is_refused_naming_it_and_citing_what_is_there(
    answerer: Answerer, asked: list[str]
) -> None:
    zh = answerer.ask("星河科技2023年的速动比率是多少？")  # revenue and costs only: no balance sheet at all
    assert zh.path != "computed" and zh.reason != "input_missing"  # no input there: the passages are read
    growth = answerer.ask("What was Zentrix's revenue growth in FY2023?")
    assert growth.reason != "input_missing"  # not one input of it is there
    en = answerer.ask("What is Zentrix's interest coverage for FY2023?")
    assert en.reason != "input_missing"
    calls = len(asked)
    ratio = answerer.ask("星河科技2023年营业收入增长率是多少？")
    assert ratio.path == "computed" and "31.29%" in ratio.answer  # (8,652.30 − 6,590.00) ÷ 6,590.00
    missing = answerer.ask("星河科技2023年的利息保障倍数是多少？")  # 营业利润 is there, 利息费用 is not
    assert missing.insufficient_evidence and missing.reason == "input_missing"
    assert "利息费用" in missing.answer and "2023年营业利润 980.40万元 [1]" in missing.answer
    assert [c.quote for c in missing.citations] and all("980.40" in c.quote for c in missing.citations)
    assert len(asked) == calls  # refused in code: the model was not asked
    quick = answerer.ask("What is Zentrix's quick ratio for FY2022?")  # every input is there for 2022
    assert quick.path == "computed"
    wc = answerer.ask("Does Zentrix have positive working capital in FY2021?")
    assert wc.reason != "input_missing"  # no input of 2021 at all: the period, not an input, is missing


@pytest.fixture
def reports(answerer_over: Callable[[dict[str, str]], Answerer]) -> Answerer:
    return answerer_over(
        {
            "晨曦微电子/chenxi_annual_report_2023.md": (
                "# 晨曦微电子2023年年度报告\n单位：元\n\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n"
                "| 营业收入 | 412,880,316.52 | 301,447,902.18 |\n| 研发投入合计 | 52,301,774.06 | 40,118,265.33 |\n"
                "| 研发费用 | 48,006,112.90 | 37,552,081.47 |\n| 在职员工的数量合计（人） | 628 | 540 |\n"
            ),
            "晨曦微电子/chenxi_business_plan_2024.md": (
                "# 晨曦微电子商业计划书\n单位：元\n\n| 项目 | 2023年 | 2024年（预测） |\n|---|---|---|\n"
                "| 营业收入 | 410,000,000.00 | 560,000,000.00 |\n"
            ),
            "Halvard/halvard_10k_2023.txt": (
                "Halvard Robotics, Inc. annual report. All amounts in $.\n[TABLE]\n |  | Years ended December 31, |\n"
                " | 2023 | 2022\n |  | (in thousands) |\nGeneral and administrative | $ 21,406 | $ 18,950\n"
                "Percentage of total revenues | 12.4 % | 13.1 %\nFree cash flow | $(7,215) | $2,040\n"
                "Net loss | $(12,530) | $(9,884)\nEffective tax rate | 21.5 % | 19.0 %\n[/TABLE]\n"
            ),
        }
    )


def test_figures_a_question_asks_for_are_read_from_facts_with_their_growth(
    reports: Answerer, asked: list[str]
) -> None:
    answer = reports.ask("晨曦微电子2023年营业收入是多少元？同比增长多少？")
    assert answer.path == "computed" and asked == []
    assert "营业收入为412,880,316.52元 [1]" in answer.answer  # the audited report, not the plan's 4.1亿
    assert "增长率为36.97%" in answer.answer  # (412,880,316.52 − 301,447,902.18) ÷ 301,447,902.18
    people = reports.ask("晨曦微电子2023年在职员工的数量合计是多少？")
    assert "628人 [1]" in people.answer
    # the words asked pick the row: 研发投入合计, not 研发费用
    assert "52,301,774.06元" in reports.ask("晨曦微电子2023年研发投入合计是多少？").answer
    # a question naming a document reads that document's facts only
    plan = reports.ask("根据chenxi_business_plan_2024.md，晨曦微电子2023年营业收入是多少？")
    assert plan.path == "computed" and "410,000,000.00元" in plan.answer
    assert {c.doc for c in plan.citations} == {"chenxi_business_plan_2024.md"}


def test_english_figures_in_the_unit_asked_with_signs_and_stated_shares(
    reports: Answerer, asked: list[str]
) -> None:
    ga = reports.ask("What were Halvard's general and administrative expenses in 2023 (in millions)?")
    assert ga.path == "computed" and "$21.406 million [1]" in ga.answer  # thousands → 3 decimals of millions
    share = reports.ask("What percentage of total revenues did Halvard's general and administrative expenses "
                        "represent in 2022 and 2023?")  # fmt: skip
    assert (
        "13.1%" in share.answer
        and "12.4%" in share.answer
        and share.answer.index("13.1%") < share.answer.index("12.4%")
    )
    fcf = reports.ask("What was Halvard's free cash flow in 2023 (in thousands)?")
    assert "-$7,215 thousand" in fcf.answer  # "$(7,215)" is negative
    loss = reports.ask("How large was Halvard's net loss in 2023?")
    assert "Net loss for FY2023 was $12,530 thousand" in loss.answer  # the label says loss: no minus sign
    rate = reports.ask("How much did Halvard's effective tax rate change between 2022 and 2023?")
    assert "+2.50 percentage points" in rate.answer  # a rate changes by points, from 19.0% to 21.5%
    assert "21.5%" in rate.answer and "19.0%" in rate.answer
    assert asked == []
    other = reports.ask("What was Halvard's revenue in 2023 and why did it change?")
    assert other.path != "computed"  # a why: the passages and the model


def test_a_yes_no_question_about_one_figure_is_decided_by_its_comparison(
    reports: Answerer, asked: list[str]
) -> None:
    grew = reports.ask("晨曦微电子2023年营业收入是否增长？")  # 412,880,316.52 against 301,447,902.18
    assert grew.path == "computed" and grew.answer.startswith("是。") and "412,880,316.52元" in grew.answer
    negative = reports.ask("Is Halvard's free cash flow negative in 2023?")  # $(7,215)
    assert negative.path == "computed" and negative.answer.startswith("Yes.")
    fell = reports.ask(
        "Did Halvard's general and administrative expenses decrease in 2023?"
    )  # 21,406 > 18,950
    assert fell.path == "computed" and fell.answer.startswith("No.")
    which = reports.ask("Was Halvard's free cash flow positive or negative in 2023?")  # which, not whether
    assert (
        which.path == "computed" and not which.answer.startswith(("Yes", "No")) and "-$7,215" in which.answer
    )
    calls = len(asked)
    amount = reports.ask("Were Halvard's general and administrative expenses above 20 in 2023?")  # 20 what?
    assert amount.path != "computed" and len(asked) == calls + 1
