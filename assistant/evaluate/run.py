"""Running a question file against the store and the answerer: retrieval hits, answers, latency, citation
validity, and the report (per category, type and language) with its terminal table."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable

from assistant.core.errors import AssistantError
from assistant.evaluate.questions import EvalQuestion, EvalReport, QuestionResult, Score
from assistant.evaluate.scoring import answer_correct, evidence_hit


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
                r.answer, r.path, r.reason = answer.answer, answer.path, answer.reason
                r.refused = answer.insufficient_evidence
                r.correct = answer_correct(q, answer.answer, r.refused, answer.reason)
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
