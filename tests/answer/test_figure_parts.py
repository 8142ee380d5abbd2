"""What figures a question asks for (fictional companies, both languages)."""

import pytest

from assistant.answer.figure_parts import asked_parts


def _parts(question: str) -> list[tuple[str, tuple[str, ...]]] | None:
    parts = asked_parts(question)
    return None if parts is None else [(p.metric.name, p.years) for p in parts]


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "晨曦微电子2023年营业收入是多少元？同比增长多少？",
            [("revenue", ("2023",)), ("revenue_growth", ("2023",))],
        ),
        (
            "晨曦微电子2023年研发人员数量是多少？在职员工的数量合计是多少？",
            [("rd_staff", ("2023",)), ("employees", ("2023",))],
        ),
        (
            "What were Zentrix's total current liabilities at year end FY2023 (in USD millions)? Base your "
            "judgments on the balance sheet.",
            [("current_liabilities", ("2023",))],
        ),
        (
            "What percentage of total revenues did Zentrix's general and administrative expenses represent in "
            "2022 and 2023?",
            [("admin_expense_ratio", ("2022", "2023"))],
        ),
        (
            "What share of Zentrix's 2023 revenue came from its largest customer?",
            [("top1_customer_share", ("2023",))],
        ),
        (
            "晨曦微电子2023年研发投入是多少？占营业收入比例是多少？",
            [("rd_expense", ("2023",)), ("rd_intensity", ("2023",))],
        ),
        ("How did Zentrix's net income change between 2022 and 2023?", [("net_profit_change", ("2023",))]),
        (
            "根据annual_report_2024.pdf，晨曦微电子2023年营业收入是多少？",
            [("revenue", ("2023",))],
        ),  # a file's year
        # not only figures, no year, a quarter, or no line item: the passages and the model answer it
        ("晨曦微电子2023年营业收入是多少？何时实现经营性现金流转正？", None),
        ("What was Zentrix's revenue?", None),
        ("晨曦微电子2023年第三季度营业收入是多少？", None),
        ("How many devices did Zentrix sell in 2023?", None),
        ("晨曦微电子2023年获得了多少项发明专利？", None),
        ("晨曦微电子2023年研发投入的进展如何？", None),  # not its figure
        ("What drove Zentrix's revenue in 2023?", None),  # granted in the year or held at its end?
    ],
)
def test_questions_are_split_into_the_figures_they_ask_for(
    question: str, parts: list[tuple[str, tuple[str, ...]]] | None
) -> None:
    assert _parts(question) == parts
