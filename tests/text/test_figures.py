"""The one figure parser: amounts, percentages, counts, numbers with units and floats for verification.

All figures are fictional."""

from __future__ import annotations

from decimal import Decimal

from assistant.text.dates import add_years, dates
from assistant.text.figures import (
    cell_number,
    covers,
    en_money,
    is_bare_percent,
    percents,
    plain,
    quantities,
    same,
    to_decimal,
    unit_figures,
    zh_counts,
    zh_money,
)


def test_amounts_units_and_counts() -> None:
    (m,) = zh_money("营业收入16,842.57万元")
    assert m.value == Decimal("168425700") and m.currency == "CNY" and m.number == "16,842.57"
    assert m.tolerance == Decimal(50)  # half of the last printed digit, 0.01万元
    assert zh_money("融资1.2亿元")[0].value == Decimal("120000000")
    assert zh_money("面积约1.8万平方米") == []  # 万 before a measure word is not money
    assert zh_money("亏损负1,200.5万元")[0].value == Decimal("-12005000")
    (usd,) = en_money("revenue was $18,742 thousand in 2023")
    assert usd.value == Decimal("18742000") and usd.currency == "USD"
    assert en_money("a net loss of ($3.2 million)")[0].value == Decimal("-3200000")
    assert en_money("$(193,363)", Decimal(1000))[0].value == Decimal(
        "-193363000"
    )  # a sign before the bracket
    assert en_money("HK$5m raised")[0].currency == "HKD" and en_money("HK$5m raised")[0].value == 5_000_000
    assert zh_counts("研发人员112人")[0].value == 112
    assert zh_counts("软件著作权70余项") == []  # "70-odd" is no count
    assert zh_counts("共计412.60万元") == [] and zh_counts("型号A12项") == []


def test_percentages_in_every_spelling_and_points_apart() -> None:
    assert percents("占比 0 %")[0].value == 0
    assert [(p.kind, p.value) for p in percents("毛利率为41.3％，提高2.5个百分点")] == [
        ("percent", Decimal("41.3")),
        ("points", Decimal("2.5")),
    ]
    assert [
        (p.kind, p.value)
        for p in percents("margin was 3.5 percent, or 12 per cent; up 1.5 percentage points")
    ] == [
        ("percent", Decimal("3.5")),
        ("percent", Decimal("12")),
        ("points", Decimal("1.5")),
    ]
    assert percents("下降-4.2%")[0].value == Decimal("-4.2")
    assert percents("a percentage of 7") == []


def test_qualifiers_are_recorded() -> None:
    approx = zh_money("约1.9亿元")[0]
    assert approx.approx and not approx.bound and approx.qualifier == "约"
    over = zh_money("合同金额超过3,000万元")[0]
    assert over.approx and over.bound and over.qualifier == "超过"
    (odd,) = percents("增长30%以上")
    assert odd.bound and odd.qualifier == "以上"
    (nearly,) = quantities("nearly $4.5 million")
    assert nearly.qualifier == "nearly" and nearly.value == 4_500_000
    exact = zh_money("营业收入9,876.45万元")[0]
    assert not exact.approx and not exact.bound and exact.qualifier is None


def test_decimal_helpers() -> None:
    assert to_decimal("16,842.57") == Decimal("16842.57") and to_decimal("1，234") == Decimal(1234)
    assert to_decimal("n/a") is None
    assert plain(Decimal("120000000")) == 120_000_000 and plain(Decimal("13.0900")) == 13.09
    neg = cell_number("(3,218)", Decimal(1000))
    assert neg is not None and neg.value == Decimal(-3_218_000) and neg.tolerance == Decimal(500)
    assert cell_number("−5.25") is not None and cell_number("3.5万") is None


def test_unit_figures_cover_the_units_answers_compare() -> None:
    text = "董事长41岁，持股12.5％，研发投入3,157.20万元，拥有授权专利36项、员工208人，增长2个百分点"
    found = unit_figures(text)
    assert [(f.number, f.unit) for f in found] == [
        ("41", "岁"),
        ("12.5", "%"),
        ("3,157.20", "万元"),
        ("36", "项"),
        ("208", "人"),
        ("2", "个百分点"),
    ]
    wan = found[2]
    assert wan.value == Decimal("31572000") and wan.start == text.index("3,157.20") and wan.currency == "CNY"
    english = unit_figures(
        "It had 212 employees, 18 patents and $4.5 million in revenue, up 7 percent in 3 years"
    )
    assert [(f.number, f.unit, f.value) for f in english] == [
        ("212", "employees", Decimal(212)),
        ("18", "patents", Decimal(18)),
        ("4.5", "million", Decimal(4_500_000)),
        ("7", "%", Decimal(7)),
        ("3", "years", Decimal(3)),
    ]
    for unit in ("亿元", "千元", "元", "家", "个", "台", "倍", "年", "billion", "thousand"):
        (f,) = unit_figures(f"共 1,200 {unit}")
        assert f.unit == unit and f.number == "1,200"
    assert unit_figures("5 millionaires") == []


def test_scale_words_are_applied() -> None:
    values = [q.value for q in quantities("营收1.57亿，研发3,157.20万元，$8.1 million, 3,270 thousand")]
    assert values == [157_000_000, 31_572_000, 8_100_000, 3_270_000]
    (pct,) = quantities("占比13.09%")
    assert pct.percent and pct.value == 13.09 and not pct.points
    (spelled,) = quantities("a margin of 3.5 per cent")
    assert spelled.percent and spelled.value == 3.5
    (points,) = quantities("提高1.2个百分点")
    assert points.percent and points.points


def test_signs_of_quantities() -> None:
    assert [q.value for q in quantities("净亏损(3,218)，同比负12.5%，下降−7")] == [-3218, -12.5, -7]
    (yuan,) = quantities("31,572,004.18元")
    assert same(quantities("-31,572,004.18")[0], yuan)  # signs are ignored when comparing


def test_a_rounded_figure_covers_its_source_but_not_the_reverse() -> None:
    (wan,) = quantities("3,157.20万元")
    (yuan,) = quantities("31,572,004.18元")
    assert covers(wan, yuan) and not covers(yuan, wan)
    assert same(wan, yuan)


def test_dates() -> None:
    assert [
        d.iso for d in dates("成立于2017年4月18日，2024年5月；Founded: March 14, 2016; 9 November 2015")
    ] == ["2017-04-18", "2024-05", "2016-03-14", "2015-11-09"]
    (month,) = dates("2024-02")
    assert month.as_date(end_of_period=True).isoformat() == "2024-02-29"
    assert add_years(month.as_date(end_of_period=True), 1).isoformat() == "2025-02-28"


def test_a_bare_percentage_is_one_figure_with_its_sign() -> None:
    for text in ("13.09%", "-2.1 ％", " 41.3% ", "−0.5%"):
        assert is_bare_percent(text), text
    for text in ("约13.09%", "13.09", "13.09% (2023)", "3.5 percent", "%"):
        assert not is_bare_percent(text), text
