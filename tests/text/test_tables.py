"""Table rows: one cell splitter, one rule-row test, one reader of year columns (fictional rows)."""

from __future__ import annotations

from assistant.answer.calculate import figure_columns, year_calculations
from assistant.answer.query import Query
from assistant.text.tables import (
    column_year,
    header_years,
    is_figure_cell,
    is_forecast,
    is_rule_row,
    line_cells,
    named_year,
    row_cells,
    text_header_years,
    title_year,
    year_titles,
)


def test_rows_split_with_or_without_outer_bars_and_keep_empty_cells() -> None:
    assert row_cells("| 营业收入 | 8,652.30 | | 7,120.00 |") == ["营业收入", "8,652.30", "", "7,120.00"]
    assert row_cells("营业收入 | 8,652.30 | 7,120.00") == ["营业收入", "8,652.30", "7,120.00"]
    assert row_cells("|| 2023 | 2022 |") == ["", "2023", "2022"]
    assert row_cells(r"| A\|B 型号 | 12 |") == [r"A\|B 型号", "12"]  # an escaped bar stays in its cell
    assert line_cells("Revenue 18,742 12,961") == ["Revenue", "18,742", "12,961"]
    assert line_cells("| Revenue | 18,742 |") == ["Revenue", "18,742"]


def test_a_figure_cell_holds_one_figure_and_nothing_else() -> None:
    for cell in ("16,842.57", "(3,218)", "-5.2%", "$ 84,210", "1 234", "1，234", "（12.5）", "+0.8 ％", "0"):
        assert is_figure_cell(cell), cell
    for cell in ("2020.01.01", "营业收入", "12万元", "FY2023", "", "1.2.3", "n/a", "3-5"):
        assert not is_figure_cell(cell), cell
    assert not is_figure_cell("2023") and is_figure_cell("2023", years=True)  # a column title is no data


def test_rule_rows() -> None:
    assert is_rule_row("|---|:---:|---:|") and is_rule_row(" | --- | --- | ")
    assert is_rule_row("| | |")  # a row of empty cells is skipped like a rule
    assert not is_rule_row("| 营业收入 | 1 |") and not is_rule_row("---")


def test_year_titles_and_value_columns() -> None:
    assert [
        title_year(c)
        for c in ("2023", "FY 2023", "fy2022", "2023年度", "2023年末", "2023年初", "2023年（实际）")
    ] == [
        "2023",
        "2023",
        "2022",
        "2023",
        "2023",
        "2023",
        None,
    ]
    assert year_titles(["项目", "2023年", "2022年", "增减"]) == ["2023", "2022"]
    assert named_year("截至 Dec 31, 2021") == "2021" and named_year("12345") is None
    assert is_forecast("2025E") and is_forecast("2024年（预测）") and not is_forecast("2023年")
    assert [
        column_year(c) for c in ("2022年（实际）", "2024年（预测）", "Q3 2023", "2023 vs 2022 %", "同比增减")
    ] == [
        "2022",
        None,
        None,
        None,
        None,
    ]
    assert header_years(["2023年", "2022年", "变动"]) == ["2023", "2022", None]
    assert header_years(["指标", "说明"]) is None


def test_plain_text_header_lines() -> None:
    assert text_header_years("项目 2023年 2022年 增减") == ["2023", "2022", None]
    assert text_header_years("Item FY2023 FY2022 2021/12/31") == ["2023", "2022", "2021"]
    assert text_header_years("In 2023 the company grew") is None
    assert text_header_years("Revenue 18,742 12,961") is None
    # a text export's spaces inside a title are no column breaks
    assert text_header_years(" 2018 年 2017 年 变动比例") == ["2018", "2017", None]
    assert text_header_years("项目 2018 年 12 月 31 日 2017 年 12 月 31 日") == ["2018", "2017"]
    # one year heads a table only under a column title, never inside a sentence, a date or a row
    assert text_header_years("项目 2023年") == ["2023"]
    assert text_header_years("自 2016 年") is None and text_header_years("2019 年 04 月") is None
    assert text_header_years("2021 年度 14,337,718.76 14,337,718.76") is None
    assert text_header_years("2008 连续两年净利润增长率低于") is None


def test_relative_column_titles_are_offsets_from_the_report_year() -> None:
    from assistant.text.tables import relative_header, relative_year

    assert relative_header(["本期发生额", "上期发生额"]) == ["+0", "-1"]
    assert relative_header(["期末余额", "上年年末余额"]) == ["+0", "-1"]
    assert relative_header(["期初余额", "本期增加", "本期减少", "期末余额"]) == ["-1", None, None, "+0"]
    assert relative_year("Prior year") == "-1" and relative_year("本 期") == "+0"
    assert relative_header(["本期", "备注"]) is None  # one relative column could be anything


def test_calculations_read_year_columns_through_the_same_reader() -> None:
    passage = "| 项目 | 2023年末 | 2022年末 |\n|---|---|---|\n| 货币资金 | 1,500.00 | 1,200.00 |"
    lines = year_calculations(Query.parse("货币资金2022年到2023年的变化是多少？"), [passage])
    assert lines == ["[1] 货币资金: 2023 1,500 − 2022 1,200 = 300 (+25.00%)"]
    assert figure_columns("1200.00", passage) == ["2022"]
    fiscal = "| Item | FY2023 | FY2022 |\n|---|---|---|\n| Revenue | 18,742 | 12,961 |"
    assert figure_columns("12961", fiscal) == ["2022"]


def test_a_table_exported_one_cell_per_line_becomes_rows() -> None:
    from assistant.text.tables import vertical_rows

    export = (
        "Consolidated Balance Sheets\nDecember 31,\n(in millions)\n\n2023\n\n2022\n\nCurrent assets:\n"
        "Cash and cash equivalents\n$\n1,204 $\n988\nInventories (Note 4)\n\n612\n540\n"
        "Total current assets\n\n2,917\n2,455\nNet loss\n(1,234)\n(567)\n"
        "The company had 2 plants.\n3\n"
    )
    rows = vertical_rows(export).split("\n")
    assert "(in millions) | 2023 | 2022" in rows
    assert "Cash and cash equivalents | $1,204 | $988" in rows  # the currency kept on its figures
    assert "Inventories (Note 4) | 612 | 540" in rows
    assert "Total current assets | 2,917 | 2,455" in rows
    assert "Net loss | (1,234) | (567)" in rows
    assert rows[:2] == [
        "Consolidated Balance Sheets",
        "December 31,",
    ]  # a label with no figures below it stays
    assert rows[-3:-1] == ["The company had 2 plants.", "3"]  # one figure below a line is no table row
    assert vertical_rows("营业收入\n16,842.57\n12,306.18") == "营业收入 | 16,842.57 | 12,306.18"
    assert vertical_rows("| 项目 | 2023年 |\n| 营收 | 5 |") == "| 项目 | 2023年 |\n| 营收 | 5 |"
