"""Answer trust (issue 14): never another company's figure, every refusal with its reason (fictional data)."""

from pathlib import Path
from typing import Any

import pytest

from assistant.answer.answerer import Answerer
from assistant.core.services import Services
from assistant.ingest.companies.mentions import distinctive, question_mentions, same_legal_entity
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat


class Scripted(FakeChat):
    """Replies with a fixed text; counts its calls."""

    calls: int = 0
    reply: str = ""

    def _reply(self, messages: Any) -> str:
        type(self).calls += 1
        return self.reply


def _answerer(services: Services, reply: str) -> Answerer:
    Scripted.calls = 0
    llm = Scripted(reply=reply)
    return Answerer(services.store, lambda: llm, services.settings, "test")


@pytest.fixture
def store_docs(fake_services: Services, tmp_path: Path) -> Services:
    root = tmp_path / "docs"
    (root / "星河生物").mkdir(parents=True)
    (root / "Lumio Photonics").mkdir(parents=True)
    (root / "星河生物" / "news.md").write_text(
        "# 星河生物\n星河生物医药科技有限公司（以下简称生物股份）2023年实现营业收入8,652.30万元。\n",
        encoding="utf-8",
    )
    (root / "Lumio Photonics" / "notes.txt").write_text(
        "Lumio Photonics Inc. reported revenue of $12.4 million for fiscal 2023.\n", encoding="utf-8"
    )
    ingest_paths([root], fake_services.store, fake_services.settings)
    return fake_services


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("星河生物", True),
        ("Lumio", True),
        ("qhsw", True),
        ("生物", False),
        ("生物股份", False),
        ("科技股份", False),
        ("Photonics", False),
        ("Technology Group", False),
        ("杭州科技", False),
    ],
)
def test_only_a_distinctive_name_stands_for_a_company(name: str, expected: bool) -> None:
    assert distinctive(name) is expected


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("星海生物2023年营业收入是多少？", ["星海生物"]),
        ("请问星海储能的法定代表人是谁？", ["星海储能"]),
        ("深圳星海储能科技有限公司的营业收入是多少？", ["深圳星海储能科技有限公司"]),
        ("What was Zentrix Photonics' revenue in 2023?", ["Zentrix Photonics"]),
        ("What is Zentrix's net loss?", ["Zentrix"]),
        ("Who is the CEO of Zentrix Photonics Ltd.?", ["Zentrix Photonics Ltd."]),  # not "CEO of …"
        ("What does Bank of Qiyun Ltd. lend?", ["Bank of Qiyun Ltd."]),
        ("科技型中小企业的认定条件是什么？", []),
        ("高新技术企业证书什么时候到期？", []),
        ("公司的核心技术是什么？", []),
        ("What was the revenue in FY2023?", []),
        ("Photonics companies revenue 2023", []),
    ],
)
def test_the_names_a_question_gives(question: str, names: list[str]) -> None:
    assert [m.text for m in question_mentions(question)] == names


def test_an_unknown_company_sharing_a_word_is_refused_before_any_search(store_docs: Services) -> None:
    answerer = _answerer(store_docs, "营业收入8,652.30万元 [1]")
    for question, name in [
        ("星海生物2023年营业收入是多少？", "星海生物"),  # shares 生物 (and the alias 生物股份) with 星河生物
        ("What was Zentrix Photonics' revenue in 2023?", "Zentrix Photonics"),  # shares Photonics with Lumio
        ("Who is the CEO of Lumiox Photonics Inc.?", "Lumiox Photonics Inc."),  # Lumio is no whole word in it
    ]:
        answer = answerer.ask(question)
        assert answer.reason == "company_not_found" and answer.insufficient_evidence, answer
        assert name in answer.answer and answer.citations == [] and answer.searched == ""
        assert "8,652.30" not in answer.answer and "12.4" not in answer.answer
    assert Scripted.calls == 0


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("杭州星河生物医药科技有限公司", "星河生物医药科技有限公司", True),  # no place given
        ("星河生物有限公司", "星河生物医药科技有限公司", True),  # fewer industry words
        ("杭州星河生物医药科技有限公司", "杭州星河生物醫藥科技有限公司", True),  # Traditional script
        ("深圳星河数据科技有限公司", "星河生物医药科技有限公司", False),  # shares the alias 星河 only
        ("深圳星河生物医药科技有限公司", "杭州星河生物医药科技有限公司", False),  # another place
        ("Lumio Inc.", "Lumio Photonics Inc.", True),
        ("Shenzhen Lumio Photonics Co., Ltd.", "Lumio Photonics Inc.", True),
        ("Lumio Labs Inc.", "Lumio Photonics Inc.", False),
    ],
)
def test_two_legal_names_are_one_entity_only_with_the_same_distinctive_name(
    a: str, b: str, same: bool
) -> None:
    assert same_legal_entity(a, b) is same and same_legal_entity(b, a) is same


def test_a_legal_name_holding_a_known_alias_is_another_company(store_docs: Services) -> None:
    answerer = _answerer(store_docs, "营业收入8,652.30万元 [1]")
    other = answerer.ask("深圳星河数据科技有限公司2023年营业收入是多少？")  # holds the alias 星河
    assert other.reason == "company_not_found" and "深圳星河数据科技有限公司" in other.answer
    assert Scripted.calls == 0 and "8,652.30" not in other.answer
    same = answerer.ask("星河生物医药科技有限公司2023年营业收入是多少？")
    assert same.reason is None and same.company == "星河生物" and "8,652.30" in same.answer


def test_a_known_company_is_still_found_by_its_name(store_docs: Services) -> None:
    answer = _answerer(store_docs, "营业收入8,652.30万元 [1]").ask("星河生物2023年营业收入是多少？")
    assert answer.reason is None and answer.company == "星河生物" and answer.citations


def test_the_question_naming_another_company_than_the_selected_one_is_told(store_docs: Services) -> None:
    answerer = _answerer(store_docs, "$12.4 million [1]")
    answer = answerer.ask("星河生物2023年营业收入是多少？", company="Lumio Photonics")
    assert answer.reason == "company_mismatch" and answer.path == "needs_company"
    assert set(answer.candidates) == {"星河生物", "Lumio Photonics"} and answer.citations == []
    assert Scripted.calls == 0
    same = answerer.ask("What was Lumio Photonics' revenue in 2023?", company="Lumio Photonics")
    assert same.reason is None  # naming the selected company is no mismatch


def test_every_refusal_names_its_reason(store_docs: Services) -> None:
    answerer = _answerer(store_docs, "NOT_IN_DOCUMENTS")
    no_year = answerer.ask("星河生物2019年营业收入是多少？")
    assert no_year.reason == "period_not_covered" and "year" not in no_year.answer  # a Chinese sentence
    assert "年度" in no_year.answer
    declined = answerer.ask("星河生物的营业收入是多少？")
    assert declined.reason == "model_declined" and "模型" in declined.answer
    invented = _answerer(store_docs, "Revenue was $99.9 million [1].").ask(
        "What was Lumio Photonics' revenue?"
    )
    assert invented.reason == "verification_failed" or invented.path == "extractive", invented
    if invented.reason:
        assert "99.9" not in invented.answer  # an invented figure is never shown, even in a refusal
    nothing = _answerer(store_docs, "x").ask("How many employees does Lumio Photonics have in Antarctica?")
    assert nothing.reason in ("not_stated", "model_declined", "verification_failed")


def test_a_generic_alias_never_identifies_a_company(store_docs: Services) -> None:
    from assistant.answer.resolve import resolve

    store_docs.store.ledger.set_aliases("星河生物", ["星河生物", "生物股份", "生物"])
    assert resolve(store_docs.store, "生物股份2023年营业收入是多少？", None).named == []
    assert resolve(store_docs.store, "星河生物2023年营业收入是多少？", None).named == ["星河生物"]


def test_the_time_budget_starts_no_second_attempt(store_docs: Services) -> None:
    settings = store_docs.settings.model_copy(update={"answer_budget_s": 0.0})  # spent at the first token
    Scripted.calls = 0
    llm = Scripted(reply="Revenue was $99.9 million [1].")  # fails verification: no passage says 99.9
    answer = Answerer(store_docs.store, lambda: llm, settings, "test").ask(
        "What was Lumio Photonics' revenue?"
    )
    assert Scripted.calls == 1 and not answer.retried  # out of time: the quote or a refusal, at once
    assert answer.path == "extractive" or answer.reason == "time_budget", answer
    assert "99.9" not in answer.answer
    patient = Answerer(store_docs.store, lambda: llm, store_docs.settings, "test").ask(
        "Lumio Photonics revenue?"
    )
    assert Scripted.calls == 3 and patient.retried  # within the budget the model gets its second attempt


class Slow(Scripted):
    """Waits before its first token, as a model reading its passages does."""

    def _reply(self, messages: Any) -> str:
        import time

        time.sleep(0.3)
        return super()._reply(messages)


def test_a_second_attempt_starts_only_when_its_first_token_fits_the_budget(store_docs: Services) -> None:
    llm = Slow(reply="Revenue was $99.9 million [1].")  # fails verification; its first token takes 0.3 s
    Slow.calls = 0
    tight = store_docs.settings.model_copy(update={"answer_budget_s": 0.5})  # 0.3 s spent + 0.3 s ahead > 0.5
    answer = Answerer(store_docs.store, lambda: llm, tight, "test").ask("What was Lumio Photonics' revenue?")
    assert Slow.calls == 1 and not answer.retried and answer.latency_s < 0.5 + 0.2
    roomy = store_docs.settings.model_copy(update={"answer_budget_s": 5.0})
    Answerer(store_docs.store, lambda: llm, roomy, "test").ask("What was Lumio Photonics' revenue?")
    assert Slow.calls == 3  # with room for it, the second attempt runs
