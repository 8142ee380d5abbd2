"""Verification of a model's text: citations, figures, claims, and the verify → retry → fallback path
(fictional companies and figures)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.answer.citations import cited_numbers, parse_citations, renumbered, says_not_found
from assistant.answer.claims import attribute_claims
from assistant.answer.figure_checks import (
    better_figure_nearby,
    off_topic_numbers,
    unit_mismatches,
    unsupported_numbers,
    wrong_kind_of_figure,
)
from assistant.answer.query import Query
from assistant.answer.verify import RETRY, Draft, join_parts, run_path, verify, verify_retry_fallback
from assistant.core.records import Chunk, Evidence


def _asked(question: str) -> tuple[str, ...]:
    return Query.parse(question).tokens


def _passages(*texts: str) -> list[Evidence]:
    return [
        Evidence(
            chunk=Chunk(chunk_id=f"c{n}", company="Corvane", doc=f"d{n}.txt", page=None, text=t), score=0.5
        )
        for n, t in enumerate(texts, start=1)
    ]


def test_parse_citations_keeps_only_given_passages() -> None:
    text, cited = parse_citations("Revenue was $12.4 million [2][7], up 31% 【1】 [1, 9].", 3)
    assert cited == [2, 1]
    assert "[7]" not in text and "[9]" not in text
    assert text == "Revenue was $12.4 million [2], up 31% [1] [1]."
    assert parse_citations("研发费用为2,104.18万元 [n]", 2) == ("研发费用为2,104.18万元", [])


def test_unsupported_numbers_catches_a_fabricated_figure() -> None:
    passages = ["2023年，公司实现营业收入8,652.30万元，同比增长31.2%。"]
    assert unsupported_numbers("营业收入8,652.30万元 [1]", passages) == []
    assert unsupported_numbers("营业收入8652.30万元，增长31.2% [1]", passages) == []
    assert unsupported_numbers("营业收入9,500万元 [1]", passages) == ["9500"]


def test_attribute_claims_by_numbers() -> None:
    passages = ["Revenue was $5,106 thousand in 2023.", "R&D was $4,388 thousand in 2022."]
    assert attribute_claims("$4,388 thousand [1]", (), passages) == [2]
    assert attribute_claims("$4,388 and $5,106", (), passages) == [1, 2]
    assert attribute_claims("$9,999 thousand", (), passages) == []
    assert attribute_claims("no numbers here", (), passages) == []


def test_attribute_claims_for_answers_without_numbers() -> None:
    passages = ["The CEO is Anika Sorensen.", "Elena Voss, CFO since 2022.", "B轮融资由远帆资本领投。"]
    assert attribute_claims("Elena Voss [n]", _asked("Who is the CFO?"), passages) == [2]
    assert attribute_claims("远帆资本领投", _asked("B轮融资由哪家机构领投？"), passages) == [3]
    assert attribute_claims("John Smith", _asked("Who is the CFO?"), passages) == []


def test_number_from_an_unrelated_line_is_caught() -> None:
    passage = "公司法定代表人为顾岩松。\n研发人员占员工总数的41.25%。\n2023年营业收入为8,652.30万元。"
    assert off_topic_numbers(
        "41.25% [1]", Query.parse("铖泰精密的法定代表人顾岩松今年多大年纪？", "铖泰精密"), [passage]
    ) == ["41.25"]
    assert (
        off_topic_numbers(
            "8,652.30万元 [1]", Query.parse("铖泰精密2023年营业收入是多少？", "铖泰精密"), [passage]
        )
        == []
    )
    table = "| 指标 | 2022年 | 2023年 |\n| 营业收入（万元） | 9,831.65 | 13,745.28 |"
    assert off_topic_numbers("13,745.28万元", Query.parse("What is 营业收入 in 2023?", None), [table]) == []


def test_unit_changed_by_the_model_is_caught() -> None:
    passage = "法定代表人顾岩松持有公司41.25%的股权。研发人员112人。"
    assert unit_mismatches("41.25岁 [1]", [passage]) == ["41.25岁"]
    assert unit_mismatches("持股41.25% [1]，研发人员112人", [passage]) == []
    assert unit_mismatches("Revenue was 27.6 million", ["Revenue 27.6 22.3", "$27.6 million"]) == []


def test_figure_of_the_wrong_kind_is_caught() -> None:
    assert wrong_kind_of_figure("41.25% [1]", "铖泰精密的法定代表人顾岩松今年多大年纪？")
    assert not wrong_kind_of_figure("52岁 [1]", "法定代表人今年多大年纪？")
    assert wrong_kind_of_figure("2,104.18万元 [1]", "2023年研发投入占营业收入的比例是多少？")
    assert not wrong_kind_of_figure("12.49% [1]", "2023年研发投入占营业收入的比例是多少？")
    assert not wrong_kind_of_figure("2,104.18万元 [1]", "2023年研发费用是多少？")
    assert not wrong_kind_of_figure("Elena Voss [1]", "How old is the CFO?")


def test_neighbouring_figure_with_a_better_label_is_caught() -> None:
    passage = "截至2023年12月31日，公司共拥有授权专利42项，\n其中发明专利14项、实用新型专利23项。"
    q = "栖云智算拥有多少项发明专利？"
    assert better_figure_nearby("42项 [1]", Query.parse(q, "栖云智算"), [passage]) == ["42项"]
    assert better_figure_nearby("14项 [1]", Query.parse(q, "栖云智算"), [passage]) == []
    assert (
        better_figure_nearby("42项 [1]", Query.parse("栖云智算共拥有多少项授权专利？", "栖云智算"), [passage])
        == []
    )
    en = "Revenue for 2023 was $27.6 million, up 23.8% from $22.3 million in 2022."
    assert better_figure_nearby("$27.6 million", Query.parse("What was revenue in 2023?", None), [en]) == []


def test_a_bare_neighbouring_figure_is_caught_too() -> None:
    passage = "截至2023年12月31日，公司共拥有授权专利42项，\n其中发明专利14项、实用新型专利23项。"
    assert better_figure_nearby(
        "42 [1]", Query.parse("栖云智算拥有多少项发明专利？", "栖云智算"), [passage]
    ) == ["42项"]
    assert (
        better_figure_nearby("14 [1]", Query.parse("栖云智算拥有多少项发明专利？", "栖云智算"), [passage])
        == []
    )


def test_citation_markers_are_read_moved_and_renumbered() -> None:
    assert cited_numbers("营收[3]，净利润【1，3】[2]") == [3, 1, 2]
    assert renumbered("A [3] and B [1][3]", [3, 1]) == "A [1] and B [2][1]"
    assert says_not_found("not in documents") and says_not_found("NOT_IN_DOCUMENTS")
    assert not says_not_found("The figure is not in the table [1]")


def test_strict_numbers_accept_only_whole_figures_of_a_source() -> None:
    passages = ["Corvane revenue: $12,345 thousand [7]"]
    # answers accept a figure written inside a longer one of a passage; summaries (strict) do not
    assert unsupported_numbers("It rose by 234 [1]", passages) == []
    assert unsupported_numbers("It rose by 234 [1]", passages, strict=True) == ["234"]
    assert unsupported_numbers("It rose by 345 and 12,345 [1]", passages, strict=True) == ["345"]
    # both accept a rounded figure after unit normalisation
    assert unsupported_numbers("$12.3 million", passages, strict=True) == []


def test_join_parts_keeps_list_numbers_out_of_the_figures() -> None:
    assert join_parts("1. 2013 2. Harry Lin") == "2013; Harry Lin"
    assert join_parts("1、成立于2016年 2、周岚") == "成立于2016年；周岚"
    assert join_parts("Revenue was $4.2 million [1].") == "Revenue was $4.2 million [1]."


def test_verify_takes_the_analysed_question() -> None:
    passages = _passages(
        "Corvane Ltd. was founded in 2011 in Leeds.",
        "Corvane revenue in 2023 was $18.4 million, up from $15.0 million in 2022.",
    )
    query = Query.parse("What was Corvane's revenue in 2023?", "Corvane")
    ok = verify("Revenue was $18.4 million [2].", query, passages)
    assert not ok.problem and ok.cited == [2]
    repaired = verify("Revenue was $18.4 million [1].", query, passages)  # wrong [n]: repaired
    assert (
        not repaired.problem and repaired.cited == [2] and repaired.text == "Revenue was $18.4 million [2]."
    )
    invented = verify("Revenue was $19.9 million [2].", query, passages)
    assert "19.9" in invented.problem and not invented.declined
    declined = verify("NOT_IN_DOCUMENTS", query, passages)
    assert declined.declined and declined.problem


def test_a_yes_or_no_needs_the_fact_that_decides_it() -> None:
    passages = _passages(
        "In May 2023, Kestrel Labs filed a patent lawsuit against the Company. The Company is the defendant.",
        "One distributor accounted for 31% of Corvane's net revenue in 2023.",
    )
    plaintiff = Query.parse("Is Corvane the plaintiff in the lawsuit brought by Kestrel Labs?", "Corvane")
    echoed = verify(
        "Yes, Corvane is the plaintiff in the lawsuit brought by Kestrel Labs [1].", plaintiff, passages
    )
    assert "restates the question" in echoed.problem  # only the question's words: no evidence
    assert "restates the question" in verify("Yes [1].", plaintiff, passages).problem
    stated = verify("No, the Company is the defendant [1].", plaintiff, passages)
    assert not stated.problem and stated.cited == [1]
    concentration = Query.parse("Did Corvane report customer concentration in 2023?", "Corvane")
    ok = verify("Yes, one distributor accounted for 31% of net revenue [2].", concentration, passages)
    assert not ok.problem and ok.cited == [2]
    echoed_verdict = verify(
        "Yes, Corvane reported customer concentration in 2023. One distributor accounted for 31% of net revenue [2].",
        concentration,
        passages,
    )  # the sentence repeating the question is dropped, its verdict kept
    assert not echoed_verdict.problem and echoed_verdict.text.startswith(
        "Yes. One distributor accounted for 31%"
    )
    unstated = verify("One distributor accounted for 31% of net revenue [2].", concentration, passages)
    assert "begin with Yes or No" in unstated.problem  # the fact without the verdict asked for
    zh = _passages("澄岳科技的高新技术企业证书已于2023年12月2日到期。")
    bare = verify("否[1]。", Query.parse("澄岳科技的高新技术企业证书是否仍在有效期内？", "澄岳科技"), zh)
    assert "restates the question" in bare.problem


def _path(replies: list[str], verdicts: dict[str, Draft], fallback: Draft) -> tuple[list[object], list[str]]:
    """Run the path with scripted replies; returns what it yielded and the problems each write was given."""
    given: list[str] = []
    it = iter(replies)

    def write(problem: str) -> Iterator[str]:
        given.append(problem)
        yield from re.findall(r"\S+\s*", next(it))

    steps = verify_retry_fallback(write, lambda raw: verdicts[raw], lambda: fallback)
    pieces: list[object] = []
    while True:
        try:
            pieces.append(next(steps))
        except StopIteration as end:
            pieces.append(end.value)
            return pieces, given


def test_the_path_stops_at_the_first_verified_draft() -> None:
    good = Draft(text="ok", cited=[1])
    pieces, given = _path(["ok"], {"ok": good}, Draft(problem="unused"))
    checked = pieces[-1]
    assert pieces[:-1] == ["ok"] and given == [""]
    assert checked.path == "verified" and checked.attempts == 1 and checked.draft is good  # type: ignore[attr-defined]


def test_the_path_retries_once_naming_the_problem() -> None:
    verdicts = {"bad one": Draft(problem="figure 9 is in no passage"), "good": Draft(text="good", cited=[1])}
    pieces, given = _path(["bad one", "good"], verdicts, Draft(problem="unused"))
    assert pieces[:-1] == ["bad ", "one", RETRY, "good"]
    assert given == ["", "figure 9 is in no passage"]
    checked = pieces[-1]
    assert checked.path == "verified" and checked.attempts == 2  # type: ignore[attr-defined]
    assert checked.problems == ["figure 9 is in no passage"]  # type: ignore[attr-defined]


def test_the_path_falls_back_after_two_failures_and_never_after_a_decline() -> None:
    quote = Draft(text="“quote” [1]", cited=[1])
    verdicts = {"bad": Draft(problem="p1"), "worse": Draft(problem="p2")}
    pieces, _ = _path(["bad", "worse"], verdicts, quote)
    checked = pieces[-1]
    assert checked.path == "fallback" and checked.draft is quote and checked.problems == ["p1", "p2"]  # type: ignore[attr-defined]
    declined = {"NOT_IN_DOCUMENTS": Draft(problem="no answer", declined=True)}
    pieces, given = _path(["NOT_IN_DOCUMENTS"], declined, quote)
    assert RETRY not in pieces and given == [""]
    assert pieces[-1].path == "declined"  # type: ignore[attr-defined]


def test_run_path_returns_where_it_ended() -> None:
    steps = verify_retry_fallback(
        lambda _: iter(["x"]), lambda raw: Draft(problem="no"), lambda: Draft(text="t")
    )
    checked = run_path(steps)
    assert checked.path == "fallback" and checked.draft.text == "t" and checked.attempts == 2


def test_units_are_read_by_the_one_figure_parser() -> None:
    # "percent" and "％" are the same unit as "%"; a figure that changed its unit is caught either way
    assert unit_mismatches("3.5岁 [1]", ["Corvane's churn was 3.5 percent in 2023."]) == ["3.5岁"]
    assert unit_mismatches("churn of 3.5% [1]", ["Corvane's churn was 3.5 percent in 2023."]) == []
    assert unit_mismatches("占比3.5％ [1]", ["占比3.5%"]) == []
    # the figure is reported as the answer wrote it
    assert unit_mismatches("1,204人 [1]", ["研发投入1,204万元"]) == ["1,204人"]


def test_a_figure_the_passage_prints_as_negative_keeps_its_sign() -> None:
    from assistant.answer.figure_checks import dropped_signs

    table = ["| Net cash used in investing activities | (48,210) | (31,077) |"]
    assert dropped_signs("$48,210 thousand [1]", table) == ["48,210"]  # "(48,210)" lost its sign
    assert dropped_signs("-$48,210 thousand [1]", table) == []
    assert dropped_signs("Net cash used in investing was $48,210 thousand [1]", table) == []
    loss = ["2023年度，公司净利润为-3,104,228.50元，即净亏损3,104,228.50元。"]
    assert dropped_signs("净利润为3,104,228.50元 [1]", loss) == ["3,104,228.50"]
    assert dropped_signs("净亏损3,104,228.50元 [1]", loss) == []
    both = ["| Revenue | 1,234 | (1,234) |"]  # printed positive somewhere: the answer's figure is no error
    assert (
        dropped_signs("Revenue was 1,234 [1]", both) == []
        and dropped_signs("8,652.30万元", ["8,652.30万元"]) == []
    )


def test_a_figure_question_answered_without_a_figure_fails() -> None:
    passages = _passages(
        "2023年11月，公司完成A轮融资，融资金额8,000万元，由星罗资本领投，投后估值约6.5亿元。"
    )
    query = Query.parse("澄岳精工A轮融资的投后估值是多少？", "澄岳精工")
    wrong = verify("是，星罗资本领投[1]", query, passages)
    assert wrong.problem == "the question asks for a figure and the answer gives none"
    right = verify("澄岳精工A轮融资的投后估值约6.5亿元[1]。", query, passages)
    assert not right.problem and right.cited == [1]
    words = verify(
        "A轮融资金额近亿元，由星罗资本领投[1]。",
        Query.parse("澄岳精工A轮融资金额是多少？", "澄岳精工"),
        _passages("公司完成近亿元A轮融资，由星罗资本领投。"),
    )
    assert not words.problem  # a figure in words is a figure
    who = verify("星罗资本领投[1]。", Query.parse("澄岳精工A轮融资由谁领投？", "澄岳精工"), passages)
    assert not who.problem  # no figure asked
