"""``assistant eval``: run a question file (the devset format) and score retrieval, answers and refusals.

Scoring follows ``../shared/devset/README.md``:
- retrieval hit@k: a top-k passage of the gold ``doc`` overlaps an ``evidence`` string (compared with white
  space, table rules and Traditional/Simplified differences removed); an evidence string longer than
  ``LONG_EVIDENCE`` characters counts when ``LONG_EVIDENCE`` consecutive characters of it are in the passage.
  Measured with the company given (the question's ``company``) and without (resolved from the question
  as ``ask`` does; all companies when it names none).
- numbers: every figure of the gold answer (``answer_short`` when given) equals a figure of the answer after
  unit normalisation (万/亿/thousand/million, %, the question's ``scale``), within rounding;
- yes_no: the answer's leading yes/no (是/否) is the gold one;
- text: the key facts of the gold answer (its parts split at ; , 、 and "and") appear in the answer: a part
  counts when it appears whole, or its figures all appear and most (≥ 60 %) of its words that the question does
  not already contain do ("2017年成立" asked "公司成立于哪一年？" needs 2017); the answer is
  right when at least two thirds of the parts count (all of them when there are one or two);
- NOT_IN_DOCS: the answer says the documents do not contain it (``insufficient_evidence``) and gives no value;
  a false refusal is an answerable question answered that way;
- citation validity: every citation of an answer is a stored passage (same chunk id, document, page and
  text) and every ``[n]`` in the answer names one of them.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.core.errors import AssistantError, InputError
from assistant.text.figures import Quantity, quantities, same
from assistant.text.normalize import to_simplified

NOT_IN_DOCS = "NOT_IN_DOCS"
LONG_EVIDENCE = 50
_SCALE_WORDS = {
    "thousand": 1e3,
    "thousands": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "万": 1e4,
    "万元": 1e4,
    "亿": 1e8,
    "亿元": 1e8,
}
_STOP = {
    "the",
    "and",
    "of",
    "in",
    "a",
    "an",
    "to",
    "for",
    "is",
    "was",
    "its",
    "by",
    "with",
    "on",
    "as",
    "at",
    "or",
    "from",
    "that",
}


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


# ------------------------------------------------------------------------------------------------
# loading
# ------------------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------------------
# scoring (pure functions)
# ------------------------------------------------------------------------------------------------
def _flat(text: str) -> str:
    text = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"[\s|]+|-{3,}|\$", "", text)


def evidence_hit(passage: str, evidence: str) -> bool:
    """Whether a passage overlaps a gold evidence string (see the module's rule)."""
    e, p = _flat(evidence), _flat(passage)
    if not e:
        return False
    if len(e) <= LONG_EVIDENCE:
        return e in p
    match = SequenceMatcher(None, e, p, autojunk=False).find_longest_match(0, len(e), 0, len(p))
    return match.size >= LONG_EVIDENCE


def _body(answer: str) -> str:
    return re.sub(r"[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】]", "", answer)


def _gold_figures(gold: str, scale: str | None) -> list[tuple[Quantity, ...]]:
    """Each gold figure with its alternatives (as written, and times the question's scale)."""
    factor = _SCALE_WORDS.get((scale or "").strip().casefold(), 1.0)
    figures = quantities(gold)
    if len(figures) > 1:  # "20% (FY2021)": years label the figures, they are not the answer
        figures = [q for q in figures if not re.fullmatch(r"(?:19|20)\d\d", q.raw)] or figures
    out = []
    for q in figures:
        alternatives = [q]
        if factor != 1.0 and q.tolerance * factor > q.tolerance:
            alternatives.append(Quantity(q.value * factor, q.tolerance * factor, q.percent, q.raw, q.digits))
        out.append(tuple(alternatives))
    return out


def number_correct(answer: str, gold: str, scale: str | None = None) -> bool:
    """Every figure of the gold answer is a figure of the answer (unit-normalised, within rounding)."""
    wanted = _gold_figures(gold, scale)
    given = quantities(_body(answer))
    if not wanted:
        return False
    return all(any(same(g, a) for g in alternatives for a in given) for alternatives in wanted)


_YES = re.compile(r"^(?:yes|yeah|correct|true|是|对|符合|有|属于|满足)", re.I)
_NO = re.compile(r"^(?:no|not|false|否|不|没有|无|未)", re.I)


def yes_no(text: str) -> str | None:
    lead = re.sub(r"^[\s“\"'「『（(]+", "", text.strip())
    if _NO.match(lead) and not lead.lower().startswith("not in the documents"):
        return "no"
    if _YES.match(lead):
        return "yes"
    return None


def _words(text: str) -> set[str]:
    from assistant.store.keywords import tokenize

    return {
        t for t in tokenize(text) if t not in _STOP and (len(t) > 1 or not t.isascii()) and not t.isdigit()
    }


def fact_found(fact: str, answer: str, question: str = "") -> bool:
    if _flat(fact) and _flat(fact) in _flat(answer):
        return True
    figures = _gold_figures(fact, None)
    given = quantities(_body(answer))
    if figures and not all(any(same(g, a) for g in alts for a in given) for alts in figures):
        return False
    words = _words(fact) - _words(question)  # a word the question already says is not a fact ("成立")
    if not words:
        return bool(figures) or bool(_words(fact))
    found = _words(answer) | {w for w in words if w in _flat(answer)}
    return len(words & found) >= 0.6 * len(words)


def text_correct(answer: str, gold: str, question: str = "") -> bool:
    """Most key facts of the gold answer appear in the answer (see the module's rule)."""
    parts = [p.strip() for p in re.split(r"[;；、，,]|\band\b|和|及", gold) if p and p.strip(" .。")]
    if not parts:
        return False
    found = sum(1 for p in parts if fact_found(p, answer, question))
    return found == len(parts) if len(parts) <= 2 else found >= 2 * len(parts) / 3


def answer_correct(question: EvalQuestion, text: str, refused: bool) -> bool:
    if question.refusal:
        return refused and not quantities(_body(text).split("（已检索")[0].split("(searched")[0])
    if refused:
        return False
    if question.answer_type == "number":
        return number_correct(text, question.gold, question.scale)
    if question.answer_type == "yes_no":
        want = yes_no(question.answer)
        return want is not None and yes_no(text) == want
    return text_correct(text, question.gold, question.question)


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
def _hit(store: object, question: EvalQuestion, company: str | None, k: int) -> bool | None:
    from assistant.answer.retrieve import hybrid_search
    from assistant.store.index import Store

    assert isinstance(store, Store)
    if question.refusal or not question.evidence:
        return None
    found = hybrid_search(store, question.question, company, k)
    return any(
        (question.doc is None or e.chunk.doc == question.doc)
        and any(evidence_hit(e.chunk.text, ev) for ev in question.evidence)
        for e in found
    )


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 3)


def _score(results: list[QuestionResult], key: Callable[[QuestionResult], str]) -> dict[str, Score]:
    groups: dict[str, list[bool]] = {}
    for r in results:
        if r.correct is not None:
            groups.setdefault(key(r), []).append(r.correct)
    return {
        name: Score(n=len(v), correct=sum(v), accuracy=round(sum(v) / len(v), 3) if v else None)
        for name, v in sorted(groups.items())
    }


def _rate(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def run_eval(
    services: object,
    questions: list[EvalQuestion],
    k: int = 5,
    answers: bool = True,
    on_result: Callable[[QuestionResult], None] | None = None,
    questions_file: str = "",
) -> EvalReport:
    """Score every question; one failing question is recorded with its error, never stops the run."""
    from assistant.core.services import Services

    assert isinstance(services, Services)
    store, answerer = services.store, services.answerer
    results: list[QuestionResult] = []
    for q in questions:
        r = QuestionResult(
            id=q.id, category=q.category, answer_type="refusal" if q.refusal else q.answer_type, lang=q.lang,
            question=q.question, gold=q.gold,
        )  # fmt: skip
        try:
            given = answerer.resolve_company(q.question, q.company) if q.company else None
        except AssistantError:
            given = None
        try:
            r.hit_company = _hit(store, q, given, k)
            r.hit_open = _hit(store, q, answerer.resolve_company(q.question, None), k)
            if answers:
                answer = answerer.ask(q.question, given)
                r.answer, r.path = answer.answer, answer.path
                r.refused = answer.insufficient_evidence
                r.correct = answer_correct(q, answer.answer, r.refused)
                r.citations_valid = citations_valid(store, answer)
                r.latency_s, r.first_token_s = answer.latency_s, answer.first_token_s
        except AssistantError as exc:
            r.error, r.correct = str(exc), False if answers else None
        results.append(r)
        if on_result:
            on_result(r)
    return summarise(results, questions_file, answerer.model_label, k)


def citations_valid(store: object, answer: object) -> bool:
    from assistant.core.records import Answer
    from assistant.store.index import Store

    assert isinstance(store, Store) and isinstance(answer, Answer)
    numbers = {c.n for c in answer.citations}
    used = {
        int(n)
        for m in re.findall(r"[\[【]([\d,，、\s]+)[\]】]", answer.answer)
        for n in re.findall(r"\d+", m)
    }
    if not used <= numbers or numbers != set(range(1, len(numbers) + 1)):
        return False
    if not answer.citations:
        return True
    stored, _ = store.chunks_with_vectors([c.chunk_id for c in answer.citations])
    by_id = {c.chunk_id: c for c in stored}
    return all(
        c.chunk_id in by_id
        and (by_id[c.chunk_id].text, by_id[c.chunk_id].company, by_id[c.chunk_id].doc, by_id[c.chunk_id].page)
        == (c.quote, c.company, c.doc, c.page)
        for c in answer.citations
    )


def summarise(results: list[QuestionResult], questions_file: str, model: str, k: int) -> EvalReport:
    ran = [r for r in results if r.correct is not None]
    answerable = [r for r in ran if r.answer_type != "refusal"]
    refusals = [r for r in ran if r.answer_type == "refusal"]
    answered = [r for r in ran if not r.refused and r.error is None]
    latencies = [r.latency_s for r in ran if r.latency_s is not None]
    firsts = [r.first_token_s for r in ran if r.first_token_s is not None]
    paths: dict[str, int] = {}
    for r in ran:
        paths[r.path or "error"] = paths.get(r.path or "error", 0) + 1
    return EvalReport(
        questions_file=questions_file,
        model=model,
        k=k,
        questions=len(results),
        retrieval_hit_company=_rate([r.hit_company for r in results if r.hit_company is not None]),
        retrieval_hit_open=_rate([r.hit_open for r in results if r.hit_open is not None]),
        answer_accuracy=_rate([bool(r.correct) for r in answerable]),
        by_type=_score(ran, lambda r: r.answer_type),
        by_category=_score(ran, lambda r: r.category),
        by_lang=_score(ran, lambda r: r.lang or "-"),
        refusal_accuracy=_rate([bool(r.correct) for r in refusals]),
        false_refusal_rate=_rate([r.refused for r in answerable]),
        citation_validity=_rate([r.citations_valid for r in answered]),
        paths=paths,
        latency_p50_s=_pct(latencies, 50),
        latency_p95_s=_pct(latencies, 95),
        first_token_p50_s=_pct(firsts, 50),
        first_token_p95_s=_pct(firsts, 95),
        results=results,
    )


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def render_table(report: EvalReport) -> str:
    """The per-question table and the summary, for a terminal."""
    lines = [
        f"{'id':<6} {'lang':<4} {'type':<8} {'hit@' + str(report.k):<6} {'open':<5} "
        f"{'path':<13} {'ok':<4} {'sec':>5}  answer"
    ]
    for r in report.results:
        answer = " ".join((r.error or r.answer).split())
        answer = answer if len(answer) <= 70 else answer[:69] + "…"
        sec = f"{r.latency_s:5.1f}" if r.latency_s is not None else "    -"
        lines.append(
            f"{r.id:<6} {r.lang or '-':<4} {r.answer_type:<8} {_mark(r.hit_company):<6} {_mark(r.hit_open):<5} "
            f"{r.path or '-':<13} {_mark(r.correct):<4} {sec}  {answer}"
        )

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    lines += [
        "",
        f"questions {report.questions}   model {report.model}",
        f"retrieval hit@{report.k}: company given {f(report.retrieval_hit_company)}, "
        f"resolved from the question {f(report.retrieval_hit_open)}",
        f"answer accuracy {f(report.answer_accuracy)}   refusal accuracy {f(report.refusal_accuracy)}   "
        f"false refusals {f(report.false_refusal_rate)}   citation validity {f(report.citation_validity)}",
        "by type: " + ", ".join(f"{k} {v.correct}/{v.n}" for k, v in report.by_type.items()),
        "by category: " + ", ".join(f"{k} {v.correct}/{v.n}" for k, v in report.by_category.items()),
        "paths: " + ", ".join(f"{k} {v}" for k, v in sorted(report.paths.items())),
        f"latency p50 {f(report.latency_p50_s)} s, p95 {f(report.latency_p95_s)} s; "
        f"first token p50 {f(report.first_token_p50_s)} s, p95 {f(report.first_token_p95_s)} s",
    ]
    return "\n".join(lines)
