"""Table rows as retrieval units: a question that asks for a line item in other words than the row's label
finds the row (issue 16, item 4), through the facts' lexicon (fictional reports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import retrieve
from assistant.answer.query import Query
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths

DISTRACTORS = "\n".join(
    f"Note {n}. At the end of 2024 our employees participate in plan {n}; employees' awards under plan {n} vest "
    f"over four years and employees may elect deferral {n}."
    for n in range(1, 13)
)
REPORT = (
    "Corvane Instruments Inc. Annual Report 2024\n\n"
    f"{DISTRACTORS}\n\n"
    "Workforce\n"
    "|  | 2024 | 2023 |\n"
    "|---|---|---|\n"
    "| Total headcount | 642 | 590 |\n"
    "| Of which engineering | 187 | 160 |\n"
)
ZH_REPORT = (
    "澄岳精工股份有限公司2024年年度报告\n"
    + "\n".join(
        f"澄岳精工2024年末员工持股计划第{n}期：参与员工总数若干名，员工认购资金来源为自筹资金。"
        for n in range(1, 13)
    )
    + "\n\n| 项目 | 2024年 |\n|---|---|\n| 在职员工的数量合计（人） | 642 |\n| 母公司在职员工的数量（人） | 120 |\n"
)


@pytest.fixture
def store(fake_services: Services, tmp_path: Path) -> Services:
    for company, name, text in (
        ("Corvane", "corvane_10k_2024.md", REPORT),
        ("澄岳精工", "年报2024.md", ZH_REPORT),
    ):
        folder = tmp_path / "docs" / company
        folder.mkdir(parents=True)
        (folder / name).write_text(text, encoding="utf-8")
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    return fake_services


def _top(services: Services, question: str, company: str, rows: bool) -> list[str]:
    saved = retrieve.FACT_ROWS
    retrieve.FACT_ROWS = saved if rows else 0
    try:
        return [e.chunk.text for e in retrieve.rank(services.store, Query.parse(question, company), 3)]
    finally:
        retrieve.FACT_ROWS = saved


@pytest.mark.parametrize(
    ("question", "company", "row"),
    [
        ("How many employees did Corvane have at the end of 2024?", "Corvane", "Total headcount | 642"),
        ("澄岳精工2024年末员工总数是多少？", "澄岳精工", "在职员工的数量合计（人） | 642"),
    ],
)
def test_a_row_asked_for_in_other_words_is_in_the_top_three(
    store: Services, question: str, company: str, row: str
) -> None:
    assert any(row in text for text in _top(store, question, company, rows=True))
    # the words alone match the distractors better: without the row ranking it is not found
    assert not any(row in text for text in _top(store, question, company, rows=False))


def test_only_rows_of_the_asked_year_and_company_join(store: Services) -> None:
    def rows(question: str, company: str) -> dict[str, float]:
        return retrieve._row_passages(store.store, Query.parse(question, company), None)

    assert len(rows("What was Corvane's headcount in 2024?", "Corvane")) == 1
    assert rows("What was Corvane's headcount in 2019?", "Corvane") == {}  # no 2019 column
    assert rows("What was Corvane's headcount in 2024?", "澄岳精工") != rows(
        "What was Corvane's headcount in 2024?", "Corvane"
    )  # the company's own rows only
    assert rows("Who founded Corvane?", "Corvane") == {}  # no line item asked
