"""Credit metrics computed from facts: every formula, the period and scope rules, missing inputs (fictional)."""

from decimal import Decimal

import pytest

from assistant.core.records import Fact
from assistant.facts.metrics import (
    BY_NAME,
    METRICS,
    Computed,
    Missing,
    asked_metric,
    compute,
    evaluate,
    inputs,
)

VALUES = {  # one fictional company's 2023 and 2022 statements, in yuan
    "revenue": ("86,523,000", "65,900,000"),
    "cost_of_revenue": ("51,201,100", "40,025,600"),
    "gross_profit": ("35,321,900", "25,874,400"),
    "operating_income": ("9,804,000", "6,120,000"),
    "net_profit": ("7,912,300", "-1,204,500"),
    "selling_expense": ("6,230,000", "5,118,000"),
    "admin_expense": ("5,004,000", "4,870,000"),
    "finance_expense": ("820,000", "760,000"),
    "interest_expense": ("1,210,000", "990,000"),
    "rd_expense": ("10,382,760", "8,898,000"),
    "current_assets": ("64,200,000", "52,100,000"),
    "inventory": ("18,400,000", "15,300,000"),
    "current_liabilities": ("38,900,000", "40,200,000"),
    "total_assets": ("150,400,000", "131,800,000"),
    "total_liabilities": ("70,300,000", "69,900,000"),
    "operating_cash_flow": ("12,110,000", "-2,340,000"),
    "capex": ("-4,620,000", "-3,100,000"),
}


def _fact(
    item: str, year: str, raw: str, scope: str = "consolidated", doc: str = "annual_report_2023.pdf"
) -> Fact:
    return Fact(
        company="星河科技", doc=doc, chunk_id=f"{item}-{year}", label=item, item=item, period=year,
        value=raw.replace(",", ""), unit="CNY", scope=scope, raw=raw, quote=f"{item} | {raw}",
    )  # fmt: skip


FACTS = [
    _fact(item, year, raw)
    for item, pair in VALUES.items()
    for year, raw in zip(("2023", "2022"), pair, strict=True)
]


def _value(item: str, year: str = "2023") -> Decimal:
    return Decimal(VALUES[item][0 if year == "2023" else 1].replace(",", ""))


EXPECTED = {  # each metric by hand, for 2023
    "quick_ratio": (_value("current_assets") - _value("inventory")) / _value("current_liabilities"),
    "current_ratio": _value("current_assets") / _value("current_liabilities"),
    "working_capital": _value("current_assets") - _value("current_liabilities"),
    "debt_to_assets": _value("total_liabilities") / _value("total_assets") * 100,
    "gross_margin": (_value("revenue") - _value("cost_of_revenue")) / _value("revenue") * 100,
    "operating_margin": _value("operating_income") / _value("revenue") * 100,
    "net_margin": _value("net_profit") / _value("revenue") * 100,
    "cost_ratio": _value("cost_of_revenue") / _value("revenue") * 100,
    "selling_expense_ratio": _value("selling_expense") / _value("revenue") * 100,
    "admin_expense_ratio": _value("admin_expense") / _value("revenue") * 100,
    "finance_expense_ratio": _value("finance_expense") / _value("revenue") * 100,
    "rd_intensity": _value("rd_expense") / _value("revenue") * 100,
    "free_cash_flow": _value("operating_cash_flow") - abs(_value("capex")),
    "interest_coverage": _value("operating_income") / _value("interest_expense"),
    "revenue_growth": (_value("revenue") - _value("revenue", "2022")) / _value("revenue", "2022") * 100,
    "net_profit_growth": (_value("net_profit") - _value("net_profit", "2022"))
    / abs(_value("net_profit", "2022"))
    * 100,
}


def test_every_metric_has_a_hand_computed_check() -> None:
    assert set(EXPECTED) == {m.name for m in METRICS}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_formula_computes_what_its_definition_says(name: str) -> None:
    got = compute(BY_NAME[name], FACTS, "2023")
    assert isinstance(got, Computed) and got.period == "2023"
    assert abs(got.value - EXPECTED[name]) < Decimal("1e-9")
    assert set(got.used) == set(inputs(BY_NAME[name].formula))  # every input cited


def test_a_missing_input_is_named_never_guessed() -> None:
    without = [f for f in FACTS if f.item != "inventory"]
    missing = compute(BY_NAME["quick_ratio"], without, "2023")
    assert isinstance(missing, Missing) and missing.missing == ["inventory"]
    assert isinstance(compute(BY_NAME["revenue_growth"], FACTS, "2022"), Missing)  # no 2021 revenue


def test_the_latest_year_with_every_input_is_the_default_and_scopes_never_mix() -> None:
    assert compute(BY_NAME["current_ratio"], FACTS).period == "2023"  # type: ignore[union-attr]
    parent = [
        _fact("current_assets", "2024", "10,000", "parent"),
        _fact("current_liabilities", "2024", "5,000"),
    ]
    got = compute(BY_NAME["current_ratio"], FACTS + parent)
    assert isinstance(got, Computed) and got.period == "2023"  # 2024 has no inputs of one scope


def test_a_stated_metric_is_read_as_printed_unless_it_comes_from_a_lesser_source() -> None:
    stated = Fact(
        company="星河科技", doc="annual_report_2023.pdf", chunk_id="gm", label="综合毛利率", item="gross_margin",
        period="2023", value="40.80", unit="%", raw="40.80%", quote="综合毛利率 | 40.80%",
    )  # fmt: skip
    got = compute(BY_NAME["gross_margin"], [*FACTS, stated], "2023")
    assert isinstance(got, Computed) and got.value == Decimal("40.80") and list(got.used) == ["gross_margin"]
    plan = stated.model_copy(update={"doc": "business_plan_2024.md", "value": "45.0"})
    computed = compute(BY_NAME["gross_margin"], [*FACTS, plan], "2023")
    assert isinstance(computed, Computed) and "revenue" in computed.used  # the audited inputs win over a plan


def test_formulas_evaluate_only_arithmetic() -> None:
    assert evaluate("(a - b) / abs(c) * 100", {"a": Decimal(3), "b": Decimal(1), "c": Decimal(-4)}) == 50
    with pytest.raises(ValueError):
        evaluate("__import__('os')", {})


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("星河科技2023年的速动比率是多少？", "quick_ratio"),
        ("Does Zentrix have positive working capital?", "working_capital"),
        ("星河科技2023年末的资产负债率是多少？", "debt_to_assets"),
        ("What was Zentrix's R&D expense as a percentage of revenue in 2023?", "rd_intensity"),
        ("星河科技2023年研发投入占营业收入的比例是多少？", "rd_intensity"),
        ("Is Zentrix's operating margin improving?", "operating_margin"),
        ("星河科技2023年营业收入增长率是多少？", "revenue_growth"),
        ("Who is Zentrix's auditor?", None),
    ],
)
def test_questions_name_their_metric_in_either_language(question: str, metric: str | None) -> None:
    found = asked_metric(question)
    assert (found.name if found else None) == metric


def test_free_cash_flow_a_report_states_is_read_as_printed() -> None:
    stated = _fact("free_cash_flow", "2023", "-1,933,630")
    got = compute(BY_NAME["free_cash_flow"], [*FACTS, stated], "2023")
    assert (
        isinstance(got, Computed)
        and got.value == Decimal("-1933630")
        and list(got.used) == ["free_cash_flow"]
    )
