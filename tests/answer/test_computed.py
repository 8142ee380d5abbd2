"""Metric questions answered in code from facts: the formula with its inputs, each cited; yes/no decided by
the comparison; the model never asked (fictional companies, both languages)."""

from pathlib import Path
from typing import Any

import pytest

from assistant.answer.answerer import Answerer
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat


class Counting(FakeChat):
    calls: int = 0

    def _reply(self, messages: Any) -> str:
        type(self).calls += 1
        return "NOT_IN_DOCUMENTS"


@pytest.fixture
def answerer(fake_services: Services, tmp_path: Path) -> Answerer:
    root = tmp_path / "docs"
    (root / "Zentrix").mkdir(parents=True)
    (root / "星河科技").mkdir(parents=True)
    (root / "Zentrix" / "zentrix_10k_2023.txt").write_text(
        "Zentrix Photonics, Inc. annual report. All amounts in $.\nConsolidated Balance Sheets\nDecember 31,\n"
        "2023\nDecember 31,\n2022\n(In thousands)\nTotal current assets\n9,640\n7,905\nInventories\n1,877\n1,502\n"
        "Total current liabilities\n5,032\n4,377\n",
        encoding="utf-8",
    )
    (root / "星河科技" / "annual_report_2023.md").write_text(
        "# 星河科技2023年年度报告\n金额单位：万元\n\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n"
        "| 营业收入 | 8,652.30 | 6,590.00 |\n| 营业成本 | 5,120.11 | 4,002.56 |\n| 营业利润 | 980.40 | 1,012.00 |\n",
        encoding="utf-8",
    )
    ingest_paths([root], fake_services.store, fake_services.settings)
    Counting.calls = 0
    return Answerer(fake_services.store, lambda: Counting(), fake_services.settings, "test")


def test_a_yes_no_metric_question_is_decided_in_code_and_cites_every_input(answerer: Answerer) -> None:
    answer = answerer.ask("Does Zentrix have positive working capital in FY2023?")
    assert answer.path == "computed" and answer.answer.startswith("Yes.") and Counting.calls == 0
    assert "$4,608 thousand" in answer.answer  # 9,640 − 5,032
    assert "Total current assets $9,640 thousand [1]" in answer.answer
    stored, _ = answerer.store.chunks_with_vectors([c.chunk_id for c in answer.citations])
    assert {c.chunk_id for c in stored} == {c.chunk_id for c in answer.citations}
    assert all("9,640" in c.quote or "5,032" in c.quote for c in answer.citations)
    healthy = answerer.ask("Is Zentrix's quick ratio healthy for 2023?")  # (9,640 − 1,877) ÷ 5,032 = 1.54
    assert healthy.answer.startswith("Yes.") and "1.54" in healthy.answer
    below = answerer.ask("Is Zentrix's current ratio above 2 in 2023?")  # 1.92
    assert below.answer.startswith("No.") and "1.92" in below.answer


def test_a_chinese_metric_question_gets_the_formula_with_the_rounding_asked(answerer: Answerer) -> None:
    answer = answerer.ask("星河科技2023年的毛利率是多少？保留一位小数")  # (8,652.30 − 5,120.11) ÷ 8,652.30
    assert answer.path == "computed" and "40.8%" in answer.answer and Counting.calls == 0
    assert "营业收入 8,652.30万元 [1]" in answer.answer and "营业成本 5,120.11万元 [1]" in answer.answer
    worse = answerer.ask("星河科技的营业利润率是否改善了？")  # 11.33% in 2023 against 15.36% in 2022
    assert worse.path == "computed" and worse.answer.startswith("否。")


def test_questions_facts_cannot_answer_go_to_the_model(answerer: Answerer) -> None:
    why = answerer.ask("What drove the change in Zentrix's working capital in 2023?")
    assert why.path != "computed"
    missing = answerer.ask(
        "星河科技2023年的资产负债率是多少？"
    )  # no total assets or liabilities in its facts
    assert missing.path != "computed"
    assert Counting.calls >= 1
