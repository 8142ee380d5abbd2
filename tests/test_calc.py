from assistant.calc import year_calculations

TABLE = (
    "| 2019 | 2018 | 2017 |\n| (in thousands) |\nDevices sold | 15,988 | 13,939 | 15,343\n"
    "Active users | 29,566 | 27,627 | 25,367\n"
)


def test_differences_between_the_years_asked_for_the_rows_asked() -> None:
    lines = year_calculations("What is the change in active users between 2018 and 2019 (in thousands)?", ["x", TABLE])
    assert lines == ["[2] Active users: 2019 29,566 − 2018 27,627 = 1,939 (+7.02%)"]
    zh = "| 项目 | 2020年 | 2019年 |\n| 营业收入 | 1,581,905,632.48 | 1,126,782,253.35 |"
    assert year_calculations("2019年到2020年营业收入增长了多少？", [zh]) == [
        "[1] 营业收入: 2020 1,581,905,632.48 − 2019 1,126,782,253.35 = 455,123,379.13 (+40.39%)"
    ]


def test_no_calculation_unless_a_change_between_years_is_asked() -> None:
    assert year_calculations("How many active users in 2019?", [TABLE]) == []
    assert year_calculations("What is the change in active users?", [TABLE]) == []
