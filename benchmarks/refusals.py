#!/usr/bin/env python
"""How fast refusals decided in code come back, and whether every question returns within its time budget
(issue 14: "refusals decided before the LLM return in ≤ 2 s p95 (CLI warm, API); any question returns within
its time budget").

    .venv/bin/python benchmarks/refusals.py            # embedded models, the trust set (~8 min)
    .venv/bin/python benchmarks/refusals.py --quick    # smoke run (~15 s): fake models, one round; writes nothing

The questions are the project's own trust set (``corpus/_trust.jsonl``, fictional companies). Those whose
expected reason is decided in code (company_not_found, company_mismatch, several_companies,
period_not_covered) are asked ``--rounds`` times each:

1. api  — ``POST /api/ask`` to a real uvicorn server in a child process (``load.py _serve``: the sample
          corpus, the default encoder and the embedded LLM), signed in as an analyst; the server is warm
          (one question asked first), the clock is the client's, per request;
2. cli  — ``Answerer.ask`` in this process over its own store of the corpus, after one warm-up question
          (what ``assistant chat`` does between questions).

Then every other trust question (the ones the model answers or refuses after reading) is asked once in
process with the embedded model: its latency is compared with ``answer_budget_s`` — a question may overrun
its budget only by the generation step it is in (the budget stops new attempts and cuts a running one).
Each answer's reason is checked against the expected one. Writes ``benchmarks/results/refusals_<date>.json``
and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from common import (
    BENCH_DIR,
    IdleGate,
    Json,
    add_run_arguments,
    exit_status,
    finish_result,
    fmt_n,
    idle_budget,
    percentile,
    report_head,
    results_dir,
    run_section,
    section_errors,
    start_result,
    write_results,
)
from load import _basic, _free_port, _users_file, start_server, stop_server, wait_ready

import assistant  # noqa: F401 - offline environment before any model library loads

ROOT = BENCH_DIR.parent
IN_CODE = {"company_not_found", "company_mismatch", "several_companies", "period_not_covered"}
TARGET_P95_S = 2.0
SECTIONS = ("api", "cli", "budget")


def _questions() -> list[dict[str, Any]]:
    lines = (ROOT / "corpus" / "_trust.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def _stats(latencies: list[float], right: int, n: int) -> Json:
    return {
        "requests": n,
        "right_reason": right,
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 95) or 0.0, 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None,
        "target_p95_s": TARGET_P95_S,
        "met": bool(latencies) and (percentile(latencies, 95) or 0.0) <= TARGET_P95_S,
    }


def api_section(questions: list[dict[str, Any]], rounds: int, llm: str, embeddings: str) -> Json:
    work = Path(tempfile.mkdtemp(prefix="assistant-refusals-"))
    companies = sorted({q["company"] for q in _questions() if q.get("company")})
    _users_file(work / "users.toml", companies)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server, log = start_server(work, port, llm, embeddings)
    headers = _basic("analyst1")
    try:
        wait_ready(base, server, work)
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            client.post("/api/ask", json={"question": questions[0]["question"]})  # warm: sign-in, caches
            latencies: list[float] = []
            right = 0
            wrong: list[str] = []
            for _ in range(rounds):
                for q in questions:
                    t0 = time.perf_counter()
                    r = client.post("/api/ask", json={"question": q["question"], "company": q.get("company")})
                    latencies.append(time.perf_counter() - t0)
                    got = r.json().get("reason") if r.is_success else f"HTTP {r.status_code}"
                    right += got == q["reason"]
                    if got != q["reason"]:
                        wrong.append(f"{q['id']}: {got}")
        return {**_stats(latencies, right, len(latencies)), "wrong": sorted(set(wrong))}
    finally:
        stop_server(server, log)


def _services(llm: str, embeddings: str) -> Any:
    from assistant.core.services import Services
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import ingest_paths

    settings = Settings(
        store=Path(tempfile.mkdtemp(prefix="assistant-refusals-cli-")), llm_backend=llm,
        embedding_backend=embeddings,
    )  # fmt: skip
    services = Services(settings)
    ingest_paths([ROOT / "corpus"], services.store, settings)
    return services


def cli_section(services: Any, questions: list[dict[str, Any]], rounds: int) -> Json:
    answerer = services.answerer
    answerer.ask(questions[0]["question"], questions[0].get("company"))  # warm
    latencies: list[float] = []
    right = 0
    wrong: list[str] = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            try:
                got = answerer.ask(q["question"], q.get("company")).reason
            except Exception as exc:  # a flag naming an unknown company is an error, not a refusal
                got = type(exc).__name__
            latencies.append(time.perf_counter() - t0)
            right += got == q["reason"]
            if got != q["reason"]:
                wrong.append(f"{q['id']}: {got}")
    return {**_stats(latencies, right, len(latencies)), "wrong": sorted(set(wrong))}


def budget_section(services: Any, questions: list[dict[str, Any]]) -> Json:
    budget = services.settings.answer_budget_s
    rows = []
    for q in questions:
        answer = services.answerer.ask(q["question"], q.get("company"))
        rows.append(
            {"id": q["id"], "latency_s": round(answer.latency_s, 2), "path": answer.path, "reason": answer.reason,
             "over_budget_s": round(max(0.0, answer.latency_s - budget), 2)}
        )  # fmt: skip
    latencies = [r["latency_s"] for r in rows]
    return {
        "budget_s": budget,
        "questions": len(rows),
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 95) or 0.0, 2) if latencies else None,
        "max_s": max(latencies) if latencies else None,
        "over_budget": sum(r["over_budget_s"] > 0 for r in rows),
        "max_overrun_s": max((r["over_budget_s"] for r in rows), default=0.0),
        "rows": rows,
    }


def render(res: Json) -> str:
    lines = report_head(res, "Refusals decided in code, and the time budget")
    plan = res["plan"]
    lines += [
        f"Trust set: {plan['in_code']} questions refused in code × {plan['rounds']} rounds; "
        f"{plan['after_reading']} questions answered or refused after reading. Models: LLM `{plan['llm']}`, "
        f"embeddings `{plan['embeddings']}`.",
        "",
        "| where | requests | right reason | p50 | p95 | max | target p95 | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in ("api", "cli"):
        s = res.get(key) or {}
        if "error" in s or not s:
            lines.append(f"| {key} | error: {s.get('error', 'not run')} | | | | | | |")
            continue
        lines.append(
            f"| {key} | {s['requests']} | {s['right_reason']} | {fmt_n(s['p50_s'], 3)} s | {fmt_n(s['p95_s'], 3)} s "
            f"| {fmt_n(s['max_s'], 3)} s | {s['target_p95_s']} s | {'yes' if s['met'] else 'NO'} |"
        )
        if s.get("wrong"):
            lines.append(f"| | wrong reasons: {', '.join(s['wrong'])} | | | | | | |")
    b = res.get("budget") or {}
    if b and "error" not in b:
        lines += [
            "",
            f"Time budget {b['budget_s']} s over {b['questions']} questions the model reads for: latency p50 "
            f"{b['p50_s']} s, p95 {b['p95_s']} s, max {b['max_s']} s; {b['over_budget']} over the budget "
            f"(largest overrun {b['max_overrun_s']} s: the generation step running when the budget ran out).",
            "",
            "| id | latency | path | reason |",
            "|---|---|---|---|",
            *[f"| {r['id']} | {r['latency_s']} s | {r['path']} | {r['reason'] or ''} |" for r in b["rows"]],
        ]
    elif b:
        lines.append(f"\nbudget: error {b['error']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, " (fake models, one round)", 120.0, "before each section")
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds over the in-code questions (default 5)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    llm, embeddings = ("fake", "fake") if quick else ("llamacpp", "use-multilingual")
    rounds = args.rounds or (1 if quick else 5)
    trust = _questions()
    in_code = [q for q in trust if q.get("reason") in IN_CODE]
    after = [q for q in trust if q.get("reason") not in IN_CODE]
    if quick:
        after = after[:2]
    plan = {"rounds": rounds, "in_code": len(in_code), "after_reading": len(after), "llm": llm,
            "embeddings": embeddings}  # fmt: skip
    res = start_result(quick, plan)
    gate = IdleGate(idle_budget(args.wait_idle, quick, 120.0))
    started = time.perf_counter()
    run_section(res, "api", "API: POST /api/ask", lambda: api_section(in_code, rounds, llm, embeddings), gate)
    holder: dict[str, Any] = {}

    def cli() -> Json:
        holder["services"] = _services(llm, embeddings)
        return cli_section(holder["services"], in_code, rounds)

    run_section(res, "cli", "in process (CLI warm)", cli, gate)
    if "services" in holder:
        run_section(res, "budget", "time budget", lambda: budget_section(holder["services"], after), gate)
    finish_result(res, started, gate)
    write_results(res, render(res), results_dir(args.out_dir, quick), "refusals")
    failed = section_errors(res, SECTIONS)

    def checks() -> dict[str, bool]:
        return {
            "api: every in-code refusal gave its reason": res["api"]["right_reason"]
            == res["api"]["requests"],
            "cli: every in-code refusal gave its reason": res["cli"]["right_reason"]
            == res["cli"]["requests"],
            "budget: every question answered": res["budget"]["questions"] == len(after),
        }

    return exit_status(failed, quick, checks)


if __name__ == "__main__":
    sys.exit(main())
