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
    assert evidence_hit("| 研发投入合计 | 206,997,240.33 |", "研发投入合计 206,997,240.33")
    assert evidence_hit("公司於2023年實現營業收入", "公司于2023年实现营业收入")
    assert not evidence_hit("公司2023年实现营业收入", "公司2022年实现营业收入")
    long = "Total current assets 15,019 8,583 Property and equipment, net 1,513 702 " * 3
    assert evidence_hit("Balance sheet: Total current assets 15,019 8,583 Property and equipment, net 1,513 702 more", long)
    assert not evidence_hit("Property and equipment", long)


def test_numbers_match_after_unit_normalisation() -> None:
    assert number_correct("研发投入为3,157.20万元 [1]", "31,572,004.18元")
    assert number_correct("The change was 1,939 thousand users [2]", "1939", scale="thousand")
    assert number_correct("It changed by 1.94 million", "1939", scale="thousand")
    assert number_correct("净利润1.57亿元", "157,000,000")
    assert not number_correct("净利润1.67亿元", "157,000,000")
    assert number_correct("from 20% in FY2021 to 23% in FY2022", "20% (FY2021) to 23% (FY2022)")
    assert not number_correct("23% in FY2022", "20% (FY2021) to 23% (FY2022)")


def test_yes_no_reads_the_leading_word() -> None:
    assert yes_no("Yes. The quick ratio is 1.57") == "yes"
    assert yes_no("No, it is not") == "no"
    assert yes_no("否，公司不满足") == "no"
    assert yes_no("是的，符合条件") == "yes"
    assert yes_no("Not in the documents: no passage answers this") is None


def test_text_key_facts() -> None:
    assert text_correct("Lob was founded in 2013 by Harry Zhang and Leore Avidar [1]", "2013; Harry Zhang and Leore Avidar")
    assert not text_correct("Lob was founded in 2013 [1]", "2013; Harry Zhang and Leore Avidar")
    assert text_correct("慧拓智能2018年获得Pre-A轮融资，投资方为国科嘉和 [1]", "Pre-A轮，国科嘉和")
    assert not text_correct("慧拓智能获得A轮融资 [1]", "Pre-A轮，国科嘉和")


def test_refusal_scoring() -> None:
    q = EvalQuestion(id="r", question="Who led the A round?", answer="NOT_IN_DOCS")
    assert answer_correct(q, "Not in the documents: no passage answers this (searched 12 passages of X).", True)
    assert not answer_correct(q, "Sequoia led it [1]", False)
    answerable = EvalQuestion(id="a", question="Revenue?", answer="$8.1 million", answer_type="number")
    assert not answer_correct(answerable, "Not in the documents.", True)


def test_a_bad_question_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "1", "question": "q", "answer": "a"}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.jsonl:2: not a question record"):
        load_questions(path)


def test_eval_command_reports_every_measure(cli, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = (ROOT / "corpus" / "_questions.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = [json.loads(x) for x in lines if json.loads(x)["company"] in ("Brightfold", "栖云智算")]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in chosen), encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    for company in ("Brightfold", "栖云智算"):
        for f in (ROOT / "corpus" / company).iterdir():
            if any(q["doc"] == f.name and q["company"] == company for q in chosen):
                (docs / f.name).write_bytes(f.read_bytes())  # flat folder: companies come from the questions
    out = tmp_path / "report.json"
    assert cli("eval", "--questions", str(questions), "--docs", str(docs), "--out", str(out), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads(out.read_text(encoding="utf-8"))
    assert report["questions"] == len(chosen) and len(report["results"]) == len(chosen)
    assert 0.5 <= report["retrieval_hit_company"] <= 1.0  # fake embeddings: keyword search carries it
    assert report["citation_validity"] == 1.0
    refusals = [r for r in report["results"] if r["answer_type"] == "refusal"]
    assert refusals and report["refusal_accuracy"] is not None
    assert set(report["paths"]) <= {"verified", "extractive", "insufficient_evidence", "needs_company"}
    assert report["latency_p50_s"] is not None and report["by_type"]
    assert cli("eval", "--questions", str(questions), "--retrieval-only") == 0  # the table for humans
    table = capsys.readouterr().out
    assert "retrieval hit@5" in table and chosen[0]["id"] in table


def test_words_the_question_already_says_are_not_facts() -> None:
    question = "长木谷完成的A+轮融资由哪家机构投资？公司成立于哪一年？"
    assert text_correct("联想创投；2017年 [1]", "联想创投；2017年成立", question)
    assert not text_correct("联想创投 [1]", "联想创投；2017年成立", question)
