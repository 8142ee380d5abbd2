"""Running a question file against the store and the answerer: retrieval ranks and hits, answers (scored by
the strict and the lenient scorer), latency, citation validity, and the report (per category, type and
language) with its terminal table."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable

from assistant.core.errors import AssistantError
from assistant.evaluate.questions import EvalQuestion, EvalReport, Lenient, QuestionResult, Retrieval, Score
from assistant.evaluate.scoring import answer_correct, company_is_answer, evidence_hit

HIT_AT = (1, 3, 5)


def _search(
    store: object, question: EvalQuestion, company: str | None, k: int
) -> tuple[int | None, bool | None]:
    """(rank of the first passage within the top max(k, 5) that holds an evidence string by the strict rule,
    0 when none; whether one of the top k overlaps one by the lenient rule); (None, None) without evidence."""
    from assistant.answer.retrieve import hybrid_search
    from assistant.store.index import Store

    assert isinstance(store, Store)
    if question.refusal or not question.evidence:
        return None, None
    found = hybrid_search(store, question.question, company, max(k, *HIT_AT))

    def holds(doc: str, text: str, strict: bool) -> bool:
        return (question.doc is None or doc == question.doc) and any(
            evidence_hit(text, ev, strict) for ev in question.evidence
        )

    rank = next((i for i, e in enumerate(found, 1) if holds(e.chunk.doc, e.chunk.text, True)), 0)
    return rank, any(holds(e.chunk.doc, e.chunk.text, False) for e in found[:k])


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 3)


def _score(
    results: list[QuestionResult], key: Callable[[QuestionResult], str], lenient: bool = False
) -> dict[str, Score]:
    groups: dict[str, list[bool]] = {}
    for r in results:
        value = r.correct_lenient if lenient else r.correct
        if value is not None:
            groups.setdefault(key(r), []).append(value)
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
    sizes: dict[str, int] = {}
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
            if q.company:
                r.passages = sizes.setdefault(given, len(store.company_texts(given))) if given else 0
            r.rank_company, r.hit_company_lenient = _search(store, q, given, k)
            r.rank_open, r.hit_open_lenient = _search(store, q, answerer.resolve_company(q.question, None), k)
            r.hit_company = None if r.rank_company is None else 0 < r.rank_company <= k
            r.hit_open = None if r.rank_open is None else 0 < r.rank_open <= k
            if answers:
                r.company_withheld = given is not None and company_is_answer(q)
                answer = answerer.ask(q.question, None if r.company_withheld else given)
                r.answer, r.path, r.reason = answer.answer, answer.path, answer.reason
                r.refused = answer.insufficient_evidence
                r.correct = answer_correct(q, answer.answer, r.refused, answer.reason)
                r.citations_valid = citations_valid(store, answer)
                r.latency_s, r.first_token_s = answer.latency_s, answer.first_token_s
                if r.company_withheld:  # the lenient figure is of the answer asked as before: company given
                    answer = answerer.ask(q.question, given)
                    r.answer_lenient, r.refused_lenient = answer.answer, answer.insufficient_evidence
                r.correct_lenient = answer_correct(
                    q, answer.answer, answer.insufficient_evidence, answer.reason, strict=False
                )
        except AssistantError as exc:
            r.error = str(exc)
            r.correct = r.correct_lenient = False if answers else None
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


def retrieval(
    results: list[QuestionResult], rank: Callable[[QuestionResult], int | None], k: int = 5
) -> Retrieval:
    """hit@1/3/5 and MRR by the strict evidence rule, each over the questions whose company has more passages
    than the cut-off (MRR: than the search depth, max(k, 5))."""

    def counted(cut: int) -> list[int]:
        return [n for r in results if (n := rank(r)) is not None and (r.passages or 0) > cut]

    depth = max(k, *HIT_AT)
    out = Retrieval(depth=depth)
    for j in HIT_AT:
        ranks = counted(j)
        setattr(out, f"hit_at_{j}", _rate([0 < n <= j for n in ranks]))
        setattr(out, f"counted_at_{j}", len(ranks))
    ranks = counted(depth)
    out.mrr = round(sum(1 / n for n in ranks if n) / len(ranks), 3) if ranks else None
    out.counted_mrr = len(ranks)
    return out


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
    counted = [r for r in results if r.hit_company is not None and (r.passages or 0) > k]
    lenient = Lenient(
        retrieval_hit_company=_rate(
            [r.hit_company_lenient for r in results if r.hit_company_lenient is not None]
        ),
        retrieval_hit_open=_rate([r.hit_open_lenient for r in results if r.hit_open_lenient is not None]),
        answer_accuracy=_rate([bool(r.correct_lenient) for r in answerable]),
        refusal_accuracy=_rate([bool(r.correct_lenient) for r in refusals]),
        false_refusal_rate=_rate(
            [r.refused if r.refused_lenient is None else r.refused_lenient for r in answerable]
        ),
        by_type=_score(ran, lambda r: r.answer_type, lenient=True),
        by_category=_score(ran, lambda r: r.category, lenient=True),
        by_lang=_score(ran, lambda r: r.lang or "-", lenient=True),
    )
    return EvalReport(
        questions_file=questions_file,
        model=model,
        k=k,
        questions=len(results),
        retrieval_hit_company=_rate([bool(r.hit_company) for r in counted]),
        retrieval_hit_open=_rate([bool(r.hit_open) for r in counted if r.hit_open is not None]),
        retrieval_counted=len(counted),
        retrieval_company=retrieval(results, lambda r: r.rank_company, k),
        retrieval_open=retrieval(results, lambda r: r.rank_open, k),
        answer_accuracy=_rate([bool(r.correct) for r in answerable]),
        by_type=_score(ran, lambda r: r.answer_type),
        by_category=_score(ran, lambda r: r.category),
        by_lang=_score(ran, lambda r: r.lang or "-"),
        refusal_accuracy=_rate([bool(r.correct) for r in refusals]),
        false_refusal_rate=_rate([r.refused for r in answerable]),
        citation_validity=_rate([r.citations_valid for r in answered]),
        company_withheld=[r.id for r in results if r.company_withheld],
        lenient=lenient,
        paths=paths,
        latency_p50_s=_pct(latencies, 50),
        latency_p95_s=_pct(latencies, 95),
        first_token_p50_s=_pct(firsts, 50),
        first_token_p95_s=_pct(firsts, 95),
        results=results,
    )


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _retrieval_line(name: str, r: Retrieval) -> str:
    hits = ", ".join(
        f"hit@{j} {_f(getattr(r, f'hit_at_{j}'))} (n {getattr(r, f'counted_at_{j}')})" for j in HIT_AT
    )
    return f"  {name}: {hits}, MRR@{r.depth} {_f(r.mrr)} (n {r.counted_mrr})"


def render_table(report: EvalReport) -> str:
    """The per-question table and the summary (strict scorer, the lenient one beside), for a terminal."""
    lines = [
        f"{'id':<6} {'lang':<4} {'type':<8} {'hit@' + str(report.k):<6} {'open':<5} "
        f"{'path':<13} {'ok':<4} {'len':<4} {'sec':>5}  answer"
    ]
    for r in report.results:
        answer = " ".join((r.error or r.answer).split())
        answer = answer if len(answer) <= 70 else answer[:69] + "…"
        sec = f"{r.latency_s:5.1f}" if r.latency_s is not None else "    -"
        lines.append(
            f"{r.id:<6} {r.lang or '-':<4} {r.answer_type:<8} {_mark(r.hit_company):<6} {_mark(r.hit_open):<5} "
            f"{r.path or '-':<13} {_mark(r.correct):<4} {_mark(r.correct_lenient):<4} {sec}  {answer}"
        )
    le = report.lenient
    lines += [
        "",
        f"questions {report.questions}   model {report.model}   scorer strict (lenient beside: 'len', 'lenient')",
        f"retrieval hit@{report.k}: company given {_f(report.retrieval_hit_company)}, resolved from the question "
        f"{_f(report.retrieval_hit_open)} (strict: a passage holds the evidence; {report.retrieval_counted} "
        f"questions whose company has more than {report.k} passages); lenient {_f(le.retrieval_hit_company)}, "
        f"{_f(le.retrieval_hit_open)} (any 50 characters, all questions)",
        _retrieval_line("company given", report.retrieval_company),
        _retrieval_line("resolved from the question", report.retrieval_open),
        f"answer accuracy {_f(report.answer_accuracy)}   refusal accuracy {_f(report.refusal_accuracy)}   "
        f"false refusals {_f(report.false_refusal_rate)}   citation validity {_f(report.citation_validity)}",
        f"lenient: answer accuracy {_f(le.answer_accuracy)}   refusal accuracy {_f(le.refusal_accuracy)}   "
        f"false refusals {_f(le.false_refusal_rate)}",
        "by type: "
        + ", ".join(f"{k} {v.correct}/{v.n}" for k, v in report.by_type.items())
        + "   lenient: "
        + ", ".join(f"{k} {v.correct}/{v.n}" for k, v in le.by_type.items()),
        "by category: " + ", ".join(f"{k} {v.correct}/{v.n}" for k, v in report.by_category.items()),
        "paths: " + ", ".join(f"{k} {v}" for k, v in sorted(report.paths.items())),
        f"latency p50 {_f(report.latency_p50_s)} s, p95 {_f(report.latency_p95_s)} s; "
        f"first token p50 {_f(report.first_token_p50_s)} s, p95 {_f(report.first_token_p95_s)} s",
    ]
    if report.company_withheld:
        lines.append("asked without their company (it is the answer): " + ", ".join(report.company_withheld))
    return "\n".join(lines)
