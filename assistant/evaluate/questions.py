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
    """How one question went."""

    id: str
    category: str
    answer_type: str
    lang: str | None
    question: str
    gold: str
    hit_company: bool | None = Field(
        None, description="Retrieval hit@k with the company given (None: no evidence to find)."
    )
    hit_open: bool | None = Field(
        None, description="Retrieval hit@k with the company resolved from the question."
    )
    answer: str = ""
    path: str = ""
    reason: str | None = Field(None, description="The answer's refusal reason (None: it answered).")
    correct: bool | None = Field(None, description="None when answers were not run.")
    refused: bool = False
    citations_valid: bool = True
    latency_s: float | None = None
    first_token_s: float | None = None
    error: str | None = None


class Score(BaseModel):
    n: int
    correct: int
    accuracy: float | None


class EvalReport(BaseModel):
    """Everything ``assistant eval --json`` prints."""

    questions_file: str
    model: str
    k: int
    questions: int
    retrieval_hit_company: float | None
    retrieval_hit_open: float | None
    answer_accuracy: float | None = Field(None, description="Over answerable questions.")
    by_type: dict[str, Score] = Field(default_factory=dict)
    by_category: dict[str, Score] = Field(default_factory=dict)
    by_lang: dict[str, Score] = Field(default_factory=dict)
    refusal_accuracy: float | None = None
    false_refusal_rate: float | None = None
    citation_validity: float | None = None
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
