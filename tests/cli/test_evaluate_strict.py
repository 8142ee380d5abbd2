"""The strict scorer of ``assistant eval``: each leniency of the old scorer is rejected (and the lenient scorer,
kept for comparison, still accepts it), the right answer is accepted, and reports carry both figures.
Every company, figure and sentence here is made up."""

from pathlib import Path

from assistant.core.services import Services
from assistant.evaluate import (
    EvalQuestion,
    QuestionResult,
    answer_correct,
    company_is_answer,
    evidence_hit,
    number_correct,
    render_table,
    retrieval,
    run_eval,
    summarise,
    text_correct,
    yes_no,
)
from assistant.evaluate.strict import parts
from assistant.ingest.pipeline import ingest_paths


def both(answer: str, gold: str, **kw: str) -> tuple[bool, bool]:
    """(strict, lenient) verdicts on a number answer."""
    return number_correct(answer, gold, **kw), number_correct(answer, gold, strict=False, **kw)


# ---- numbers: precision ------------------------------------------------------------------------------
def test_a_number_is_matched_at_the_golds_own_precision() -> None:
    assert both("Revenue was $5 billion [1]", "$7,318 million") == (False, False)
    assert both("Revenue was $7 billion [1]", "$7,318 million") == (
        False,
        True,
    )  # within the answer's rounding
    assert both("about 24% [1]", "23.6%") == (False, True)
    assert both("24", "23.6", scale="percent") == (False, True)
    assert number_correct("Revenue was $7,318 million [1]", "$7,318 million")
    assert number_correct("Revenue was $7.318 billion [1]", "$7,318 million")
    assert number_correct("$6,327 thousand [1]", "$6.3 million")  # more precise, and it rounds to the gold
    assert not number_correct("$6,362 thousand [1]", "$6.3 million")  # rounds to 8.2
    assert number_correct("3亿元 [1]", "3亿人民币") and not number_correct("3.6亿元 [1]", "3亿人民币")
    assert number_correct("19% [1]", "19.00%")  # zeros after the decimal point add no precision
    assert number_correct("净利润1.63亿元", "163,000,000") and not number_correct(
        "净利润1.6亿元", "163,000,000"
    )


# ---- numbers: sign ------------------------------------------------------------------------------------
def test_a_number_must_have_the_golds_sign() -> None:
    assert both("净利润为3,512,448.21元 [1]", "-3,512,448.21元") == (False, True)
    assert both("Positive: $412,905 [1]", "Negative: -$412,905") == (False, True)
    assert both("Growth: increased by 5.2% [1]", "-5.2%") == (False, True)
    assert number_correct("净亏损3,512,448.21元 [1]", "-3,512,448.21元")
    assert number_correct("净利润为-3,512,448.21元 [1]", "-3,512,448.21元")
    assert number_correct("It was negative: $412,905 [1]", "Negative: -$412,905")
    assert number_correct("Sales decreased by 5.2% [1]", "-5.2%")
    assert number_correct("a 5.2% decline [1]", "-5.2%")
    # a parenthesised amount is negative, and the scale word after the parenthesis applies
    assert number_correct("free cash flow was -$412.905 million [1]", "$(412,905) thousand (negative)")
    assert not number_correct("free cash flow was $412.905 million [1]", "$(412,905) thousand (negative)")
    # a positive gold: a figure worded as a loss fails; a level in a decrease narrative stays positive
    assert not number_correct(
        "a net loss of $2.3 million [1]", "$2.3 million", question="What was net income?"
    )
    assert number_correct(
        "Revenue decreased from $10.3 million in 2022 to $8.4 million in 2023 [1]",
        "$8.4 million",
        question="What was revenue in 2023?",
    )


def test_a_question_about_a_loss_takes_its_size() -> None:
    question = "How large was Quillmark's net loss in 2023?"
    assert number_correct("Net loss was $3.4 million in 2023 [1]", "$3.4 million", question=question)
    assert number_correct("$3.4 million [1]", "$3.4 million", question=question)
    assert not number_correct("A profit of $3.4 million [1]", "$3.4 million", question=question)
    assert number_correct("净亏损642.83万元 [1]", "-642.83万元", question="净亏损是多少？")


# ---- numbers: percent and unit ------------------------------------------------------------------------
def test_percent_and_unit_must_match() -> None:
    assert both("The ratio was 8.2 [1]", "8.2%") == (False, True)
    assert both("8.2% [1]", "8.2") == (False, True)
    assert number_correct("8.2% [1]", "8.2%")
    assert number_correct("8.2 [1]", "8.2", scale="percent") and number_correct(
        "8.2% [1]", "8.2", scale="percent"
    )
    assert both("26 million devices [1]", "26,415", scale="thousand") == (False, True)
    assert number_correct("26,415 thousand [1]", "26,415", scale="thousand")
    assert number_correct("26.415 million [1]", "26,415", scale="thousand")
    asked = "What was Quillmark's free cash flow in 2023 (in thousands)?"
    assert number_correct("-412,905 [1]", "$(412,905) thousand", question=asked)  # the question's unit
    assert not number_correct("-412,905 [1]", "$(412,905) thousand", question="What was its free cash flow?")


# ---- numbers: extra figures ---------------------------------------------------------------------------
def test_an_answer_that_hedges_with_another_value_fails() -> None:
    assert both("$12.4 million, or perhaps $11.9 million [1]", "$12.4 million") == (False, True)
    assert both("31.2% or 28.5% [1]", "31.2%") == (False, True)
    assert both("46 or 52 employees [1]", "46") == (False, True)
    assert both("“发明专利14项、实用新型专利23项” [1]", "14项") == (False, True)


def test_legitimate_context_is_no_hedging() -> None:
    question = "What was Quillmark's revenue in 2023?"
    assert number_correct(
        "$12.4 million in 2023, up from $9.1 million in 2022 [1]", "$12.4 million", question=question
    )
    assert number_correct(
        "“2022年营业收入7,214.03万元，2023年营业收入为5,630.88万元。” [1]",
        "5,630.88万元",
        question="2023年营业收入？",
    )
    assert number_correct("$12.4 million (31.2% growth) [1]", "$12.4 million")  # another kind
    assert number_correct(
        "$12,431 thousand ($12.4 million) [1]", "$12,431 thousand"
    )  # a rounding of the gold
    assert number_correct(
        "4,210,337.15元，占营业收入8.27% [1]", "4,210,337.15元，占营业收入8.27%"
    )  # another gold
    assert number_correct(
        "46 of the 120 employees [1]", "46", question="How many of its 120 employees do R&D?"
    )
    assert number_correct(
        "$4,388 thousand, 33.9% of revenue [1]", "$4,388 thousand", context="$4,388 thousand (33.9%)"
    )
    assert number_correct("24.6% of 2023 revenue [1]", "24.6%")  # a year is no figure


# ---- yes / no -----------------------------------------------------------------------------------------
def test_yes_no_must_be_stated_and_a_refusal_is_never_a_no() -> None:
    q = EvalQuestion(
        id="y",
        question="Is Quillmark the plaintiff?",
        answer="No. Quillmark is the defendant.",
        answer_type="yes_no",
    )
    refusal = "No information about the lawsuit is in the documents [1]"
    assert answer_correct(q, refusal, False, strict=False) and not answer_correct(q, refusal, False)
    assert answer_correct(q, "Not the plaintiff [1]", False, strict=False)
    assert not answer_correct(q, "Not the plaintiff [1]", False)  # no yes or no stated
    assert answer_correct(q, "No, Quillmark is the defendant [1]", False)
    assert not answer_correct(q, "No, Quillmark is the defendant [1]", True)  # refused: never right
    zh = EvalQuestion(
        id="z", question="证书是否仍在有效期内？", answer="否，证书已于2023年到期。", answer_type="yes_no"
    )
    assert answer_correct(zh, "没有找到相关资料 [1]", False, strict=False)
    assert not answer_correct(zh, "没有找到相关资料 [1]", False)
    assert not answer_correct(zh, "文档中没有找到这个问题的答案。", False)
    assert answer_correct(zh, "否，该证书已过期 [1]", False) and answer_correct(
        zh, "不是，证书已过期 [1]", False
    )
    assert yes_no("是否有效：否") is None and yes_no("有效期至2025年") is None and yes_no("是的") == "yes"


# ---- text ---------------------------------------------------------------------------------------------
def test_text_facts_are_whole_words() -> None:
    assert text_correct("Pellucid targets net zero by 2035 [1]", "$35", strict=False)
    assert not text_correct("Pellucid targets net zero by 2035 [1]", "$35")
    assert not text_correct("It raised $35,000 [1]", "$35")
    assert text_correct("It raised $35 from its founders [1]", "$35")
    assert text_correct("The company raised a Series B round [1]", "C", strict=False)  # any "c" did
    assert not text_correct("The company raised a Series B round [1]", "C")
    assert text_correct("它获得C轮融资 [1]", "C") and text_correct("a Series C round [1]", "C")


def test_text_gold_is_never_split_inside_a_number_a_date_or_a_name() -> None:
    assert parts("$1,250,000; Series A") == ["$1,250,000", "Series A"]
    assert parts("March 9, 2019; $264,810 thousand") == ["March 9, 2019", "$264,810 thousand"]
    assert parts("2013; Ilse Lund and Mei Aoki") == ["2013", "Ilse Lund", "Mei Aoki"]
    assert parts("Pre-A轮，嘉和资本") == ["Pre-A轮", "嘉和资本"] and parts("云杉嘉和") == ["云杉嘉和"]
    assert text_correct("投资方为云杉嘉 [1]", "云杉嘉和", strict=False)  # split into 云杉嘉 + 和
    assert not text_correct("投资方为云杉嘉 [1]", "云杉嘉和")
    assert text_correct("投资方为云杉嘉和 [1]", "云杉嘉和")
    # "March 9" and "2019" are one fact: a date alone is not two thirds of the answer
    assert not text_correct("On March 9, 2019 [1]", "March 9, 2019; $264,810 thousand")
    assert text_correct("On March 9, 2019, for $264,810 thousand [1]", "March 9, 2019; $264,810 thousand")


def test_a_fact_the_question_already_says_is_no_free_pass() -> None:
    question = "星河科技的A轮由谁投资？公司何时成立？"
    assert text_correct("远川资本 [1]", "远川资本；成立", question, strict=False)
    assert not text_correct("远川资本 [1]", "远川资本；成立", question)
    assert text_correct("远川资本；公司于2016年成立 [1]", "远川资本；成立", question)
    assert text_correct("远川资本；2016年 [1]", "远川资本；2016年成立", question)  # its figure is the fact
    led = "星河科技A轮的领投方是谁？"
    # what is left of the fact once the question's words are out must be there
    assert text_correct("领投方是远帆资本 [1]", "远帆资本领投", led)
    assert not text_correct("领投方是远帆创投 [1]", "远帆资本领投", led)


# ---- company ------------------------------------------------------------------------------------------
def test_the_company_is_withheld_when_it_is_the_answer() -> None:
    which = EvalQuestion(id="w", company="Ostrava Labs", question="Which company makes the WeaveLink sensor?",
                         answer="Ostrava Labs")  # fmt: skip
    assert company_is_answer(which)
    named = which.model_copy(
        update={"question": "What does Ostrava Labs make?", "answer": "Ostrava Labs sensors"}
    )
    assert not company_is_answer(named)  # the question names it: nothing is handed over
    other = which.model_copy(update={"answer": "Harbor Seed Fund"})
    assert not company_is_answer(other)
    long_name = EvalQuestion(
        id="l", company="北辰微电子有限公司（北辰微）", question="哪家公司发布了X1芯片？", answer="北辰微"
    )
    assert company_is_answer(long_name)


# ---- retrieval ----------------------------------------------------------------------------------------
EVIDENCE = (
    "Quillmark recorded revenue of $14.6 million for fiscal 2023, an increase of 18% over the prior year, driven "
    "by subscriptions from regional banks and two new enterprise contracts signed in the fourth quarter."
)


def test_a_long_evidence_must_be_mostly_in_the_passage() -> None:
    shared = "Quillmark recorded revenue of $14.6 million for fiscal 2023, an increase"  # > 50 characters
    passage = f"Board minutes. {shared} was discussed but deferred. Other business: office lease, audit fees."
    assert evidence_hit(passage, EVIDENCE, strict=False) and not evidence_hit(passage, EVIDENCE)
    assert evidence_hit(f"Results. {EVIDENCE} Outlook follows.", EVIDENCE)
    assert evidence_hit(EVIDENCE[:150], EVIDENCE)  # a chunk of a longer evidence, all of it evidence
    assert evidence_hit("revenue of $14.6 million", "revenue of $14.6 million")


def _result(
    i: int, rank: int | None, passages: int, correct: bool = True, lenient: bool = True
) -> QuestionResult:
    return QuestionResult(
        id=f"q{i}", category="financial", answer_type="number", lang="en", question="?", gold="1",
        passages=passages, rank_company=rank, rank_open=rank,
        hit_company=None if rank is None else 0 < rank <= 5, hit_open=None if rank is None else 0 < rank <= 5,
        hit_company_lenient=None if rank is None else rank > 0, hit_open_lenient=None if rank is None else rank > 0,
        correct=correct, correct_lenient=lenient,
    )  # fmt: skip


def test_hit_at_k_and_mrr_count_only_companies_with_more_passages() -> None:
    results = [
        _result(1, 1, 40),
        _result(2, 2, 40),
        _result(3, 4, 40),
        _result(4, 0, 40),
        _result(5, 1, 4),  # 4 passages: counted for hit@1 and hit@3 only
        _result(6, 1, 1),  # 1 passage: never counted
        _result(7, None, 40),  # no evidence
    ]
    r = retrieval(results, lambda x: x.rank_company)
    assert (r.counted_at_1, r.counted_at_3, r.counted_at_5, r.counted_mrr) == (5, 5, 4, 4)
    assert (r.hit_at_1, r.hit_at_3, r.hit_at_5) == (0.4, 0.6, 0.75)
    assert r.mrr == round((1 + 1 / 2 + 1 / 4 + 0) / 4, 3)
    report = summarise(results, "q.jsonl", "fake", 5)
    assert report.retrieval_counted == 4 and report.retrieval_hit_company == 0.75
    assert report.lenient.retrieval_hit_company == round(
        5 / 6, 3
    )  # the old figure: all questions, any overlap


def test_the_report_carries_both_scorers() -> None:
    results = [_result(1, 1, 40, True, True), _result(2, 1, 40, False, True), _result(3, 1, 40, False, False)]
    report = summarise(results, "q.jsonl", "fake", 5)
    assert report.answer_accuracy == round(1 / 3, 3) and report.lenient.answer_accuracy == round(2 / 3, 3)
    assert report.by_type["number"].correct == 1 and report.lenient.by_type["number"].correct == 2
    table = render_table(report)
    assert "answer accuracy 0.33" in table and "lenient: answer accuracy 0.67" in table
    assert "hit@1 1.00 (n 3)" in table


def test_a_run_counts_passages_ranks_and_withholds_the_company(
    tmp_path: Path, fake_services: Services
) -> None:
    root = tmp_path / "docs"
    (root / "Quillmark").mkdir(parents=True)
    (root / "Ostrava Labs").mkdir(parents=True)
    filler = [
        f"Section {i}. The board reviewed office lease number {i}, travel policy update {i}, and the hiring plan "
        f"for team {i}; no decision on capital spending was taken at meeting {i} and minutes were approved."
        for i in range(14)
    ]
    text = "\n\n".join([*filler[:7], EVIDENCE, *filler[7:]])
    (root / "Quillmark" / "report.md").write_text(
        f"# Quillmark annual report 2023\n\n{text}\n", encoding="utf-8"
    )
    (root / "Ostrava Labs" / "profile.md").write_text(
        "# Ostrava Labs\n\nOstrava Labs makes the WeaveLink sensor for cold-chain logistics.\n",
        encoding="utf-8",
    )
    ingest_paths([root], fake_services.store, fake_services.settings)
    questions = [
        EvalQuestion(id="a", company="Quillmark", question="What was Quillmark's revenue in fiscal 2023?",
                     answer="$14.6 million", answer_type="number", evidence=[EVIDENCE], doc="report.md"),
        EvalQuestion(id="b", company="Ostrava Labs", question="Which company makes the WeaveLink sensor?",
                     answer="Ostrava Labs", evidence=["makes the WeaveLink sensor"], doc="profile.md"),
    ]  # fmt: skip
    report = run_eval(fake_services, questions, k=5)
    a, b = report.results
    assert a.passages is not None and a.passages > 5 and a.rank_company is not None and a.rank_company >= 1
    assert b.passages is not None and b.passages <= 5 and b.rank_company == 1
    assert (
        report.retrieval_counted == 1 and report.retrieval_company.counted_at_5 == 1
    )  # b is certain: not counted
    assert b.company_withheld and b.answer_lenient is not None and report.company_withheld == ["b"]
    assert not a.company_withheld and a.answer_lenient is None
    assert all(r.correct is not None and r.correct_lenient is not None for r in report.results)
