#!/usr/bin/env python
"""Answer quality and latency on the devset (and the project's own corpus questions) with the embedded models.

    .venv/bin/python benchmarks/answers.py                    # devset with 1.5B and 0.5B, then corpus with 1.5B
    .venv/bin/python benchmarks/answers.py --models qwen2.5-coder-1.5b --limit 10   # a quick look
    .venv/bin/python benchmarks/answers.py --quick            # smoke run (~5 s): corpus only, 4 questions
                                                              # (zh, en, refusals), the fake LLM; prints the
                                                              # report, writes nothing

For each question set: ingests its documents into a fresh store with the default embeddings
(``use-multilingual``), runs ``assistant.evaluate.run_eval`` (the code behind ``assistant eval``) once per
model, and writes ``benchmarks/results/answers_<date>.json`` and ``.md``: the issue-4 targets with the
measured value and the gap (strict scorer), the strict and the lenient scorer's figures side by side
(``scorers`` in the json, a "strict | lenient" table in the md), retrieval hit@1/3/5 and MRR, per-category and
per-type accuracy, paths taken (verified / extractive / refused), latency (first token and total, p50/p95),
and every wrong answer (under either scorer) for analysis.
The devset (``../shared/devset``) is read in place and never copied; it is skipped when absent, and always
with ``--quick`` (whose figures say nothing of quality: the fake LLM quotes the first passage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import (
    BENCH_DIR,
    OUT_HELP,
    QUICK_HELP,
    Json,
    fmt_n,
    now,
    print_unwritten,
    quick_failures,
    results_dir,
    rnd,
)

import assistant  # noqa: F401 - offline environment before any model library loads
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.evaluate import EvalQuestion, EvalReport, doc_companies, load_questions, run_eval
from assistant.ingest.pipeline import ingest_file, ingest_paths

ROOT = BENCH_DIR.parent
DEVSET = ROOT.parent / "shared" / "devset"
TARGETS = [  # (report field, label, comparison, target): the strict scorer's figures
    ("retrieval_hit_company", "retrieval hit@5, company given", ">=", 0.90),
    ("retrieval_hit_open", "retrieval hit@5, company from the question", ">=", 0.80),
    ("answer_accuracy", "answer accuracy (answerable questions)", ">=", 0.70),
    ("refusal_accuracy", "refusal accuracy (NOT_IN_DOCS)", ">=", 0.90),
    ("false_refusal_rate", "false refusals (answerable refused)", "<=", 0.10),
    ("citation_validity", "citation validity", ">=", 1.00),
]


def _machine() -> Json:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
    }


QUICK_QUESTIONS = 4
QUICK_MODEL = "fake"  # in a quick run: the fake LLM answers (the embeddings are the real default, USE)


def _ingest(name: str, store: Path, llm_backend: str = "llamacpp") -> tuple[Settings, Services, Json]:
    settings = Settings(store=store, llm_backend=llm_backend)  # type: ignore[arg-type]
    services = Services(settings)
    t = now()
    if name == "devset":
        questions = load_questions(DEVSET / "questions.jsonl")
        owners = doc_companies(questions, DEVSET / "docs")
        files = sorted((DEVSET / "docs").iterdir())
        reports = [ingest_file(f, owners.get(f.name), services.store, settings) for f in files]
    else:
        reports = ingest_paths([ROOT / "corpus"], services.store, settings).files
    failed = [r.error for r in reports if r.status == "failed"]
    return settings, services, {"files": len(reports), "failed": failed, "seconds": rnd(now() - t, 1)}


def _spread(questions: list[EvalQuestion], n: int) -> list[EvalQuestion]:
    """``n`` questions, the first of each (language, answerable or refusal) kind first (a quick run's pick)."""
    firsts: dict[tuple[str | None, bool], EvalQuestion] = {}
    for q in questions:
        firsts.setdefault((q.lang, q.refusal), q)
    chosen = {id(q) for q in [*firsts.values(), *questions][:n]}
    return [q for q in questions if id(q) in chosen]


def _run(
    name: str,
    questions_file: Path,
    models: list[str],
    limit: int | None,
    work: Path,
    llm_backend: str = "llamacpp",
    spread: bool = False,
) -> Json:
    questions = load_questions(questions_file)
    questions = _spread(questions, limit) if spread and limit else questions[:limit] if limit else questions
    settings, services, ingest = _ingest(name, work / name, llm_backend)
    print(
        f"== {name}: {len(questions)} questions; ingested {ingest['files']} files in {ingest['seconds']} s",
        flush=True,
    )
    runs: dict[str, Any] = {}
    for model in models:
        per_model = Services(settings.model_copy(update={"llm_model": model}), embeddings=services.embeddings)
        t = now()

        def show(r: Any, model: str = model) -> None:
            verdict = f"{'ok' if r.correct else 'WRONG'} (lenient {'ok' if r.correct_lenient else 'WRONG'})"
            print(f"   {model} {r.id}: {verdict} ({r.path}, {r.latency_s}s)", flush=True)

        report = run_eval(per_model, questions, k=5, on_result=show, questions_file=str(questions_file))
        runs[model] = {
            "seconds": rnd(now() - t, 1),
            "scorers": scorers(report),
            "report": report.model_dump(mode="json"),
        }
        print(
            f"   {model}: accuracy {report.answer_accuracy} (lenient {report.lenient.answer_accuracy}), "
            f"hit@5 {report.retrieval_hit_company} (lenient {report.lenient.retrieval_hit_company})",
            flush=True,
        )
        del per_model
    return {"questions": len(questions), "ingest": ingest, "runs": runs}


SCORED = [  # (field, label): the figures both scorers give
    ("answer_accuracy", "answer accuracy (answerable questions)"),
    ("refusal_accuracy", "refusal accuracy (NOT_IN_DOCS)"),
    ("false_refusal_rate", "false refusals (answerable refused)"),
    ("retrieval_hit_company", "retrieval hit@5, company given"),
    ("retrieval_hit_open", "retrieval hit@5, company from the question"),
]


def scorers(report: EvalReport) -> Json:
    """The strict and the lenient scorer's headline figures of one run, side by side."""
    strict = report.model_dump(mode="json")
    lenient = report.lenient.model_dump(mode="json")
    return {
        "strict": {field: strict[field] for field, _ in SCORED}
        | {
            "retrieval_counted": report.retrieval_counted,
            "retrieval_company": strict["retrieval_company"],
            "retrieval_open": strict["retrieval_open"],
            "company_withheld": report.company_withheld,
        },
        "lenient": {field: lenient[field] for field, _ in SCORED},
    }


def _scorer_table(data: Json, models: list[str]) -> list[str]:
    """The "strict | lenient" table of one question set, and strict retrieval at 1, 3 and 5 with MRR."""
    runs = {m: data["runs"][m].get("scorers") or scorers(EvalReport.model_validate(data["runs"][m]["report"]))
            for m in models}  # fmt: skip
    out = ["", "Strict scorer (the figures above) and the lenient one it replaced, on the same answers:", ""]
    out += ["| measure | " + " | ".join(f"{m} strict | {m} lenient" for m in models) + " |"]
    out += ["|---|" + "---|---|" * len(models)]
    for field, label in SCORED:
        cells = [
            f"{fmt_n(runs[m]['strict'][field], 2)} | {fmt_n(runs[m]['lenient'][field], 2)}" for m in models
        ]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    counted = ", ".join(f"{m} {runs[m]['strict']['retrieval_counted']}" for m in models)
    out += ["", f"Strict retrieval counts only questions whose company has more passages than the cut-off "
            f"(hit@5: {counted} questions); lenient retrieval counts every question with evidence.", ""]  # fmt: skip
    out += ["| strict retrieval | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for mode, label in [
        ("retrieval_company", "company given"),
        ("retrieval_open", "company from the question"),
    ]:
        for j in (1, 3, 5):
            cells = [
                f"{fmt_n(runs[m]['strict'][mode][f'hit_at_{j}'], 2)} (n {runs[m]['strict'][mode][f'counted_at_{j}']})"
                for m in models
            ]
            out.append(f"| hit@{j}, {label} | " + " | ".join(cells) + " |")
        cells = [
            f"{fmt_n(runs[m]['strict'][mode]['mrr'], 3)} (n {runs[m]['strict'][mode]['counted_mrr']})"
            for m in models
        ]
        out.append(f"| MRR@5, {label} | " + " | ".join(cells) + " |")
    withheld = {
        m: runs[m]["strict"]["company_withheld"] for m in models if runs[m]["strict"]["company_withheld"]
    }
    if withheld:
        out += ["", "Asked without their company (it is the answer; the lenient figure is of an answer asked with "
                "it): " + "; ".join(f"{m}: {', '.join(ids)}" for m, ids in withheld.items())]  # fmt: skip
    return out


def _gap(value: float | None, op: str, target: float) -> str:
    if value is None:
        return "–"
    met = value >= target if op == ">=" else value <= target
    return "met" if met else f"missed by {abs(value - target):.2f}"


def render(res: Json) -> str:
    quick = res.get("quick", False)
    out = [
        f"# Answer quality and latency — {res['date']}{' (quick smoke run)' if quick else ''}",
        "",
        f"Machine: {res['machine']['cores']} cores, no GPU; Python {res['machine']['python']}; "
        f"load average at start {res['machine']['load_avg_start']}, at end {res['machine'].get('load_avg_end')}.",
        "Embeddings `use-multilingual`; "
        + (
            "the fake LLM (it quotes the first passage: these figures say nothing of answer quality); "
            if quick
            else "LLMs run by llama.cpp on the CPU; "
        )
        + "hybrid retrieval (dense + BM25, RRF), "
        "top 6 passages within a 900-token budget; verification with one stricter retry, then an extractive "
        "quote or a refusal. Scoring as in `assistant/evaluate/` (the devset README's conventions): the strict "
        "scorer's figures, with the lenient scorer's beside them.",
        "",
    ]
    for name, data in res["sets"].items():
        if "skipped" in data:
            out += [f"## {name}", "", f"Skipped: {data['skipped']}", ""]
            continue
        models = list(data["runs"])
        out += [f"## {name} ({data['questions']} questions; ingest {data['ingest']['seconds']} s)", ""]
        out += ["| target | " + " | ".join(models) + " | goal |", "|---|" + "---|" * len(models) + "---|"]
        for field, label, op, target in TARGETS:
            cells = []
            for m in models:
                value = data["runs"][m]["report"][field]
                cells.append(f"{fmt_n(value, 2)} ({_gap(value, op, target)})")
            out.append(f"| {label} | " + " | ".join(cells) + f" | {op} {target:.2f} |")
        for field, label in [
            ("first_token_p50_s", "time to first token p50 (s)"),
            ("first_token_p95_s", "time to first token p95 (s)"),
            ("latency_p50_s", "total latency p50 (s)"),
            ("latency_p95_s", "total latency p95 (s)"),
        ]:
            out.append(
                f"| {label} | "
                + " | ".join(fmt_n(data["runs"][m]["report"][field], 1) for m in models)
                + " | |"
            )
        out.append("| paths | " + " | ".join(
            ", ".join(f"{k} {v}" for k, v in sorted(data["runs"][m]["report"]["paths"].items())) for m in models
        ) + " | |")  # fmt: skip
        out.append("| run time | " + " | ".join(f"{data['runs'][m]['seconds']} s" for m in models) + " | |")
        out += _scorer_table(data, models)
        out += ["", "Accuracy by category and type (correct/n, strict scorer):", ""]
        out += ["| group | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
        groups = sorted({(kind, g) for m in models for kind in ("by_category", "by_type", "by_lang")
                         for g in data["runs"][m]["report"][kind]})  # fmt: skip
        for kind, g in groups:
            cells = []
            for m in models:
                s = data["runs"][m]["report"][kind].get(g)
                cells.append(f"{s['correct']}/{s['n']}" if s else "–")
            out.append(f"| {kind[3:]}: {g} | " + " | ".join(cells) + " |")
        first = models[0]
        report = EvalReport.model_validate(data["runs"][first]["report"])
        wrong = [
            r for r in report.results if False in (r.correct, r.correct_lenient) or r.hit_company is False
        ]
        if wrong:
            out += ["", f"Wrong answers (strict or lenient) or retrieval misses with {first}:", "",
                    "| id | category | type | hit@5 given/open | path | right strict/lenient | gold | answer |",
                    "|---|---|---|---|---|---|---|---|"]  # fmt: skip
            for r in wrong:
                answer = " ".join((r.error or r.answer).split())[:140].replace("|", "\\|")
                gold = " ".join(r.gold.split())[:60].replace("|", "\\|")
                out.append(
                    f"| {r.id} | {r.category} | {r.answer_type} | {r.hit_company}/{r.hit_open} | {r.path} | "
                    f"{r.correct}/{r.correct_lenient} | {gold} | {answer} |"
                )
        out.append("")
    return "\n".join(out)


def quick_checks(res: Json) -> dict[str, bool]:
    """What a smoke run must show: the corpus ingested, every question answered without an error, with
    citations that point at stored passages."""
    data = res["sets"]["corpus"]
    checks = {"corpus: every file ingested": data["ingest"]["files"] > 0 and not data["ingest"]["failed"]}
    for model, run in data["runs"].items():
        results = run["report"]["results"]
        checks[f"{model}: {data['questions']} questions scored"] = len(results) == data["questions"] > 0
        checks[f"{model}: no question failed"] = all(r["error"] is None for r in results)
        checks[f"{model}: every citation valid"] = all(r["citations_valid"] for r in results)
        checks[f"{model}: strict and lenient figures recorded"] = set(run["scorers"]) == {
            "strict",
            "lenient",
        } and all(r["correct"] is not None and r["correct_lenient"] is not None for r in results)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=QUICK_HELP + f" (the corpus set only, {QUICK_QUESTIONS} of its questions, the fake LLM)",
    )
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"])
    parser.add_argument("--corpus-models", nargs="*", default=["qwen2.5-coder-1.5b"])
    parser.add_argument("--limit", type=int, help="first N questions of each set")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=None, help=OUT_HELP)
    args = parser.parse_args(argv)
    out_dir = results_dir(args.out_dir, args.quick)
    date = dt.date.today().isoformat()
    res: Json = {"date": date, "machine": _machine(), "sets": {}}
    if args.quick:
        res["quick"] = True
    work = Path(tempfile.mkdtemp(prefix="answers-bench-"))
    try:
        if args.quick:
            res["sets"]["devset"] = {"skipped": "`--quick` never reads the devset"}
            res["sets"]["corpus"] = _run(
                "corpus",
                ROOT / "corpus" / "_questions.jsonl",
                [QUICK_MODEL],
                args.limit or QUICK_QUESTIONS,
                work,
                llm_backend="fake",
                spread=True,
            )
        else:
            if (DEVSET / "questions.jsonl").exists():
                res["sets"]["devset"] = _run(
                    "devset", DEVSET / "questions.jsonl", args.models, args.limit, work
                )
            else:
                res["sets"]["devset"] = {"skipped": f"{DEVSET} is not available"}
            if not args.skip_corpus and args.corpus_models:
                res["sets"]["corpus"] = _run(
                    "corpus", ROOT / "corpus" / "_questions.jsonl", args.corpus_models, args.limit, work
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    text = render(res)
    if out_dir is None:
        print(text)
        print_unwritten(res)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = "_quick" if args.limit or args.quick else ""
        out = out_dir / f"answers_{date}{suffix}"
        out.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        out.with_suffix(".md").write_text(text, encoding="utf-8")
        print(text)
        print(f"wrote {out}.json and .md", file=sys.stderr)
    if args.quick and quick_failures(quick_checks(res)):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
