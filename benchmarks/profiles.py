#!/usr/bin/env python
"""Batch profile benchmark: companies/minute of ``run_batch`` (``assistant batch``) without and with the
LLM summary, for the ``local`` and ``ray`` engines, and peak memory.

Runs on the target machine (2 cores, no GPU) and writes ``benchmarks/results/profiles_<YYYY-MM-DD>.json``
and ``.md``, and prints the table.

    .venv/bin/python benchmarks/profiles.py                 # ~210 companies; 3 with the LLM (~5-10 min)
    .venv/bin/python benchmarks/profiles.py --quick         # smoke run (~15 s): 7 companies, 1 with the fake LLM,
                                                            # every engine (Ray too); prints the report, writes nothing
    .venv/bin/python benchmarks/profiles.py --skip-llm      # rule profiles only (~2 min)

The store: the 7 sample-corpus companies replicated under new names (``栖云智算`` → ``栖云智算07``; the
name is replaced in the text too, so each copy is a company of its own with its own aliases) to
``--companies`` companies. The corpus is read (PDF parsing) once; each copy's documents are chunked and
written with the ``fake`` embeddings — which does not change what is measured, since a batch profile makes no
embedding call (the driver reads chunk texts, never vectors; ``tests/profile/test_profile_speed.py`` asserts
no embed call).

Sections, each with wall time, companies/minute, the ratio to the baseline measured in the same run, peak
RSS of the benchmark process and all its children (Ray's raylet, GCS and workers included; psutil, every
0.1 s), the CPU other processes used meanwhile, and whether the outputs equal the ``local_1`` run's:

  baseline          the plain loop a caller would write: ``build_profile`` + JSON / Markdown / HTML rendering
                    per company, in this process, no files (the ratio base)
  local_1           ``run_batch`` inline (workers=1): also reads chunks, writes 3 files + state per company,
                    rebuilds profiles.jsonl and summary.csv
  local_2_process   workers=2, a process pool (forkserver; workers never open Chroma)
  local_2_thread    workers=2, a thread pool (the GIL: expected no faster than inline)
  ray_2             workers=2, Ray tasks on a local Ray cluster started and stopped by the run; the rate is
                    given with and without the cluster's start-up (time to the first result)
  resume            local_1's folder again: every company already done (the cost of a resumed run)

With the LLM (the default ``qwen2.5-coder-1.5b`` through llama.cpp, or ``--model``) on ``--llm-companies``
companies: ``llm_local_1`` (inline, llama.cpp threads=2) and ``llm_ray_2`` (2 Ray workers, threads=1 each,
each loading the model), with the summary path of each company (verified / retried / template).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import filecmp
import gc
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from common import (
    CONTENTION_CORES,
    OUT_HELP,
    QUICK_HELP,
    CpuMonitor,
    IdleGate,
    Json,
    RssSampler,
    fmt_n,
    fmt_s,
    idle_budget,
    machine_info,
    now,
    print_unwritten,
    process_tree,
    quick_failures,
    report_head,
    results_dir,
    rnd,
    rss_mb,
)

import assistant  # noqa: F401 - sets the offline environment variables before any model library loads
from assistant.core.settings import REPO_ROOT, Settings

CORPUS = REPO_ROOT / "corpus"
TODAY = dt.date(2024, 6, 30)
TARGET_PER_MIN = 200.0
QUICK_COMPANIES = 7  # the corpus companies once
LLM_PICKS = ("栖云智算", "Brightfold", "绿湃储能", "Tessavolt", "知衡软件", "Lumenaut", "铖泰精密")


# ---------------------------------------------------------------------------------------------
# the generated store
# ---------------------------------------------------------------------------------------------
def build_store(root: Path, companies: int) -> tuple[Any, Settings, list[str], Json]:
    """The corpus companies replicated under new names to ``companies`` companies (fake embeddings)."""
    from assistant.core.services import Services
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.pipeline import _learn_aliases
    from assistant.ingest.quality import quality_score
    from assistant.ingest.readers import read_document

    t0 = now()
    settings = Settings(store=root / "store", llm_backend="fake", embedding_backend="fake")
    store = Services(settings).store
    originals = []
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        docs = [
            read_document(f, folder.name)
            for f in sorted(folder.iterdir())
            if f.is_file() and not f.name.startswith(("_", "."))
        ]
        originals.append((folder.name, docs))
    read_s = now() - t0
    copies = -(-companies // len(originals))
    names: list[str] = []
    documents = chunks = 0
    for k in range(copies):
        for name, docs in originals:
            if len(names) >= companies:
                break
            new = f"{name}{k:02d}"
            for doc in docs:
                pages = [p.model_copy(update={"text": p.text.replace(name, new)}) for p in doc.pages]
                sha = hashlib.sha256(f"{doc.sha256}:{new}".encode()).hexdigest()
                copy = doc.model_copy(update={"company": new, "pages": pages, "sha256": sha})
                pieces = chunk_document(copy, settings.chunk_chars, settings.chunk_overlap_chars)
                store.write_document(copy, pieces, quality=quality_score(copy))
                _learn_aliases(copy, store)
                documents += 1
                chunks += len(pieces)
            names.append(new)
    info = {
        "companies": len(names),
        "documents": documents,
        "chunks": chunks,
        "corpus_read_s": rnd(read_s, 2),
        "build_s": rnd(now() - t0, 1),
        "copies_per_corpus_company": copies,
    }
    return store, settings, names, info


# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------
class TreeCpu:
    """CPU seconds of this process and every descendant, sampled every ``interval`` s in a thread and kept per
    process after it exits (pool workers and Ray's processes exit before the run ends; a process's CPU after
    its last sample, < interval, is missed)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.last: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        for proc in process_tree():
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                self.last[(proc.pid, proc.create_time())] = t.user + t.system

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeCpu:
        self._sample()
        self.base = dict(self.last)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(v - self.base.get(k, 0.0) for k, v in self.last.items())


def measure(fn: Callable[[], Json]) -> Json:
    """Run ``fn`` with the RSS sampler and the CPU meters around it."""
    gc.collect()
    mon = CpuMonitor()
    with RssSampler() as rss, TreeCpu() as cpu:
        t0 = now()
        out = fn()
        wall = now() - t0
    (w0, busy0, _), (w1, busy1, _) = mon._start, mon._sample()
    span = w1 - w0
    own = cpu.seconds / span if span > 0 else None
    other = max(0.0, (busy1 - busy0) - cpu.seconds) / span if span > 0 and busy1 == busy1 else None
    out.update(
        wall_s=rnd(wall, 3),
        peak_rss_mb=round(rss.peak_mb),
        start_rss_mb=round(rss.start_mb),
        other_cores_during=rnd(other, 2),
        own_cores=rnd(own, 2),
    )
    count = out.get("companies_done", 0)
    out["per_min"] = round(count / wall * 60, 1) if wall > 0 and count else None
    return out


def bench_baseline(store: Any, names: list[str]) -> Json:
    from assistant.profile import build_profile
    from assistant.profile.render import render

    def run() -> Json:
        size = 0
        for company in names:
            profile = build_profile(store, company, today=TODAY)
            size += sum(len(render(profile, fmt)) for fmt in ("json", "md", "html"))  # type: ignore[arg-type]
        return {"companies_done": len(names), "rendered_mb": round(size / 1e6, 1)}

    return measure(run)


def bench_batch(
    store: Any, names: list[str] | None, out: Path, settings: Settings | None = None, **opts: Any
) -> Json:
    from assistant.profile.batch import BatchOptions, run_batch

    stamps: list[float] = []
    seconds: list[float] = []

    def run() -> Json:
        t0 = now()
        report = run_batch(
            store,
            names,
            BatchOptions(out=out, as_of=TODAY, progress=False, **opts),
            settings,
            on_result=lambda r: (stamps.append(now() - t0), seconds.append(r.seconds)),
        )
        return {
            "companies_done": report.profiled + report.failed,
            "profiled": report.profiled,
            "skipped": report.skipped,
            "failed": report.failed,
            "failures": dict(list(report.failures.items())[:5]),
            "summary_paths": report.summary_paths,
        }

    res = measure(run)
    if res["companies_done"] == 0 and res.get("skipped"):
        res["per_min"] = round(res["skipped"] / res["wall_s"] * 60, 1) if res["wall_s"] else None
    if stamps:
        res["first_result_s"] = rnd(stamps[0], 2)
        if len(stamps) > 1 and stamps[-1] > stamps[0]:
            res["per_min_after_first"] = round((len(stamps) - 1) / (stamps[-1] - stamps[0]) * 60, 1)
        res["task_s_mean"] = rnd(sum(seconds) / len(seconds), 3)
        res["task_s_max"] = rnd(max(seconds), 3)
    return res


def release_models() -> None:
    """Drop the LLM an inline run loaded in this process (so the next section's peak RSS is its own)."""
    from assistant.models import llm
    from assistant.profile import batch

    batch._SUMMARIZERS.clear()
    llm._LOADED.clear()
    gc.collect()


def same_outputs(a: Path, b: Path) -> bool:
    files = ["profiles.jsonl", "summary.csv"]
    if not all((a / f).is_file() and (b / f).is_file() for f in files):
        return False
    if not all(filecmp.cmp(a / f, b / f, shallow=False) for f in files):
        return False
    cmp = filecmp.dircmp(a / "reports", b / "reports")
    return not (
        cmp.left_only
        or cmp.right_only
        or filecmp.cmpfiles(a / "reports", b / "reports", cmp.common, shallow=False)[1]
    )


def summary_details(out: Path) -> list[Json]:
    rows = []
    for state in sorted((out / "state").glob("*.json")):
        data = json.loads(state.read_text(encoding="utf-8"))
        rows.append(
            {
                "company": data["company"],
                "status": data["status"],
                "seconds": data["seconds"],
                "summary_path": data.get("summary_path"),
                "problems": data.get("summary_problems", [])[:2],
                "error": data.get("error"),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
LABELS = {
    "baseline": "baseline: build_profile + render loop (no files)",
    "local_1": "local, inline (workers=1)",
    "local_2_process": "local, 2 processes",
    "local_2_thread": "local, 2 threads",
    "ray_2": "ray, 2 workers (incl. cluster start)",
    "resume": "resume: all already done",
    "llm_local_1": "LLM summary, local inline (threads=2)",
    "llm_ray_2": "LLM summary, ray 2 workers (threads=1 each)",
}


def render_markdown(res: Json) -> str:
    lines = [
        *report_head(res, "Batch profile benchmark"),
    ]
    store = res.get("store") or {}
    if "error" in store:
        lines += [f"Store generation failed: {store['error']}", ""]
    else:
        lines += [
            f"Store: {store.get('companies')} companies ({store.get('documents')} documents, {store.get('chunks')} "
            f"chunks) — the 7 corpus companies × {store.get('copies_per_corpus_company')} under new names, written "
            f"with the fake embeddings in {fmt_s(store.get('build_s'))} (a batch profile makes no embedding call). "
            f"Reference date {TODAY.isoformat()}.",
            "",
        ]
    base = (res.get("baseline") or {}).get("per_min")
    lines += [
        "## Without the LLM (rule extraction + reconciliation + checks + signals + 3 renderings)",
        "",
        "| Run | Companies | Wall | Companies/min | vs baseline | Peak RSS (tree) | Cores: ours / others | "
        "Same outputs | Notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in ("baseline", "local_1", "local_2_process", "local_2_thread", "ray_2", "resume"):
        lines.append(_row(key, res.get(key), base))
    best = max(
        (
            res[k]["per_min"]
            for k in ("local_1", "local_2_process", "local_2_thread", "ray_2")
            if isinstance(res.get(k), dict) and res[k].get("per_min")
        ),
        default=None,
    )
    if best is not None:
        verdict = "meets" if best >= TARGET_PER_MIN else "**misses**"
        lines += [
            "",
            f"Best batch rate {fmt_n(best, 0)} companies/minute: {verdict} the target of "
            f"≥ {TARGET_PER_MIN:.0f} companies/minute on 2 cores.",
        ]
    lines += ["", "## With the LLM summary", ""]
    if res.get("llm_note"):
        lines += [res["llm_note"], ""]
    else:
        model = (
            "The fake LLM"
            if res.get("llm_model") == "fake"
            else f"Model {res.get('llm_model')} via llama.cpp"
        )
        lines += [
            f"{model}; {res.get('llm_companies')} companies: {', '.join(res.get('llm_names', []))}.",
            "",
            "| Run | Companies | Wall | Companies/min | vs no-LLM inline | Peak RSS (tree) | Cores: ours / "
            "others | Summary paths | Notes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        no_llm = (res.get("local_1") or {}).get("per_min")
        for key in ("llm_local_1", "llm_ray_2"):
            lines.append(_row(key, res.get(key), no_llm, llm=True))
        for key in ("llm_local_1", "llm_ray_2"):
            for d in (res.get(key) or {}).get("details", []):
                problems = "; ".join(d["problems"]) if d["problems"] else ""
                lines.append(
                    f"- {key} · {d['company']}: {d['summary_path'] or d['status']} in {d['seconds']:.1f} s"
                    + (f" — {problems[:200]}" if problems else "")
                )
    lines += ["", "## Notes", ""] + [f"- {n}" for n in res["notes"]]
    return "\n".join(lines) + "\n"


def _row(key: str, run: Json | None, base: float | None, llm: bool = False) -> str:
    label = LABELS[key]
    if run is None:
        return f"| {label} | not run | | | | | | | |"
    if "error" in run:
        return f"| {label} | error: {run['error'][:160]} | | | | | | | |"
    ratio = "–"
    if run.get("per_min") and base and key != "resume":
        factor = run["per_min"] / base
        ratio = f"{factor:.2f}×" if factor >= 0.05 else f"1/{1 / factor:,.0f}"
    count = run.get("companies_done") or run.get("skipped", 0)
    notes = []
    if run.get("first_result_s") is not None and key.startswith(("ray", "llm")):
        notes.append(f"first result after {run['first_result_s']} s")
    if run.get("per_min_after_first"):
        notes.append(f"{fmt_n(run['per_min_after_first'], 1)}/min after the first")
    if run.get("failed"):
        notes.append(f"{run['failed']} failed")
    if run.get("rendered_mb"):
        notes.append(f"{run['rendered_mb']} MB rendered")
    same = {True: "yes", False: "**no**", None: "–"}[run.get("same_outputs")]
    paths = (
        ", ".join(f"{n} {p}" for p, n in sorted((run.get("summary_paths") or {}).items())) if llm else same
    )
    return (
        f"| {label} | {count} | {fmt_s(run.get('wall_s'))} | {fmt_n(run.get('per_min'), 1 if llm else 0)} | {ratio} | "
        f"{fmt_n(run.get('peak_rss_mb'), 0)} MB (start {fmt_n(run.get('start_rss_mb'), 0)}) | "
        f"{run.get('own_cores')} / {run.get('other_cores_during')} | {paths} | {'; '.join(notes)} |"
    )


def run_section(res: Json, key: str, title: str, fn: Callable[[], Json], gate: IdleGate) -> None:
    print(f"\n== {title}", flush=True)
    spent = gate.spent_s
    before = gate.wait(f"section {key}")
    t0 = now()
    try:
        res[key] = fn()
    except Exception as exc:
        traceback.print_exc()
        res[key] = {"error": f"{type(exc).__name__}: {exc}"}
    other = res[key].get("other_cores_during") if isinstance(res[key], dict) else None
    res["sections"][key] = {
        "seconds": rnd(now() - t0, 1),
        "waited_for_idle_s": rnd(gate.spent_s - spent, 1),
        "other_cores_before": before,
        "other_cores_during": other,
    }
    run = res[key]
    print(
        f"   {run.get('per_min')} companies/min, wall {run.get('wall_s')} s, peak RSS {run.get('peak_rss_mb')} MB, "
        f"other cores {other}"
        if "error" not in run
        else f"   error: {run['error']}",
        flush=True,
    )


def quick_checks(res: Json) -> dict[str, bool]:
    """What a smoke run must show besides running without an error: every company profiled by every engine
    with the same outputs, none left for the resumed run, and a summary for each LLM company."""
    n = res["store"]["companies"]
    checks: dict[str, bool] = {"baseline: every company profiled": res["baseline"]["companies_done"] == n}
    for key in ("local_1", "local_2_process", "local_2_thread", "ray_2"):
        if key in res:
            checks[f"{key}: every company profiled"] = res[key]["profiled"] == n and not res[key]["failed"]
            checks[f"{key}: the same outputs as local_1"] = res[key].get("same_outputs") is True
    checks["resume: every company already done"] = (
        res["resume"]["skipped"] == n and not res["resume"]["profiled"]
    )
    for key in ("llm_local_1", "llm_ray_2"):
        if key in res:
            details = res[key].get("details", [])
            checks[f"{key}: a summary for every company"] = res[key]["profiled"] == res[
                "llm_companies"
            ] == len(details) > 0 and all(d["summary_path"] for d in details)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=QUICK_HELP + " (7 companies, 1 with the LLM summary by the fake LLM)",
    )
    parser.add_argument(
        "--companies", type=int, default=None, help="companies in the generated store (default 210)"
    )
    parser.add_argument(
        "--llm-companies", type=int, default=None, help="companies profiled with the LLM (default 3)"
    )
    parser.add_argument(
        "--model", default=None, help="embedded model for the LLM runs (default the settings' model)"
    )
    parser.add_argument("--skip-llm", action="store_true", help="no LLM runs")
    parser.add_argument("--skip-ray", action="store_true", help="no Ray runs")
    parser.add_argument("--out-dir", type=Path, default=None, help=OUT_HELP)
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=None,
        metavar="S",
        help="before each section wait for other processes to leave the CPU, at most S seconds in all "
        "(default 60, --quick 0; 0: never wait)",
    )
    args = parser.parse_args(argv)
    companies = args.companies or (QUICK_COMPANIES if args.quick else 210)
    llm_count = args.llm_companies if args.llm_companies is not None else (1 if args.quick else 3)
    out_dir = results_dir(args.out_dir, args.quick)

    started = now()
    gate = IdleGate(idle_budget(args.wait_idle, args.quick, 60.0))
    res: Json = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine_info(),
        "plan": {
            "companies": companies,
            "llm_companies": 0 if args.skip_llm else llm_count,
            "reference_date": TODAY.isoformat(),
            "ray": not args.skip_ray,
        },
        "sections": {},
        "notes": [
            "companies/min = companies worked on (ok or failed; not skipped) / wall time of the run × 60; the "
            "batch runs include reading the chunks from the store, rendering JSON, Markdown and HTML, and writing "
            "3 files + 1 state file per company atomically, then profiles.jsonl and summary.csv.",
            "The baseline is measured in the same run on the same store: build_profile + the three renderings per "
            "company in one process, writing nothing. Ratios are against it (no-LLM) or against local_1 (LLM).",
            "Peak RSS covers the benchmark process and all its children (process-pool workers; Ray's GCS, raylet, "
            "agents and workers), sampled every 0.1 s; 'start' is the RSS when the section began.",
            "The store uses the fake embeddings: the batch path never embeds (the driver reads chunk texts with "
            "Chroma's get, no vectors), so the embedding model would not change the figures; it would only make the "
            "store slower to build.",
            "Ray runs start a local cluster (num_cpus=workers, no dashboard, usage statistics off, 127.0.0.1) and "
            "stop it; its start-up is in the wall time, and the rate after the first result is given apart.",
            "Cores: ours = CPU time of the benchmark's process tree / wall time (2 = both cores busy with the "
            "run); others = CPU other processes used meanwhile (the machine is shared; > "
            f"{CONTENTION_CORES} marks a section as disturbed). A pool of 2 workers can only be ~2× inline when "
            "ours can reach 2. Both are sampled every 0.1 s per process (pool workers and Ray's processes "
            "exit before the run ends).",
        ],
    }
    print(f"machine: {res['machine']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="profiles-bench-"))
    try:
        print(f"\n== 0. generate a store of {companies} companies", flush=True)
        try:
            store, settings, names, info = build_store(work, companies)
            res["store"] = info
            print(f"   {info}", flush=True)
        except Exception as exc:
            traceback.print_exc()
            res["store"] = {"error": f"{type(exc).__name__}: {exc}"}
            names = []
        if names:
            run_section(res, "baseline", "1. baseline loop", lambda: bench_baseline(store, names), gate)
            ref = work / "local_1"
            run_section(res, "local_1", "2. local inline", lambda: bench_batch(store, None, ref), gate)
            runs = [
                ("local_2_process", "3. local, 2 processes", {"workers": 2, "pool": "process"}),
                ("local_2_thread", "4. local, 2 threads", {"workers": 2, "pool": "thread"}),
            ]
            if not args.skip_ray:
                runs.append(("ray_2", "5. ray, 2 workers", {"workers": 2, "engine": "ray"}))
            for key, title, opts in runs:
                out = work / key
                run_section(
                    res, key, title, lambda out=out, opts=opts: bench_batch(store, None, out, **opts), gate
                )
                if isinstance(res.get(key), dict) and "error" not in res[key]:
                    res[key]["same_outputs"] = same_outputs(ref, out)
                shutil.rmtree(out, ignore_errors=True)
            if isinstance(res.get("local_1"), dict) and "error" not in res["local_1"]:
                res["local_1"]["same_outputs"] = True
            run_section(
                res,
                "resume",
                "6. resume: everything already done",
                lambda: bench_batch(store, None, ref),
                gate,
            )

            if args.skip_llm or llm_count < 1:
                res["llm_note"] = "Not run (`--skip-llm`)."
            else:
                picks = [f"{p}00" for p in LLM_PICKS][:llm_count]
                # a quick run's summaries are written by the fake LLM (the path, not the model, is smoke-tested)
                backend = "fake" if args.quick else "llamacpp"
                llm_settings = settings.model_copy(
                    update={"llm_backend": backend, "llm_model": args.model or Settings().llm_model}
                )
                res.update(
                    llm_model=llm_settings.llm_model if backend == "llamacpp" else "fake",
                    llm_companies=len(picks),
                    llm_names=picks,
                )
                for key, title, opts in (
                    ("llm_local_1", "7. LLM summary, local inline", {"workers": 1}),
                    ("llm_ray_2", "8. LLM summary, ray 2 workers", {"workers": 2, "engine": "ray"}),
                ):
                    if opts.get("engine") == "ray" and args.skip_ray:
                        continue
                    out = work / key
                    run_section(
                        res,
                        key,
                        title,
                        lambda out=out, opts=opts: bench_batch(
                            store, picks, out, llm_settings, summary=True, **opts
                        ),
                        gate,
                    )
                    if isinstance(res.get(key), dict) and "error" not in res[key]:
                        res[key]["details"] = summary_details(out)
                        res[key]["rss_after_mb"] = round(rss_mb())
                    release_models()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    res["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["total_s"] = rnd(now() - started, 1)
    res["idle_wait"] = {"budget_s": gate.budget_s, "spent_s": rnd(gate.spent_s, 1)}
    markdown = render_markdown(res)
    if out_dir is None:
        print("\n" + markdown)
        print_unwritten(res)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"profiles_{res['date']}{'_quick' if args.quick else ''}"
        json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
        json_path.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        md_path.write_text(markdown, encoding="utf-8")
        print("\n" + markdown)
        print(f"wrote {json_path}\nwrote {md_path}")
    failed = [k for k, v in res.items() if isinstance(v, dict) and "error" in v]
    if args.quick and not failed:
        failed = quick_failures(quick_checks(res))
    if failed:
        print(f"sections with errors: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
