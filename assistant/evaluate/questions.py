"""The question file of ``assistant eval`` (the devset format) and the typed results of a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.core.errors import InputError

NOT_IN_DOCS = "NOT_IN_DOCS"


class EvalQuestion(BaseModel):
    """One line of a question file (``../shared/devset/questions.jsonl``)."""

    id: str
    company: str | None = None
    question: str
    answer: str
    answer_type: Literal["number", "text", "yes_no"] = "text"
    evidence: list[str] = Field(default_factory=list)
    doc: str | None = None
    lang: str | None = None
    category: str = "-"
    answer_short: str | None = None
    scale: str | None = None
    reason: str | None = Field(
        None,
        description="Why a NOT_IN_DOCS question must be refused (an Answer's reason: company_not_found, "
        "period_not_covered, several_companies, company_mismatch, not_stated …); None: any refusal counts.",
    )

    @property
    def refusal(self) -> bool:
        return self.answer.strip() == NOT_IN_DOCS

    @property
    def gold(self) -> str:
        return self.answer_short or self.answer


class QuestionResult(BaseModel):
    """How one question went, under the strict scorer and the lenient one."""

    id: str
    category: str
    answer_type: str
    lang: str | None
    question: str
    gold: str
    passages: int | None = Field(None, description="Passages of the question's company in the store.")
    rank_company: int | None = Field(
        None,
        description="Rank of the first retrieved passage that holds an evidence string (strict rule), company "
        "given, within the top max(k, 5); 0: none; None: no evidence to find.",
    )
    rank_open: int | None = Field(None, description="The same with the company resolved from the question.")
    hit_company: bool | None = Field(
        None, description="Strict retrieval hit@k with the company given (None: no evidence to find)."
    )
    hit_open: bool | None = Field(
        None, description="Strict retrieval hit@k with the company resolved from the question."
    )
    hit_company_lenient: bool | None = Field(
        None, description="Lenient hit@k (any 50 characters), company given."
    )
    hit_open_lenient: bool | None = Field(
        None, description="Lenient hit@k, company resolved from the question."
    )
    answer: str = ""
    path: str = ""
    reason: str | None = Field(None, description="The answer's refusal reason (None: it answered).")
    correct: bool | None = Field(None, description="Strict scorer; None when answers were not run.")
    correct_lenient: bool | None = Field(None, description="Lenient scorer; None when answers were not run.")
    company_withheld: bool = Field(
        False,
        description="The company is the answer and the question does not name it: the answer scored strictly "
        "was asked without it; the lenient score is of an answer asked with it (``answer_lenient``).",
    )
    answer_lenient: str | None = Field(None, description="The answer asked with the company, when withheld.")
    refused_lenient: bool | None = Field(None, description="Whether that answer was a refusal.")
    refused: bool = False
    citations_valid: bool = True
    latency_s: float | None = None
    first_token_s: float | None = None
    error: str | None = None


class Score(BaseModel):
    n: int
    correct: int
    accuracy: float | None


class Retrieval(BaseModel):
    """Strict retrieval figures (a passage must hold the evidence), each over the questions whose company has
    more passages in the store than the cut-off (with no more, every passage is returned and a hit is certain)."""

    hit_at_1: float | None = None
    hit_at_3: float | None = None
    hit_at_5: float | None = None
    mrr: float | None = Field(
        None, description="Mean reciprocal rank of the first hit within the top ``depth``."
    )
    counted_at_1: int = Field(0, description="Questions counted for hit@1 (company has more than 1 passage).")
    counted_at_3: int = 0
    counted_at_5: int = 0
    counted_mrr: int = Field(0, description="Questions counted for MRR (company has more than ``depth``).")
    depth: int = 5


class Lenient(BaseModel):
    """The figures of the lenient scorer (the rules before the strict one), for comparison."""

    retrieval_hit_company: float | None = Field(None, description="hit@k, any 50 characters, all questions.")
    retrieval_hit_open: float | None = None
    answer_accuracy: float | None = None
    refusal_accuracy: float | None = None
    false_refusal_rate: float | None = None
    by_type: dict[str, Score] = Field(default_factory=dict)
    by_category: dict[str, Score] = Field(default_factory=dict)
    by_lang: dict[str, Score] = Field(default_factory=dict)


class EvalReport(BaseModel):
    """Everything ``assistant eval --json`` prints: the strict scorer's figures, and the lenient ones beside."""

    questions_file: str
    model: str
    k: int
    questions: int
    scorer: str = "strict"
    retrieval_hit_company: float | None = Field(
        None, description="Strict hit@k with the company given, over questions whose company has more than k."
    )
    retrieval_hit_open: float | None = None
    retrieval_counted: int = Field(0, description="Questions counted for the two hit@k figures.")
    retrieval_company: Retrieval = Field(default_factory=Retrieval)
    retrieval_open: Retrieval = Field(default_factory=Retrieval)
    answer_accuracy: float | None = Field(None, description="Over answerable questions.")
    by_type: dict[str, Score] = Field(default_factory=dict)
    by_category: dict[str, Score] = Field(default_factory=dict)
    by_lang: dict[str, Score] = Field(default_factory=dict)
    refusal_accuracy: float | None = None
    false_refusal_rate: float | None = None
    citation_validity: float | None = None
    company_withheld: list[str] = Field(
        default_factory=list, description="Questions asked without their company (it is the answer)."
    )
    lenient: Lenient = Field(default_factory=Lenient)
    paths: dict[str, int] = Field(default_factory=dict)
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    first_token_p50_s: float | None = None
    first_token_p95_s: float | None = None
    results: list[QuestionResult] = Field(default_factory=list)


def load_questions(path: Path) -> list[EvalQuestion]:
    """Questions of a JSONL file; a bad line is an error naming the file and the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the questions file ({exc.strerror or exc})") from exc
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(EvalQuestion.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "line"
            raise InputError(f"{path}:{number}: not a question record ({where}: {first['msg']})") from None
    if not out:
        raise InputError(f"{path}: no questions in the file")
    return out


def doc_companies(questions: list[EvalQuestion], docs: Path) -> dict[str, str]:
    """File name → company: from the questions (their ``doc`` and ``company``) and a ``docs_manifest.jsonl``
    beside or inside the docs folder when there is one."""
    mapping = {q.doc: q.company for q in questions if q.doc and q.company}
    for manifest in (docs / "docs_manifest.jsonl", docs.parent / "docs_manifest.jsonl"):
        if manifest.is_file():
            for line in manifest.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict) and row.get("doc") and row.get("company"):
                    mapping.setdefault(str(row["doc"]), str(row["company"]))
    return mapping
