from assistant.answer.glossary import expand, fiscal_years


def test_ratio_questions_add_the_statement_lines_they_are_computed_from() -> None:
    assert "current liabilities" in expand("Does Corvane have a healthy quick ratio for FY23?")
    assert "流动负债合计" in expand("公司的速动比率是多少？")
    assert "负债合计" in expand("资产负债率高吗")
    assert expand("Who founded Corvane?") == ""


def test_fiscal_year_forms() -> None:
    assert fiscal_years("From FY21 to FY22, and fiscal year 2019 and FY 2020") == [
        "2021",
        "2022",
        "2019",
        "2020",
    ]
