"""Answers an analyst can paste: no repeated instructions, citations at the end of the sentence they support,
dates as the source prints them, and the kind of figure a question asks for (fictional companies)."""

from pathlib import Path

import pytest

from assistant.answer.extractive import extractive_answer
from assistant.answer.figure_checks import added_years, asked_kinds, wrong_kind_of_figure
from assistant.answer.pasteable import (
    cite_sentences,
    instruction_lines,
    markers_at_sentence_end,
    sentences,
    without_echo,
)
from assistant.answer.prompts import answer_prompt, system_text
from assistant.answer.query import Query
from assistant.answer.verify import verify
from assistant.core.records import Chunk, Evidence

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
QUESTION = (
    "What were Corvane's total current liabilities at the end of FY2023 (in USD thousands)? "
    "Base your judgments on the information provided primarily in the balance sheet."
)


def _passages(*texts: str) -> list[Evidence]:
    return [
        Evidence(chunk=Chunk(chunk_id=f"c{i}", company="Corvane", doc="c.md", text=t), score=1.0)
        for i, t in enumerate(texts)
    ]


def test_sentences_keep_a_marker_written_after_the_full_stop_with_its_sentence() -> None:
    assert sentences("营业收入3.2亿元。[1]净利润1亿元[2]。") == ["营业收入3.2亿元。[1]", "净利润1亿元[2]。"]
    assert sentences("Margin was 5.4% [1]. It fell.") == ["Margin was 5.4% [1].", " It fell."]


def test_an_answer_never_repeats_the_questions_instructions_or_the_prompts_rules() -> None:
    rules = system_text(answer_prompt(PROMPTS, "en"))
    lines = instruction_lines(QUESTION, rules)
    assert any("Base your judgments" in x for x in lines)
    echoed = "Total current liabilities were $4,210,377 thousand [1]; Base your judgments on the information provided"
    assert without_echo(echoed, lines) == "Total current liabilities were $4,210,377 thousand [1]."
    copied_rule = (
        "Revenue was $9.6 million [1]. Copy every number exactly as written in the passage, with its unit."
    )
    assert without_echo(copied_rule, lines) == "Revenue was $9.6 million [1]."
    # restating what is asked is not an echo; nor is an answer that only shares words with an instruction
    kept = "Corvane's total current liabilities at the end of FY2023 were $4,210,377 thousand [1]."
    assert without_echo(kept, lines) == kept
    assert without_echo("Yes.", lines) == "Yes."
    relevant = "The balance sheet is the primary source for this figure [1]."
    assert without_echo(relevant, lines) == relevant


def test_the_model_repeating_an_instruction_is_verified_without_it() -> None:
    passages = _passages("Total current liabilities | 4,210,377 | 3,902,114 |\n| Item | 2023 | 2022 |")
    query = Query.parse(QUESTION, "Corvane")
    raw = "Total current liabilities were $4,210,377 thousand [1]; Base your judgments on the information provided"
    draft = verify(raw, query, passages, prompt_text=system_text(answer_prompt(PROMPTS, "en")))
    assert "Base your" not in draft.text and "4,210,377" in draft.text


def test_citations_stand_at_the_end_of_the_sentence_they_support() -> None:
    assert markers_at_sentence_end("Revenue [1] was $5.4 million. Net loss was (1,234) [2].") == (
        "Revenue was $5.4 million [1]. Net loss was (1,234) [2]."
    )
    zh = "营业收入[1]为3.2亿元，净利润为1亿元[2]。"
    assert markers_at_sentence_end(zh) == "营业收入为3.2亿元，净利润为1亿元[1][2]。"
    en = "It was negative ($(1,234) thousand [1])"
    assert markers_at_sentence_end(en) == "It was negative ($(1,234) thousand) [1]"
    sources = ["Revenue 2023: $5.4 million", "Net loss 2023: (1,234)"]
    assert cite_sentences("Revenue was $5.4 million. Net loss was 1,234 thousand.", [1, 2], sources) == (
        "Revenue was $5.4 million [1]. Net loss was 1,234 thousand [2]."
    )
    assert cite_sentences("It designs lidar.", [2], sources) == "It designs lidar [2]."


def test_a_date_keeps_the_year_only_when_the_source_prints_it() -> None:
    passages = ["【晨报讯】3月18日消息，栖云智算完成B轮融资，投资方为远帆资本。"]
    assert added_years("2022年3月18日 [1]", passages) == ["2022"]
    assert added_years("3月18日 [1]", passages) == []
    assert added_years("March 18, 2022 [1]", ["On March 18 the round closed."]) == ["2022"]
    assert added_years("2022年3月18日", ["2022年3月18日，公司完成B轮融资。"]) == []
    query = Query.parse("栖云智算B轮融资的消息是哪天披露的？", "栖云智算")
    draft = verify("2022年3月18日 [1]", query, _passages(*passages))
    assert "give the date as the passage prints it" in draft.problem
    quote, cited = extractive_answer(query, _passages(*passages))
    assert "3月18日" in quote and cited == [1]  # "哪天" asks for a date, not for the word


@pytest.mark.parametrize(
    ("question", "answer", "wrong"),
    [
        (
            "What drove the change in Corvane's operating margin in 2023?",
            "Amortization of $1.2 million [1]",
            False,
        ),
        ("What was Corvane's operating margin in 2023?", "It was $1.2 million [1]", True),
        ("What was Corvane's operating margin in 2023?", "It was 6.4% [1]", False),
        ("栖云智算B轮融资是哪天宣布的？", "宣布金额为2亿元 [1]", True),
        ("栖云智算B轮融资是哪天宣布的？", "3月18日 [1]", False),
        ("毛利率下降的原因是什么？", "原材料成本上涨了12亿元 [1]", False),
    ],
)
def test_the_kind_of_figure_a_question_asks_for(question: str, answer: str, wrong: bool) -> None:
    assert wrong_kind_of_figure(answer, question) is wrong
    assert bool(asked_kinds(question)) is (question.startswith("What was") or "哪天" in question)


def test_an_age_must_be_stated_as_an_age() -> None:
    from assistant.answer.figure_checks import unstated_ages

    question = "How old is Corvane's CEO Mara Lindqvist?"
    passages = ["Mara Lindqvist has led Corvane for 3 years and grew sales 41%."]
    assert unstated_ages("Mara Lindqvist is 3 years old [1].", question, passages) == ["3"]
    assert unstated_ages("She is 52 years old [1].", question, ["Mara Lindqvist, aged 52, is the CEO."]) == []
    assert unstated_ages("周岚今年45岁 [1]", "周岚多大年纪？", ["周岚，女，45岁，硕士"]) == []
    draft = verify(
        "Mara Lindqvist is 3 years old [1].", Query.parse(question, "Corvane"), _passages(*passages)
    )
    assert "no passage states the age 3" in draft.problem


def test_an_answer_does_not_open_by_copying_the_question_back() -> None:
    question = "Was Corvane's adjusted EBITDA positive or negative in 2023, and what was it?"
    lines = instruction_lines(question)
    echoed = (
        "Was Corvane's adjusted EBITDA positive or negative in 2023; It was negative: $(4,118) thousand [1]."
    )
    assert without_echo(echoed, lines) == "It was negative: $(4,118) thousand [1]."
    restated = "Corvane's adjusted EBITDA in 2023 was negative: $(4,118) thousand [1]."
    assert without_echo(restated, lines) == restated  # a statement with its figure is the answer


def test_a_section_heading_is_never_quoted_as_an_answer() -> None:
    heading = "一、报告期内公司所从事的主要业务、经营模式及行业情况说明"
    passages = [
        Evidence(
            chunk=Chunk(chunk_id="h", company="澄岳精工", doc="r.pdf", text=f"{heading}\n（一）公司经营情况"),
            score=1.0,
        )
    ]
    assert extractive_answer(Query.parse("澄岳精工主要从事什么业务？", "澄岳精工"), passages) == ("", [])
    stated = "公司主要业务为工业传感器的研发、生产与销售。"
    passages[0] = Evidence(
        chunk=passages[0].chunk.model_copy(update={"text": f"{heading}\n{stated}"}), score=1.0
    )
    text, cited = extractive_answer(Query.parse("澄岳精工主要从事什么业务？", "澄岳精工"), passages)
    assert text == f"“{stated}” [1]" and cited == [1]
