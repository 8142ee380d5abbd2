from assistant.answer.calculate import year_calculations
from assistant.answer.query import Query

TABLE = (
    "| 2019 | 2018 | 2017 |\n| (in thousands) |\nDevices sold | 12,400 | 11,250 | 10,980\n"
    "Active users | 31,720 | 28,450 | 26,010\n"
)


def test_differences_between_the_years_asked_for_the_rows_asked() -> None:
    lines = year_calculations(
        Query.parse("By how much did active users change from 2018 to 2019 (thousands)?"), ["x", TABLE]
    )
    assert lines == ["[2] Active users: 2019 31,720 − 2018 28,450 = 3,270 (+11.49%)"]
    zh = "| 项目 | 2020年 | 2019年 |\n| 营业收入 | 1,482,615,304.27 | 1,235,508,911.52 |"
    assert year_calculations(Query.parse("2019年到2020年营业收入增长了多少？"), [zh]) == [
        "[1] 营业收入: 2020 1,482,615,304.27 − 2019 1,235,508,911.52 = 247,106,392.75 (+20.00%)"
    ]


def test_a_rate_changes_by_percentage_points_not_by_a_percent_of_itself() -> None:
    rates = "| | 2023 | 2022 |\n|---|---|---|\n| Effective tax rate | 23.0% | 20.0% |"
    lines = year_calculations(
        Query.parse("How much did Zentrix's effective tax rate change from 2022 to 2023?"), [rates]
    )
    assert lines == ["[1] Effective tax rate: 2023 23% − 2022 20% = +3.00 percentage points"]
    zh = "| 项目 | 2023年 | 2022年 |\n|---|---|---|\n| 毛利率 | 35.10% | 38.45% |"
    assert year_calculations(Query.parse("2022年到2023年毛利率变化了多少？"), [zh]) == [
        "[1] 毛利率: 2023 35.1% − 2022 38.45% = -3.35个百分点"
    ]


def test_no_calculation_unless_a_change_between_years_is_asked() -> None:
    assert year_calculations(Query.parse("How many active users in 2019?"), [TABLE]) == []
    assert year_calculations(Query.parse("What is the change in active users?"), [TABLE]) == []


def test_a_figure_from_another_years_column_is_caught() -> None:
    from assistant.answer.calculate import wrong_year_figures
    from assistant.answer.query import Query
    from assistant.answer.verify import verify
    from assistant.core.records import Chunk, Evidence

    table = "（金额单位：人民币万元）\n项目 2023年 2022年 增减\n营业收入 16,842.57 12,306.18 36.86%"
    assert wrong_year_figures(["12306.18"], Query.parse("栖云智算2023年营业收入是多少？"), [table]) == [
        "12306.18"
    ]
    assert wrong_year_figures(["16842.57"], Query.parse("栖云智算2023年营业收入是多少？"), [table]) == []
    passages = [
        Evidence(chunk=Chunk(chunk_id="x", company="栖云智算", doc="ar.pdf", page=2, text=table), score=0.6)
    ]
    assert (
        "another year"
        in verify(
            "12,306.18万元 [1]", Query.parse("栖云智算2023年营业收入是多少？", "栖云智算"), passages
        ).problem
    )
    ok = verify("16,842.57 [1]", Query.parse("栖云智算2023年营业收入是多少？", "栖云智算"), passages)
    assert not ok.problem
