"""A qualification's standing decided in code from the documents' dates, as of today (fictional companies)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.answerer import Answerer
from assistant.answer.standing import asked_qualification
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat

SOON = (date.today() + timedelta(days=60)).strftime("%Y年%m月%d日")
LATER_DAY = date.today() + timedelta(days=900)
LATER = LATER_DAY.isoformat()
LATER_SHOWN = f"{LATER_DAY:%B} {LATER_DAY.day}, {LATER_DAY.year}"  # as an English answer writes a date


class Recording(FakeChat):
    asked: list[str] = []

    def _reply(self, messages: Any) -> str:
        type(self).asked.append(str(messages))
        return "NOT_IN_DOCUMENTS"


@pytest.fixture
def answerer(fake_services: Services, tmp_path: Path) -> Answerer:
    for company, text in (
        (
            "澄岳精工",
            "澄岳精工股份有限公司于2020年12月3日取得高新技术企业证书，证书编号为GR202033001234，"
            "该证书已于2023年12月2日到期，公司尚未取得新证书。\n公司主要产品为精密减速器。\n",
        ),
        (
            "星衡电子",
            f"星衡电子的高新技术企业证书编号为GR202444009876，有效期至{SOON}。\n公司主营功率模块。\n",
        ),
        (
            "Corvane",
            f"Corvane holds an ISO 9001 certificate, valid until {LATER}.\nCorvane makes lidar units.\n",
        ),
    ):
        folder = tmp_path / "docs" / company
        folder.mkdir(parents=True)
        (folder / "profile.txt").write_text(text, encoding="utf-8")
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    Recording.asked = []
    return Answerer(fake_services.store, lambda: Recording(), fake_services.settings, "test")


def test_an_expired_certificate_is_a_no_with_its_date_and_citation(answerer: Answerer) -> None:
    answer = answerer.ask("澄岳精工的高新技术企业证书目前是否仍在有效期内？")
    assert answer.path == "computed" and answer.answer.startswith("否。") and Recording.asked == []
    assert (
        "有效期至2023年12月2日" in answer.answer and "已过期" in answer.answer
    )  # a date as Chinese writes it
    assert len(answer.citations) == 1 and "2023年12月2日到期" in answer.citations[0].quote


def test_a_certificate_expiring_soon_and_one_valid_for_years(answerer: Answerer) -> None:
    soon = answerer.ask("星衡电子的高新技术企业资质还在有效期内吗？")
    assert soon.answer.startswith("是。") and "180天内到期" in soon.answer and Recording.asked == []
    valid = answerer.ask("Is Corvane's ISO 9001 certificate still valid?")
    assert valid.answer.startswith("Yes.") and LATER_SHOWN in valid.answer and "still valid" in valid.answer
    when = answerer.ask("When does Corvane's ISO 9001 certificate expire?")
    assert (
        when.path == "computed" and not when.answer.startswith(("Yes", "No")) and LATER_SHOWN in when.answer
    )


def test_other_questions_about_a_qualification_go_to_the_model(answerer: Answerer) -> None:
    assert (
        asked_qualification("澄岳精工的高新技术企业证书编号是多少？") is None
    )  # its number, not its standing
    assert asked_qualification("What does Corvane make?") is None
    answer = answerer.ask("Is Corvane a 高新技术企业 that is still valid?")  # no such certificate dated
    assert answer.path != "computed" and Recording.asked
