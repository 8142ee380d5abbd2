"""The analysed question (``Query``): built once per ask, and the only place the question is tokenised."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.query import Query, asks_yes_no, checked_question, question_parts
from assistant.core.errors import InputError
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat
from assistant.store import keywords


def test_a_query_holds_every_reading_of_the_question() -> None:
    query = Query.parse("星河科技2022年和2023年的速动比率是多少？", "星河科技", ["星河科技"])
    assert query.language == "zh" and query.years == ("2022", "2023")
    assert query.company == "星河科技" and query.candidates == ("星河科技",)
    assert query.tokens == tuple(keywords.tokenize(query.text))
    assert "货币资金" in query.expansions and "货币" in query.expansion_tokens
    assert query.company_tokens == frozenset(keywords.tokenize("星河科技"))
    en = Query.parse("When was Corvane founded, and who leads it?")
    assert en.language == "en" and en.company is None and en.years == () and en.expansions == ""
    assert en.parts == ("When was Corvane founded", "who leads it")


def test_a_question_that_asks_yes_or_no_and_one_that_asks_which() -> None:
    assert Query.parse("Did Corvane report customer concentration in FY23?").yes_no
    assert asks_yes_no("澄岳科技的高新技术企业证书目前是否仍在有效期内？")
    assert asks_yes_no("澄岳科技有专精特新资质吗？")
    assert not asks_yes_no("Was Corvane's adjusted EBITDA positive or negative in 2023?")  # asks which
    assert not asks_yes_no("澄岳科技是原告还是被告？")
    assert not asks_yes_no("What drove Corvane's revenue change in 2023?")


def test_traditional_script_is_simplified() -> None:
    query = Query.parse("棲雲智算2023年營業收入是多少？")
    assert query.simplified == "栖云智算2023年营业收入是多少？"
    assert "营业" in query.tokens


def test_key_terms_leave_out_question_words_and_the_company() -> None:
    query = Query.parse("星河科技拥有多少项发明专利？", "星河科技")
    assert "多少" not in query.key_terms() and "发明" in query.key_terms()
    assert not query.company_tokens & query.key_terms()
    assert query.company_tokens <= query.key_terms(keep_company=True) | query.company_tokens
    assert all(len(t) >= 2 for t in query.key_terms(min_len=2))


def test_question_parts_and_checks() -> None:
    assert question_parts("A轮融资金额是多少？由谁领投？") == ["A轮融资金额是多少", "由谁领投"]
    assert question_parts("What is Corvane's revenue?") == ["What is Corvane's revenue"]
    assert checked_question("  revenue?  ", 100) == "revenue?"
    with pytest.raises(InputError, match="empty"):
        checked_question(" ?! ", 100)
    with pytest.raises(InputError, match="limit is 5"):
        checked_question("revenue?", 5)


class _Inventing(FakeChat):
    """Invents a figure, so one ask goes through both attempts, the deeper checks and the extractive quote."""

    def _reply(self, messages: Any) -> str:
        return "营业收入9,999.99万元，研发投入1,021.5万元 [1]"


@pytest.mark.parametrize("reply", ["fake", "inventing"])
def test_one_ask_tokenises_its_question_once(
    fake_services: Services, docs: Path, monkeypatch: pytest.MonkeyPatch, reply: str
) -> None:
    from assistant.answer.answerer import Answerer

    ingest_paths([docs], fake_services.store, fake_services.settings)
    llm = FakeChat() if reply == "fake" else _Inventing()
    answerer = Answerer(fake_services.store, lambda: llm, fake_services.settings, reply)
    jieba = keywords._jieba()
    segment = jieba.lcut_for_search
    seen: Counter[str] = Counter()

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        seen[text] += 1
        return segment(text, *args, **kwargs)

    monkeypatch.setattr(jieba, "lcut_for_search", counting)
    question = "星河科技2023年营业收入同比增长了多少？"  # no 2022 figure to compute it from: the model reads
    answer = answerer.ask(question)
    assert answer.path == ("verified" if reply == "fake" else "extractive")
    assert seen[keywords.index_text(question).lower()] == 1  # passages and names are tokenised separately
    assert sum(seen.values()) > 1
