"""Period discipline: the fiscal years a company's documents cover, and refusals of the others (fictional)."""

from pathlib import Path
from typing import Any

import pytest

from assistant.answer.answerer import Answerer, refused_in_code
from assistant.answer.periods import (
    Periods,
    asked_years,
    covered_years,
    passage_years,
    report_year,
    year_ranges,
)
from assistant.answer.query import Query
from assistant.core.records import Chunk, Evidence
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat


def _chunk(text: str, doc: str = "notes.md") -> Chunk:
    return Chunk(chunk_id="c", company="C", doc=doc, text=text)


@pytest.mark.parametrize(
    ("text", "doc", "years"),
    [
        (
            "| 项目 | 2023年 | 2022年 |\n|---|---|---|\n| 营业收入 | 8,652.30 | 6,590.00 |",
            "x.md",
            {"2023", "2022"},
        ),
        ("| Item | FY2023 | December 31, 2022 |\n|---|---|---|", "x.md", {"2023", "2022"}),
        ("| 指标 | 2024年（预测） | 2025E |", "plan.md", {"2024", "2025"}),  # a plan covers its forecasts
        ("| A轮 | 2021年8月 | 6,000万元 | 澄湖资本 |", "x.md", set()),  # a date in a row covers nothing
        ("| 1 | ZL202010563208.9 | 一种方法 | 2020-06-19 |", "patents.md", set()),
        ("公司简介", "annual_report_2023.pdf", {"2023"}),  # a report's own year
        ("公司简介", "business_plan_2024.md", set()),  # a plan's date is no reporting period
        ("星河科技2022年年度报告", "x.md", {"2022"}),
        ("2021年，公司实现营业收入5,210.40万元。", "x.md", {"2021"}),
        ("2020年5月，公司获得澄湖资本领投的A轮融资。", "x.md", set()),  # an event's year
        ("Revenue for fiscal 2022 was $9.1 million.", "x.md", {"2022"}),
        ("The company was founded in 2016 in Austin.", "x.md", set()),
        ("Item 2023 2022\nRevenue 18,742 12,961", "x.md", {"2023", "2022"}),
    ],
)
def test_the_years_a_passage_covers(text: str, doc: str, years: set[str]) -> None:
    assert covered_years([_chunk(text, doc)]) == years


def test_a_question_asks_a_period_only_for_a_figure() -> None:
    assert asked_years(Query.parse("星河科技2021年营业收入是多少？")) == ["2021"]
    assert asked_years(Query.parse("What was revenue in FY22?")) == ["2022"]
    assert asked_years(Query.parse("星河科技2021年获得了哪一轮融资？")) == []  # an event, not a period
    assert year_ranges(["2019", "2020", "2021", "2023"]) == "2019–2021, 2023"


class Scripted(FakeChat):
    calls: int = 0

    def _reply(self, messages: Any) -> str:
        type(self).calls += 1
        return "营业收入8,652.30万元 [1]"


def test_an_uncovered_year_is_refused_before_any_search_naming_the_covered_ones(
    fake_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "docs" / "星河科技"
    folder.mkdir(parents=True)
    (folder / "annual_report_2023.md").write_text(
        "# 星河科技\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n| 营业收入（万元） | 8,652.30 | 6,590.00 |\n"
        "2019年5月，公司获得澄湖资本领投的天使轮融资。\n",
        encoding="utf-8",
    )
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    Scripted.calls = 0
    answerer = Answerer(fake_services.store, lambda: Scripted(), fake_services.settings, "test")
    refused = answerer.ask("星河科技2019年的营业收入是多少？")  # 2019 is only a financing date
    assert refused.reason == "period_not_covered" and refused.covered_periods == ["2022", "2023"]
    assert "2022–2023" in refused.answer and refused.citations == [] and refused.searched == ""
    assert Scripted.calls == 0
    answered = answerer.ask("星河科技2023年的营业收入是多少？")
    assert answered.reason is None and "8,652.30" in answered.answer  # from the facts: no model call
    assert answered.path == "computed" and Scripted.calls == 0
    (folder / "annual_report_2019.md").write_text(
        "# 星河科技\n| 项目 | 2019年 |\n|---|---|\n| 营业收入（万元） | 3,120.00 |\n", encoding="utf-8"
    )
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    assert (
        answerer.ask("星河科技2019年的营业收入是多少？").reason != "period_not_covered"
    )  # new document, new years


def test_a_report_passage_is_of_the_report_year_though_it_names_none() -> None:
    report = [
        _chunk("星河科技2023年年度报告\n第一节 重要提示", "xinghe_report.pdf"),
        _chunk("报告期内，公司获得发明专利7项、实用新型4项。", "xinghe_report.pdf"),
    ]
    periods = Periods.of([*report, _chunk("10月12日消息，星河科技完成B轮融资。", "news.md")])
    assert periods.reports == {"xinghe_report.pdf": "2023"}  # the news names no year of its own
    assert report_year("annual_report_2022.pdf", ["see the 2021 annual report"]) == "2022"
    assert passage_years(report[1], periods) == {"2023"}
    assert passage_years(report[1], None) == set()
    query = Query.parse("星河科技2023年获得了多少项发明专利？", "星河科技")
    evidence = [Evidence(chunk=report[1], score=1.0)]
    assert refused_in_code(query, evidence, periods) is None
    assert refused_in_code(query, evidence, None) == "period_not_covered"  # without the report's year
    older = Query.parse("星河科技2021年获得了多少项发明专利？", "星河科技")
    assert refused_in_code(older, evidence, periods) == "period_not_covered"
