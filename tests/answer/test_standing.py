"""A qualification's standing decided in code from the documents' dates, as of today (fictional companies)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from assistant.answer.answerer import Answerer
from assistant.answer.standing import asked_qualification

SOON = (date.today() + timedelta(days=60)).strftime("%Y年%m月%d日")
LATER_DAY = date.today() + timedelta(days=900)
LATER = LATER_DAY.isoformat()
LATER_SHOWN = f"{LATER_DAY:%B} {LATER_DAY.day}, {LATER_DAY.year}"  # as an English answer writes a date


@pytest.fixture
def answerer(answerer_over: Callable[[dict[str, str]], Answerer]) -> Answerer:
    return answerer_over(
        {
            "澄岳精工/profile.txt": (
                "澄岳精工股份有限公司于2020年12月3日取得高新技术企业证书，证书编号为GR202033001234，"
                "该证书已于2023年12月2日到期，公司尚未取得新证书。\n公司主要产品为精密减速器。\n"
            ),
            "星衡电子/profile.txt": (
                f"星衡电子的高新技术企业证书编号为GR202444009876，有效期至{SOON}。\n公司主营功率模块。\n"
            ),
            "Corvane/profile.txt": (
                f"Corvane holds an ISO 9001 certificate, valid until {LATER}.\nCorvane makes lidar units.\n"
            ),
        }
    )


def test_an_expired_certificate_is_a_no_with_its_date_and_citation(
    answerer: Answerer, asked: list[str]
) -> None:
    answer = answerer.ask("澄岳精工的高新技术企业证书目前是否仍在有效期内？")
    assert answer.path == "computed" and answer.answer.startswith("否。") and asked == []
    assert (
        "有效期至2023年12月2日" in answer.answer and "已过期" in answer.answer
    )  # a date as Chinese writes it
    assert len(answer.citations) == 1 and "2023年12月2日到期" in answer.citations[0].quote


def test_a_certificate_expiring_soon_and_one_valid_for_years(answerer: Answerer, asked: list[str]) -> None:
    soon = answerer.ask("星衡电子的高新技术企业资质还在有效期内吗？")
    assert soon.answer.startswith("是。") and "180天内到期" in soon.answer and asked == []
    valid = answerer.ask("Is Corvane's ISO 9001 certificate still valid?")
    assert valid.answer.startswith("Yes.") and LATER_SHOWN in valid.answer and "still valid" in valid.answer
    when = answerer.ask("When does Corvane's ISO 9001 certificate expire?")
    assert (
        when.path == "computed" and not when.answer.startswith(("Yes", "No")) and LATER_SHOWN in when.answer
    )


def test_other_questions_about_a_qualification_go_to_the_model(answerer: Answerer, asked: list[str]) -> None:
    assert (
        asked_qualification("澄岳精工的高新技术企业证书编号是多少？") is None
    )  # its number, not its standing
    assert asked_qualification("What does Corvane make?") is None
    answer = answerer.ask("Is Corvane a 高新技术企业 that is still valid?")  # no such certificate dated
    assert answer.path != "computed" and asked
