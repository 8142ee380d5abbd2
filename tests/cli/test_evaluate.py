import json
from pathlib import Path

import pytest

from assistant.core.errors import InputError
from assistant.evaluate import (
    EvalQuestion,
    answer_correct,
    evidence_hit,
    load_questions,
    number_correct,
    text_correct,
    yes_no,
)

ROOT = Path(__file__).resolve().parents[2]


def test_evidence_hit_ignores_white_space_table_rules_and_script() -> None:
    for strict in (True, False):
        assert evidence_hit("| 研发投入合计 | 48,315,220.17 |", "研发投入合计 48,315,220.17", strict)
        assert evidence_hit("公司於2023年實現營業收入", "公司于2023年实现营业收入", strict)
        assert not evidence_hit("公司2023年实现营业收入", "公司2022年实现营业收入", strict)
        long = "Total current assets 9,842 7,316 Intangible assets, net 2,207 1,954 " * 3
        assert evidence_hit(
            "Balance sheet: Total current assets 9,842 7,316 Intangible assets, net 2,207 1,954 more",
            long,
            strict,
        )
        assert not evidence_hit("Intangible assets", long, strict)


def test_numbers_match_after_unit_normalisation() -> None:
    for strict in (True, False):
        assert number_correct("研发投入为3,157.20万元 [1]", "31,572,000元", strict=strict)
        assert number_correct(
            "The change was 3,270 thousand users [2]", "3270", scale="thousand", strict=strict
        )
        assert number_correct("It changed by 3.27 million", "3270", scale="thousand", strict=strict)
        assert number_correct("净利润1.57亿元", "157,000,000", strict=strict)
        assert not number_correct("净利润1.67亿元", "157,000,000", strict=strict)
        assert number_correct(
            "from 18% in FY2021 to 26% in FY2022", "18% (FY2021) to 26% (FY2022)", strict=strict
        )
        assert not number_correct("26% in FY2022", "18% (FY2021) to 26% (FY2022)", strict=strict)
    # the lenient scorer takes the answer's rounding: 3,157.20万 is 31,572,000 ± 50, and the gold is in it
    assert number_correct("研发投入为3,157.20万元 [1]", "31,572,004.18元", strict=False)
    assert not number_correct("研发投入为3,157.20万元 [1]", "31,572,004.18元")  # strict: ±0.005 元


def test_yes_no_reads_the_leading_word() -> None:
    for strict in (True, False):
        assert yes_no("Yes. The current ratio is 2.31", strict) == "yes"
        assert yes_no("No, it is not", strict) == "no"
        assert yes_no("否，公司不满足", strict) == "no"
        assert yes_no("是的，符合条件", strict) == "yes"
        assert yes_no("Not in the documents: no passage answers this", strict) is None


def test_text_key_facts() -> None:
    for strict in (True, False):
        assert text_correct(
            "Corvane was founded in 2014 by Mira Okafor and Jun Takeda [1]",
            "2014; Mira Okafor and Jun Takeda",
            strict=strict,
        )
        assert not text_correct(
            "Corvane was founded in 2014 [1]", "2014; Mira Okafor and Jun Takeda", strict=strict
        )
        assert text_correct(
            "星河科技2019年获得Pre-A轮融资，投资方为远川资本 [1]", "Pre-A轮，远川资本", strict=strict
        )
        assert not text_correct("星河科技获得A轮融资 [1]", "Pre-A轮，远川资本", strict=strict)


def test_refusal_scoring() -> None:
    q = EvalQuestion(id="r", question="Who led the A round?", answer="NOT_IN_DOCS")
    for strict in (True, False):
        assert answer_correct(
            q,
            "Not in the documents: no passage answers this (searched 12 passages of X).",
            True,
            strict=strict,
        )
        assert not answer_correct(q, "Sequoia led it [1]", False, strict=strict)
        answerable = EvalQuestion(id="a", question="Revenue?", answer="$8.1 million", answer_type="number")
        assert not answer_correct(answerable, "Not in the documents.", True, strict=strict)


def test_a_bad_question_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "1", "question": "q", "answer": "a"}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.jsonl:2: not a question record"):
        load_questions(path)


def test_eval_command_reports_every_measure(cli, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = (ROOT / "corpus" / "_questions.jsonl").read_text(encoding="utf-8").splitlines()
    companies = ("Brightfold", "绿湃储能")  # no file name of one is a file name of the other
    chosen = [json.loads(x) for x in lines if json.loads(x)["company"] in companies]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in chosen), encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    for company in companies:
        for f in (ROOT / "corpus" / company).iterdir():
            if any(q["doc"] == f.name and q["company"] == company for q in chosen):
                (docs / f.name).write_bytes(f.read_bytes())  # flat folder: companies come from the questions
    out = tmp_path / "report.json"
    assert cli("eval", "--questions", str(questions), "--docs", str(docs), "--out", str(out), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads(out.read_text(encoding="utf-8"))
    assert report["questions"] == len(chosen) and len(report["results"]) == len(chosen)
    assert 0.5 <= report["retrieval_hit_company"] <= 1.0  # fake embeddings: keyword search carries it
    assert report["scorer"] == "strict" and report["retrieval_counted"] > 0
    for mode in ("retrieval_company", "retrieval_open"):
        figures = report[mode]
        assert (
            figures["hit_at_1"] <= figures["hit_at_3"] <= figures["hit_at_5"] and figures["mrr"] is not None
        )
        assert figures["counted_at_5"] == report["retrieval_counted"]
    lenient = report["lenient"]  # the lenient scorer's figures beside the strict ones
    assert lenient["retrieval_hit_company"] is not None and lenient["answer_accuracy"] is not None
    assert lenient["by_type"].keys() == report["by_type"].keys()
    assert all(r["correct_lenient"] is not None for r in report["results"])
    assert report["citation_validity"] == 1.0
    refusals = [r for r in report["results"] if r["answer_type"] == "refusal"]
    assert refusals and report["refusal_accuracy"] is not None
    assert set(report["paths"]) <= {
        "verified",
        "extractive",
        "computed",
        "insufficient_evidence",
        "needs_company",
    }
    assert report["latency_p50_s"] is not None and report["by_type"]
    assert cli("eval", "--questions", str(questions), "--retrieval-only") == 0  # the table for humans
    table = capsys.readouterr().out
    assert "retrieval hit@5" in table and chosen[0]["id"] in table
    assert "hit@1" in table and "MRR@5" in table and "lenient" in table


def test_words_the_question_already_says_are_not_facts() -> None:
    question = "星河科技完成的A+轮融资由哪家机构投资？公司成立于哪一年？"
    for strict in (True, False):
        assert text_correct("远川资本；2016年 [1]", "远川资本；2016年成立", question, strict)
        assert not text_correct("远川资本 [1]", "远川资本；2016年成立", question, strict)


def test_a_refusal_must_give_the_reason_the_question_names() -> None:
    q = EvalQuestion(
        id="t", question="星海生物2023年营业收入是多少？", answer="NOT_IN_DOCS", reason="company_not_found"
    )
    text = "没有星海生物的文档：文档库中没有这家企业的资料。"
    assert answer_correct(q, text, True, "company_not_found")
    assert not answer_correct(q, text, True, "not_stated")  # refused, but for another reason
    assert not answer_correct(q, text, False, None)
    role = EvalQuestion(id="r", question="Who led the Series C?", answer="NOT_IN_DOCS", reason="not_stated")
    for reason in ("not_stated", "model_declined", "verification_failed"):  # each says "not stated"
        assert answer_correct(role, "Not in the documents.", True, reason)
    period = EvalQuestion(
        id="p", question="2019年营业收入？", answer="NOT_IN_DOCS", reason="period_not_covered"
    )
    assert answer_correct(
        period, "文档不含2019年度的数据（文档覆盖的年度为2022–2023年）。", True, "period_not_covered"
    )


def test_the_trust_set_is_adversarial_and_well_formed() -> None:
    trust = load_questions(ROOT / "corpus" / "_trust.jsonl")
    assert len(trust) >= 40 and len({q.id for q in trust}) == len(trust)
    kinds = {q.category for q in trust}
    assert {"trust_company", "trust_period", "trust_role", "trust_sign", "trust_mixed"} <= kinds
    assert sum(q.reason == "company_not_found" for q in trust) >= 10
    assert sum(q.reason == "period_not_covered" for q in trust) >= 10
    assert all(q.refusal for q in trust if q.reason)
