"""Role discipline: who holds a role is answered only from a passage that states it (fictional passages)."""

from pathlib import Path
from typing import Any

import pytest

from assistant.answer.answerer import Answerer
from assistant.answer.roles import ROLES, answer_names, asked_role, quote_states_role, states_role
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat

LEAD = ROLES[0]
ZH = "本轮融资由星罗资本领投，老股东澄湖创投跟投，华亭资本担任本轮独家财务顾问。"
EN = (
    "Corvane said it had closed a $25 million Series B funding round led by\n"
    "Aldgate Growth Partners. Existing investor Fenbridge Capital also took part in the round."
)
TABLE = (
    "| 轮次 | 时间 | 金额 | 领投方 |\n|---|---|---|---|\n| 天使轮 | 2019年5月 | 800万元 | 庐州天使基金 |\n"
    "| A轮 | 2021年8月 | 6,000万元 | 皖江资本 |"
)


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("铖泰精密A轮融资由谁领投？", "lead investor"),
        ("Who led Corvane's Series B round?", "lead investor"),
        ("A轮的财务顾问是哪家机构？", "financial advisor"),
        ("Who is Corvane's CEO?", "chief executive"),
        ("星河科技的法定代表人是谁？", "legal representative"),
        ("星河科技2023年营业收入是多少？", None),
    ],
)
def test_the_role_a_question_asks(question: str, role: str | None) -> None:
    found = asked_role(question)
    assert (found.name if found else None) == role


def test_a_role_is_stated_for_a_name_in_one_clause_or_row_and_for_the_round_asked() -> None:
    assert states_role(LEAD, "星罗资本", [ZH], None)
    assert not states_role(LEAD, "澄湖创投", [ZH], None)  # followed, in the next clause
    assert states_role(LEAD, "Aldgate Growth Partners", [EN], "series b")  # across a wrapped line
    assert not states_role(LEAD, "Fenbridge Capital", [EN], "series b")
    assert not states_role(LEAD, "Aldgate Growth Partners", [EN], "series a")  # another round
    assert states_role(LEAD, "皖江资本", [TABLE], "a轮")  # a row under a header that names the role
    assert not states_role(LEAD, "皖江资本", [TABLE], "天使轮")
    history = "2019年6月，公司完成A轮融资，金额5,000万元，由青禾创投领投。\n2022年9月，完成B轮融资，由远川资本领投。"
    assert states_role(LEAD, "青禾创投", [history], "a轮") and not states_role(
        LEAD, "青禾创投", [history], "b轮"
    )
    assert states_role(LEAD, "远川资本", [history], "b轮")  # the clause is about the round its sentence names
    plus = (
        "公司宣布完成8,000万元B+轮融资，\n本轮由锦江产业基金领投。这是公司继2021年完成B轮融资后的又一轮融资。"
    )
    assert not states_role(LEAD, "锦江产业基金", [plus], "b轮") and states_role(
        LEAD, "锦江产业基金", [plus], "b+轮"
    )
    assert quote_states_role("A轮由谁领投？", history) and not quote_states_role("C轮由谁领投？", history)
    assert quote_states_role("营业收入是多少？", "营业收入8,652.30万元")  # no role asked
    rows = "“| Date | Round | Lead investor | … | 2020-03 | Seed | Pecan Ventures | 2022-04 | Series A | Aldgate |” [1]"
    assert quote_states_role("Who led the Series A?", rows) and not quote_states_role(
        "Who led the Series C?", rows
    )
    assert answer_names("本轮由星罗资本领投 [1]", [ZH]) == ["由星罗资本"]
    assert answer_names("It was led by Aldgate Growth Partners.", [EN], "Corvane") == [
        "Aldgate Growth Partners"
    ]


class Scripted(FakeChat):
    reply: str = ""

    def _reply(self, messages: Any) -> str:
        return self.reply


def test_an_investor_the_article_lists_is_never_given_as_its_lead(
    fake_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "docs" / "Corvane"
    folder.mkdir(parents=True)
    (folder / "news.txt").write_text(
        "Corvane Robotics closed a $12 million Series A round in 2022. Fenbridge Capital and Pecan Street "
        "Ventures invested in the round.\n",
        encoding="utf-8",
    )
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    llm = Scripted(reply="The Series A was led by Fenbridge Capital [1].")
    answer = Answerer(fake_services.store, lambda: llm, fake_services.settings, "t").ask(
        "Who led Corvane's Series A?"
    )
    assert answer.insufficient_evidence and answer.reason == "not_stated", answer
    assert "Fenbridge" not in answer.answer and "no one in the role" in answer.answer
    stated = (folder / "news.txt").read_text(encoding="utf-8") + "The round was led by Fenbridge Capital.\n"
    (folder / "news.txt").write_text(stated, encoding="utf-8")
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    answered = Answerer(fake_services.store, lambda: llm, fake_services.settings, "t").ask(
        "Who led Corvane's Series A?"
    )
    assert answered.reason is None and "Fenbridge Capital" in answered.answer


def test_the_quote_for_a_round_states_that_rounds_lead_when_the_model_names_another(
    fake_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "docs" / "星河科技"
    folder.mkdir(parents=True)
    (folder / "annual_report_2023.md").write_text(
        "# 星河科技\n## 融资历程\n2019年6月，公司完成A轮融资，融资金额5,000万元，由澄湖资本领投。\n"
        "2022年9月，公司完成B轮融资，融资金额1.2亿元，由远航创投领投。\n",
        encoding="utf-8",
    )
    ingest_paths([tmp_path / "docs"], fake_services.store, fake_services.settings)
    llm = Scripted(reply="澄湖资本 [1]")  # the A round's lead, twice: fails, then the quote answers
    answer = Answerer(fake_services.store, lambda: llm, fake_services.settings, "t").ask(
        "星河科技的B轮融资由哪家机构领投？"
    )
    assert answer.path == "extractive" and "远航创投领投" in answer.answer and "澄湖资本" not in answer.answer
