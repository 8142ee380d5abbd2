"""Which of a few line items is the highest or the lowest, decided in code from facts: every figure cited, the
superlative of an outflow read the right way round, and questions that are no such comparison left alone
(fictional companies, both languages)."""

from collections.abc import Callable

import pytest

from assistant.answer.answerer import Answerer
from assistant.answer.ranking import asked_ranking


@pytest.fixture
def answerer(answerer_over: Callable[[dict[str, str]], Answerer]) -> Answerer:
    return answerer_over(
        {
            "Quillmark/quillmark_10k_2023.txt": (
                "Quillmark Robotics, Inc.\nConsolidated Statements of Cash Flows\nYear Ended\nDecember 31,\n2023\n"
                "December 31,\n2022\n(In millions)\nNet cash provided by operating activities\n$\n812\n$\n640\n"
                "Net cash provided by (used in) investing activities\n(1,204)\n95\n"
                "Net cash (used in) provided by financing activities\n(57)\n710\n"
            ),
            "澜岳科技/annual_report_2023.md": (
                "# 澜岳科技2023年年度报告\n金额单位：万元\n\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n"
                "| 营业收入 | 9,310.00 | 7,020.00 |\n| 销售费用 | 640.20 | 512.00 |\n| 管理费用 | 855.75 | 790.10 |\n"
                "| 研发费用 | 1,240.60 | 980.00 |\n"
            ),
        }
    )


def test_the_activity_that_generated_the_most_cash_is_named_with_every_figure_cited(
    answerer: Answerer, asked: list[str]
) -> None:
    question = (
        "For Quillmark in FY2023, which of its operating, investing and financing activities generated "
        "the most cash?"
    )
    answer = answerer.ask(question)
    assert answer.path == "computed" and asked == []
    assert answer.answer.startswith(
        "Operating activities had the highest net cash flow for Quillmark in 2023"
    )
    assert "$812 million [1]" in answer.answer and "-$57 million" in answer.answer
    assert "-$1,204 million" in answer.answer
    assert answer.answer.index("-$57") < answer.answer.index("-$1,204")  # ranked, highest first
    assert all(any(f in c.quote for f in ("812", "1,204", "57")) for c in answer.citations)
    earlier = answerer.ask(
        "Which of Quillmark's operating, investing and financing activities generated the most cash in 2022?"
    )
    assert earlier.answer.startswith("Financing activities") and "$710 million [" in earlier.answer


def test_lost_the_most_is_the_lowest_figure(answerer: Answerer, asked: list[str]) -> None:
    answer = answerer.ask(
        "Which of Quillmark's operating, investing and financing activities lost the most cash in 2023?"
    )
    assert answer.path == "computed" and answer.answer.startswith("Investing activities had the lowest")


def test_a_chinese_question_about_expenses(answerer: Answerer, asked: list[str]) -> None:
    answer = answerer.ask("澜岳科技2023年销售费用、管理费用和研发费用中哪项最低？")
    assert answer.path == "computed" and asked == []
    assert answer.answer.startswith("澜岳科技2023年销售费用金额最低：销售费用 640.20万元 [1]")
    assert "研发费用 1,240.60万元" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "Which segment grew the most in FY2023?",  # no family's items named
        "Did operating cash flow grow in 2023?",  # no superlative
        "Which generated the most cash, operating or investing activities, in 2022 and 2023?",  # two years
        "Was operating cash flow the largest source of cash in 2023?",  # one item
    ],
)
def test_other_questions_are_no_ranking(question: str) -> None:
    assert asked_ranking(question) is None


def test_a_missing_figure_leaves_the_question_to_the_passages(answerer: Answerer, asked: list[str]) -> None:
    answer = answerer.ask(
        "澜岳科技2023年经营、投资、筹资活动中哪项现金流量净额最大？"
    )  # no cash flow statement
    assert answer.path != "computed"
