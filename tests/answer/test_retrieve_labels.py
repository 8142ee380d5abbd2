"""A question naming an identity field by its label finds the row that states it ("公司的法定代表人 周远山"),
of the report of the year asked (else the newest), and the signature line a report repeats under every
statement ("法定代表人：… 主管会计工作负责人：…") does not crowd it out (fictional reports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import retrieve
from assistant.answer.query import Query
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths


def _report(year: int, person: str) -> str:
    statements = "\n\n".join(
        f"法定代表人：{person} 主管会计工作负责人：李青 会计机构负责人：王敏\n{n}、合并报表{n}\n"
        f"| 项目 | {year}年 | {year - 1}年 |\n|---|---|---|\n| 货币资金 | {n},120.00 | {n},010.00 |"
        for n in range(1, 7)
    )
    return (
        f"澄岳精工股份有限公司{year}年年度报告\n\n一、公司信息\n股票简称 澄岳精工 股票代码 688990\n"
        f"公司的中文名称 澄岳精工股份有限公司\n公司的法定代表人 {person}\n注册地址 浙江省湖州市长兴县开发区 18 号\n\n"
        + "公司主营业务为精密减速器的研发、生产与销售。" * 8
        + "\n\n"
        + statements
    )


@pytest.fixture
def services(fake_services: Services, tmp_path: Path) -> Services:
    folder = tmp_path / "docs" / "澄岳精工"
    folder.mkdir(parents=True)
    (folder / "annual_report_2022.txt").write_text(_report(2022, "张立"), encoding="utf-8")
    (folder / "annual_report_2023.txt").write_text(_report(2023, "周远山"), encoding="utf-8")
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    return fake_services


def _top(services: Services, question: str) -> list[str]:
    return [e.chunk.text for e in retrieve.rank(services.store, Query.parse(question, "澄岳精工"), 5)]


def test_the_fields_row_of_the_newest_report_comes_first_and_signatures_stay_out(services: Services) -> None:
    top = _top(services, "澄岳精工的法定代表人是谁？")
    assert "公司的法定代表人 周远山" in top[0]
    assert not any("主管会计工作负责人" in text and "公司的法定代表人" not in text for text in top)


def test_a_year_asked_finds_that_years_row(services: Services) -> None:
    assert "公司的法定代表人 张立" in _top(services, "澄岳精工2022年的法定代表人是谁？")[0]


def test_a_question_naming_no_label_gets_no_label_rows(services: Services) -> None:
    chunks, _ = services.store.company_chunks("澄岳精工")
    pool = {c.chunk_id: c for c in chunks}
    rows, echoes = retrieve._label_rows(Query.parse("澄岳精工2023年的货币资金是多少？", "澄岳精工"), pool)
    assert rows == {} and echoes == set()
    rows, echoes = retrieve._label_rows(Query.parse("澄岳精工的法定代表人是谁？", "澄岳精工"), pool)
    assert len(rows) == 2 and len(echoes) >= 10  # six statements in each report, their signatures echoes
