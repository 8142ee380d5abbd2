"""The strict scorer of profile fields against gold values (``benchmarks/profile_fields.py``); all figures,
names and quotes are invented."""

from __future__ import annotations

from decimal import Decimal

from assistant.core.records import Chunk, Citation
from assistant.evaluate import (
    FieldScore,
    evidence_verbatim,
    printed_decimals,
    score_field,
    tally,
    yuan_factor,
)
from assistant.profile.schema import FieldValue


def fv(
    value: int | float | str | None, unit: str | None = None, period: str | None = "2021", **more: object
) -> FieldValue:
    status = "unknown" if value is None else "found"
    return FieldValue(value=value, unit=unit, period=period, status=status, **more)  # type: ignore[arg-type]


def outcome(score: FieldScore) -> tuple[str, str]:
    return score.outcome, score.reason


def test_money_equals_the_gold_at_its_printed_precision_in_yuan() -> None:
    assert outcome(score_field("revenue", fv(412_337_905.46, "CNY"), 412_337_905.46, 2021)) == ("right", "")
    assert outcome(score_field("revenue", fv(412_337_905.456, "CNY"), 412_337_905.46, 2021)) == ("right", "")
    assert outcome(score_field("revenue", fv(412_337_905.47, "CNY"), 412_337_905.46, 2021)) == (
        "wrong",
        "value",
    )
    # printed without decimals: whole yuan
    assert score_field("revenue", fv(96_418_220, "CNY"), 96_418_220, 2021, decimals=0).outcome == "right"
    assert score_field("revenue", fv(96_418_221, "CNY"), 96_418_220, 2021, decimals=0).outcome == "wrong"


def test_money_units_are_converted_to_yuan_and_other_currencies_are_wrong() -> None:
    assert score_field("revenue", fv(41_233.790546, "万元"), 412_337_905.46, 2021).outcome == "right"
    assert score_field("revenue", fv(41_233.79, "万元"), 412_337_905.46, 2021).outcome == "wrong"
    assert outcome(score_field("revenue", fv(412_337_905.46, "USD"), 412_337_905.46, 2021)) == (
        "wrong",
        "unit",
    )
    assert outcome(score_field("revenue", fv(412_337_905.46, None), 412_337_905.46, 2021)) == (
        "wrong",
        "unit",
    )
    # a report printing 万元 with 2 decimals: the precision is 0.01万元 = 100 yuan
    assert score_field("revenue", fv(412_337_930, "CNY"), 412_337_900, 2021, 2, "万元").outcome == "right"
    assert score_field("revenue", fv(412_338_000, "CNY"), 412_337_900, 2021, 2, "万元").outcome == "wrong"
    assert yuan_factor("CNY") == 1 and yuan_factor("元") == 1 and yuan_factor("人民币千元") == 1000
    assert (
        yuan_factor("万元") == Decimal(10_000) and yuan_factor("美元") is None and yuan_factor(None) is None
    )


def test_sign_and_period() -> None:
    assert score_field("net_profit", fv(-18_204_561.37, "CNY"), -18_204_561.37, 2021).outcome == "right"
    assert outcome(score_field("net_profit", fv(18_204_561.37, "CNY"), -18_204_561.37, 2021)) == (
        "wrong",
        "sign",
    )
    prior = fv(356_120_448.20, "CNY", period="2020")
    assert outcome(score_field("revenue", prior, 356_120_448.20, 2021)) == ("wrong", "period")
    assert outcome(score_field("revenue", fv(1.0, "CNY", period=None), 1.0, 2021)) == ("wrong", "period")
    # identity fields have no period
    assert score_field("legal_representative", fv("林望舒", period=None), "林望舒", 2021).outcome == "right"


def test_missing_is_not_wrong() -> None:
    assert outcome(score_field("employees", None, 642, 2021)) == ("missing", "unknown")
    assert outcome(score_field("employees", fv(None), 642, 2021)) == ("missing", "unknown")
    scores = [
        score_field("employees", fv(642, "count"), 642, 2021),
        score_field("employees", fv(641, "count"), 642, 2021),
        score_field("rd_staff", fv(None), 57, 2021),
    ]
    assert tally(scores) == {"right": 1, "wrong": 1, "missing": 1}


def test_counts_exact_percentages_at_the_printed_decimals_and_text_without_white_space() -> None:
    assert score_field("employees", fv(642, "count"), 642, 2021).outcome == "right"
    assert score_field("employees", fv(642.4, "count"), 642, 2021).outcome == "wrong"
    assert score_field("rd_ratio", fv(10.23, "%"), 10.23, 2021, decimals=2).outcome == "right"
    assert score_field("rd_ratio", fv(10.2349, "%"), 10.23, 2021, decimals=2).outcome == "right"
    assert score_field("rd_ratio", fv(10.24, "%"), 10.23, 2021, decimals=2).outcome == "wrong"
    assert score_field("rd_ratio", fv(3.61, "%"), 3.6, 2021, decimals=1).outcome == "right"
    assert score_field("rd_ratio", fv(3.66, "%"), 3.6, 2021, decimals=1).outcome == "wrong"
    assert outcome(score_field("rd_ratio", fv(10.23, None), 10.23, 2021)) == ("wrong", "unit")
    assert score_field("legal_representative", fv("林 望舒", period=None), "林望舒").outcome == "right"
    assert outcome(score_field("legal_representative", fv("林望舒主", period=None), "林望舒")) == (
        "wrong",
        "value",
    )
    assert outcome(score_field("legal_representative", fv(12, period=None), "林望舒")) == ("wrong", "type")


def test_printed_decimals_come_from_the_evidence_line() -> None:
    assert printed_decimals(27.8, ["研发人员数量占比 27.80%"]) == 2
    assert printed_decimals(3.6, ["研发投入占营业收入比例 3.6%"]) == 1
    assert printed_decimals(96_418_220, ["营业收入（元） 96,418,220 88,301,477"]) == 0
    assert printed_decimals(-18_204_561.37, ["净利润 -18,204,561.37"]) == 2
    assert printed_decimals(412_337_900, ["营业收入 41,233.79 万元"], doc_unit="万元") == 2
    assert printed_decimals(642, ["员工 641 人"]) is None


def _chunk(text: str, page: int | None, doc: str = "report_2021.pdf") -> Chunk:
    return Chunk(chunk_id=f"c{page}", company="青岚微测", doc=doc, page=page, text=text)


def test_evidence_must_be_verbatim_in_a_stored_passage_of_its_page() -> None:
    chunks = [_chunk("五、公司员工情况\n| 在职员工的数量合计（人） | 642 |", 12), _chunk("其他内容", 13)]
    quote = "| 在职员工的数量合计（人） | 642 |"
    good = fv(642, "count", evidence=[Citation(doc="report_2021.pdf", page=12, quote=quote)])
    assert evidence_verbatim(good, chunks, paged=True)
    wrong_page = fv(642, "count", evidence=[Citation(doc="report_2021.pdf", page=13, quote=quote)])
    assert not evidence_verbatim(wrong_page, chunks, paged=True)
    no_page = fv(642, "count", evidence=[Citation(doc="report_2021.pdf", page=None, quote=quote)])
    assert not evidence_verbatim(no_page, chunks, paged=True)
    altered = fv(642, "count", evidence=[Citation(doc="report_2021.pdf", page=12, quote="在职员工合计 642")])
    assert not evidence_verbatim(altered, chunks, paged=True)
    assert not evidence_verbatim(fv(642, "count"), chunks, paged=True)
    text = [_chunk("公司的法定代表人 林望舒", None, doc="report_2021.txt")]
    cited = fv(
        "林望舒", evidence=[Citation(doc="report_2021.txt", page=None, quote="公司的法定代表人 林望舒")]
    )
    assert evidence_verbatim(cited, text, paged=False)
