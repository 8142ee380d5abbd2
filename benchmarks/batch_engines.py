#!/usr/bin/env python
"""Batch engines: companies/minute of ``assistant batch`` (``run_batch``) rule-only (no LLM) with the local engine
(inline, 2 processes) and on an existing Ray cluster with 1 and 2 workers, in the same run, on the sample
corpus and on complete annual reports, with the time per company split by stage.

    .venv/bin/python benchmarks/batch_engines.py            # corpus ×30 (210 companies) and the 11 devset annual
                                                            # reports ×6 (66 companies), ~5 min on 2 cores
    .venv/bin/python benchmarks/batch_engines.py --quick    # smoke run (~30 s): the 7 corpus companies, every
                                                            # engine, no devset; prints the report, writes nothing

Stores (built first, not timed; fake embeddings — a batch never embeds): the corpus ingested and its 7 companies
copied under new names to ``--corpus-companies``; each annual report of ``../shared/devset/annual_reports``
(read in place, never copied; skipped cleanly when absent) ingested as a company of its own, then copied
``--report-copies`` times (chunks, facts and aliases under a new name: each copy costs what its original does).

The cluster: ``ray start --head --block --num-cpus 2`` started once (its own ports, temporary folder and token;
stopped at the end), joined by every Ray run (``ray_address``); ``workers`` = tasks at once (1 or 2). Each run
joins the cluster and its workers import the code: that start-up is in the wall time, the rate after the first
result is given apart. ``ray_2_workers_read`` lets each worker read its chunks from the store itself.

Stages per company: from each run's report (``stage_seconds``): read (chunks and facts from the store: the
driver, or the worker), build (extraction, reconciliation, checks, signals), render (JSON, Markdown, HTML), row
(summary.csv) and record (the driver writing the files); ``other`` = wall × workers / companies − those (idle
slots, shipping, scheduling, the driver's own work). The build is split further in this process by timing the
functions ``profile_from_chunks`` calls, and its hottest functions are listed (cProfile; names only).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import filecmp
import hashlib
import os
import pstats
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from common import (
    IdleGate,
    Json,
    add_run_arguments,
    exit_status,
    finish_result,
    fmt_n,
    idle_budget,
    now,
    report_head,
    results_dir,
    rnd,
    run_section,
    section_errors,
    start_result,
    write_results,
)

import assistant  # noqa: F401 - offline environment before any model library loads
from assistant.core.records import Document
from assistant.core.services import Services
from assistant.core.settings import REPO_ROOT, Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.profile.batch import BatchOptions, run_batch
from assistant.store.index import Store, Write

CORPUS = REPO_ROOT / "corpus"
REPORTS = REPO_ROOT.parent / "shared" / "devset" / "annual_reports"
TODAY = date(2024, 6, 30)
TARGET_PER_MIN = 200.0
RUNS = {  # key: (label, options)
    "local_1": ("local, inline", {"workers": 1}),
    "local_2": ("local, 2 processes", {"workers": 2}),
    "ray_1": ("Ray cluster, 1 worker", {"engine": "ray", "workers": 1}),
    "ray_2": ("Ray cluster, 2 workers", {"engine": "ray", "workers": 2}),
    "ray_2_workers_read": ("Ray cluster, 2 workers reading the store", {"engine": "ray", "workers": 2}),
}
BUILD_PARTS = {  # stage → the functions of assistant.profile.build it times
    "extract": ("extract",),
    "facts": ("shadowed_by_facts", "fact_candidates"),
    "reconcile": ("reconcile_fields",),
    "lists": ("merge_rounds", "merge_qualifications", "merge_lawsuits", "merge_patents", "customers"),
    "checks": ("run_checks",),
    "signals": ("compute_signals",),
}


# ---------------------------------------------------------------------------------------------
# stores
# ---------------------------------------------------------------------------------------------
def replicate(store: Store, originals: list[str], total: int) -> list[str]:
    """``originals`` and copies of them under new names (``<name>-NN``) up to ``total`` companies."""
    names = list(originals)
    aliases = store.aliases()
    k = 0
    while len(names) < total:
        k += 1
        writes: list[Write] = []
        for company in originals[: total - len(names)]:
            new = f"{company}-{k:02d}"
            chunks, facts = store.company_texts(company), store.facts(company)
            ids = {c.chunk_id: hashlib.sha1(f"{new}:{c.chunk_id}".encode()).hexdigest() for c in chunks}
            for doc in dict.fromkeys(c.doc for c in chunks):
                document = Document(
                    path=f"copy/{new}/{doc}",
                    doc=doc,
                    company=new,
                    sha256=hashlib.sha256(f"{new}:{doc}".encode()).hexdigest(),
                    reader="copy",
                )
                mine = [
                    c.model_copy(update={"company": new, "chunk_id": ids[c.chunk_id]})
                    for c in chunks
                    if c.doc == doc
                ]
                copied = [
                    f.model_copy(update={"company": new, "chunk_id": ids.get(f.chunk_id, f.chunk_id)})
                    for f in facts
                    if f.doc == doc
                ]
                writes.append(Write(document=document, chunks=mine, facts=copied))
            store.ledger.set_aliases(new, [new, *aliases.get(company, [])])
            names.append(new)
        store.write_documents(writes)
    return names


def build_store(
    root: Path, sources: list[tuple[Path, str | None]], total: int
) -> tuple[Settings, list[str], Json]:
    """Ingest ``sources`` (path, company: None for a folder per company) into a fresh store, then copy."""
    t0 = now()
    settings = Settings(store=root, llm_backend="fake", embedding_backend="fake")
    store = Services(settings).store
    for path, company in sources:
        report = ingest_paths([path], store, settings, company=company)
        failed = [f.error for f in report.files if f.error]
        if failed:
            raise RuntimeError(f"ingest failed: {failed[:2]}")
    originals = [c.company for c in store.companies()]
    ingest_s = now() - t0
    names = replicate(store, originals, max(total, len(originals)))
    chunks = sum(c.chunks for c in store.companies())
    info = {
        "originals": len(originals),
        "companies": len(names),
        "chunks": chunks,
        "chunks_per_company": round(chunks / len(names)),
        "ingest_s": rnd(ingest_s, 1),
        "copy_s": rnd(now() - t0 - ingest_s, 1),
    }
    return settings, names, info


# ---------------------------------------------------------------------------------------------
# the Ray cluster (as an operator starts it)
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def ray_head(cpus: int, start_s: float = 60.0) -> Iterator[tuple[str, float]]:
    """``ray start --head --block`` on free ports with a token this process joins with; (address, start s)."""
    exe = Path(sys.executable).parent / "ray"
    if not exe.exists():
        raise RuntimeError("the `ray` command is not installed")
    temp = Path(tempfile.mkdtemp(prefix="rayb-", dir="/tmp"))  # short: Ray's socket paths
    socks = [socket.socket() for _ in range(4)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    port, agent, client, dashboard = (int(s.getsockname()[1]) for s in socks)
    for s in socks:
        s.close()
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    os.environ.update(auth)  # this process is the driver
    t0 = now()
    log = temp / "head.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(exe),
                "start",
                "--head",
                "--block",
                "--port",
                str(port),
                "--num-cpus",
                str(cpus),
                "--node-ip-address",
                "127.0.0.1",
                "--temp-dir",
                str(temp / "ray"),
                "--include-dashboard",
                "false",
                "--dashboard-port",
                str(dashboard),
                "--dashboard-agent-listen-port",
                str(agent),
                "--ray-client-server-port",
                str(client),
                "--object-store-memory",
                str(256 * 1024 * 1024),
                "--disable-usage-stats",
            ],  # fmt: skip
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
            start_new_session=True,
        )
    try:
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if proc.poll() is not None or now() - t0 > start_s:
                raise RuntimeError(
                    f"`ray start --head` did not start: {log.read_text(errors='replace')[-500:]}"
                )
            time.sleep(0.2)
        yield f"127.0.0.1:{port}", now() - t0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=40)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
        for key in auth:
            os.environ.pop(key, None)
        shutil.rmtree(temp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------
def timed_batch(settings: Settings, names: list[str], out: Path, **opts: Any) -> Json:
    from assistant.profile.batch import open_store

    store = open_store(settings)
    stamps: list[float] = []
    t0 = now()
    report = run_batch(
        store,
        names,
        BatchOptions(out=out, as_of=TODAY, progress=False, **opts),
        settings,
        on_result=lambda r: stamps.append(now() - t0),
    )
    wall = now() - t0
    n = report.profiled + report.failed
    stages = report.stage_seconds
    per = {k: 1000 * v / n for k, v in stages.items()} if n else {}
    ms = {
        "read": per.get("read", 0.0),
        "open": per.get("open", 0.0),
        "build": per.get("build", 0.0),
        "render": sum(per.get(k, 0.0) for k in ("json", "markdown", "html")),
        "row": per.get("row", 0.0),
        "record": per.get("record", 0.0),
    }
    workers = report.workers or 1
    ms["other"] = max(0.0, 1000 * wall * workers / n - sum(ms.values())) if n else 0.0
    res: Json = {
        "companies": n,
        "failed": report.failed,
        "wall_s": rnd(wall, 2),
        "per_min": round(n / wall * 60, 1) if wall > 0 and n else None,
        "first_result_s": rnd(stamps[0], 2) if stamps else None,
        "workers": workers,
        "read": report.read,
        "ms_per_company": {k: round(v, 1) for k, v in ms.items()},
    }
    if len(stamps) > 1 and stamps[-1] > stamps[0]:
        res["per_min_after_first"] = round((len(stamps) - 1) / (stamps[-1] - stamps[0]) * 60, 1)
    return res


def same_outputs(a: Path, b: Path) -> bool:
    return all(
        (a / f).is_file() and (b / f).is_file() and filecmp.cmp(a / f, b / f, shallow=False)
        for f in ("profiles.jsonl", "summary.csv")
    )


def build_stages(settings: Settings, names: list[str], hot: int = 8) -> Json:
    """ms per company of each part of ``profile_from_chunks`` (its callees timed in place), and the hottest
    functions of the whole build (cProfile, own time; file and function names only)."""
    from assistant.profile import build
    from assistant.profile.batch import open_store

    store = open_store(settings)
    data = [(c, store.company_texts(c), store.facts(c)) for c in names]
    aliases = store.aliases()
    spent: dict[str, float] = dict.fromkeys(BUILD_PARTS, 0.0)
    saved: dict[str, Callable[..., Any]] = {}

    def timed(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = now()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[stage] += now() - t

        return wrapper

    for stage, fns in BUILD_PARTS.items():
        for fn in fns:
            saved[fn] = getattr(build, fn)
            setattr(build, fn, timed(stage, saved[fn]))
    try:
        t0 = now()
        for company, chunks, facts in data:
            build.profile_from_chunks(chunks, company, aliases.get(company, []), TODAY, facts=facts)
        total = now() - t0
    finally:
        for fn, original in saved.items():
            setattr(build, fn, original)
    ms = {k: round(1000 * v / len(data), 1) for k, v in spent.items()}
    ms["other"] = round(1000 * total / len(data) - sum(ms.values()), 1)
    profiler = cProfile.Profile()
    profiler.enable()
    for company, chunks, facts in data:
        build.profile_from_chunks(chunks, company, aliases.get(company, []), TODAY, facts=facts)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    whole = sum(v[2] for v in stats.values()) or 1.0
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:hot]
    hottest = [
        {"function": f"{_short(file)}:{func}", "share": round(v[2] / whole, 3), "calls": v[1]}
        for (file, _line, func), v in top
    ]
    return {
        "companies": len(data),
        "ms_per_company": ms,
        "build_ms": round(1000 * total / len(data), 1),
        "hottest": hottest,
    }


def _short(file: str) -> str:
    if "/assistant/" in file:
        return "assistant/" + file.split("/assistant/", 1)[1]
    return Path(file).name if file not in ("~",) else "builtin"


def run_dataset(
    res: Json,
    name: str,
    settings: Settings,
    names: list[str],
    address: str | None,
    work: Path,
    gate: IdleGate,
) -> None:
    """Every engine over one store; each run's outputs compared with the inline run's."""
    ref = work / f"{name}-local_1"
    for key, (label, opts) in RUNS.items():
        if "engine" in opts and address is None:
            continue
        extra = {"ray_address": address} if opts.get("engine") == "ray" else {}
        if key.endswith("workers_read"):
            extra["read"] = "workers"
        out = ref if key == "local_1" else work / f"{name}-{key}"
        run_section(
            res, f"{name}:{key}", f"{name}: {label}",
            lambda out=out, opts=opts, extra=extra: timed_batch(settings, names, out, **opts, **extra), gate,
        )  # fmt: skip
        got = res.pop(f"{name}:{key}")
        if "error" not in got:
            got["same_outputs"] = True if key == "local_1" else same_outputs(ref, out)
            if out != ref:
                shutil.rmtree(out, ignore_errors=True)
        res.setdefault(name, {})[key] = got
    run_section(
        res,
        f"{name}:build",
        f"{name}: build stages",
        lambda: build_stages(settings, names[: res["stores"][name]["originals"]]),
        gate,
    )
    res[name]["build_stages"] = res.pop(f"{name}:build")
    shutil.rmtree(ref, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
DATASETS = {"corpus": "Sample corpus", "reports": "Complete annual reports"}


def render_markdown(res: Json) -> str:
    lines = report_head(res, "Batch engines: local vs a Ray cluster (rule-only)", "machine: 2 cores; ")
    cluster = res.get("cluster") or {}
    lines += [
        f"Ray cluster: `ray start --head --num-cpus 2` started in {fmt_n(cluster.get('start_s'), 1)} s "
        f"({cluster.get('error') or 'joined by every Ray run; its start is not in any run'}). Reference date "
        f"{TODAY.isoformat()}; no LLM (rule extraction, reconciliation, checks, signals, 3 renderings).",
        "",
    ]
    for name, title in DATASETS.items():
        store = res["stores"].get(name)
        lines += [f"## {title}", ""]
        if not store or "error" in store or "skipped" in store:
            lines += [
                f"Not measured: {(store or {}).get('error') or (store or {}).get('skipped') or 'not run'}.",
                "",
            ]
            continue
        lines += [
            f"{store['companies']} companies ({store['originals']} ingested, the rest copies), "
            f"{store['chunks_per_company']} chunks per company on average; ingest {store['ingest_s']} s and "
            f"copies {store['copy_s']} s, not timed.",
            "",
            "| Run | Companies | Wall | Companies/min | after the first result | first result | Same outputs | "
            "ms per company: read / open / build / render / row / record / other |",
            "|---|---|---|---|---|---|---|---|",
        ]
        runs = res.get(name) or {}
        for key, (label, _) in RUNS.items():
            run = runs.get(key)
            if run is None:
                continue
            if "error" in run:
                lines.append(f"| {label} | error: {run['error'][:150]} | | | | | | |")
                continue
            ms = run["ms_per_company"]
            split = " / ".join(
                fmt_n(ms[k], 1) for k in ("read", "open", "build", "render", "row", "record", "other")
            )
            same = {True: "yes", False: "**no**"}.get(run.get("same_outputs"), "–")
            failed = f" ({run['failed']} failed)" if run["failed"] else ""
            lines.append(
                f"| {label} | {run['companies']}{failed} | "
                f"{run['wall_s']} s | **{fmt_n(run['per_min'], 0)}** | {fmt_n(run.get('per_min_after_first'), 0)} | "
                f"{run['first_result_s']} s | {same} | {split} |"
            )
        best = max(
            (
                r["per_min"]
                for k, r in runs.items()
                if k.endswith(("_2", "_read")) and isinstance(r, dict) and r.get("per_min")
            ),
            default=None,
        )
        if name == "reports" and best is not None:
            verdict = "meets" if best >= TARGET_PER_MIN else "**misses**"
            lines += [
                "",
                f"Best 2-worker rate {fmt_n(best, 0)} companies/minute: {verdict} the target of "
                f"≥ {TARGET_PER_MIN:.0f} on 2 cores.",
            ]
        stages = runs.get("build_stages") or {}
        if "ms_per_company" in stages:
            parts = ", ".join(f"{k} {v}" for k, v in stages["ms_per_company"].items())
            hot = "; ".join(f"`{h['function']}` {h['share']:.0%}" for h in stages["hottest"])
            lines += [
                "",
                f"Build, split (in one process, {stages['companies']} ingested companies, {stages['build_ms']} ms per "
                f"company): {parts} (ms per company). Hottest functions (own time, cProfile): {hot}.",
            ]
        lines.append("")
    lines += ["## Notes", ""] + [f"- {n}" for n in res["notes"]]
    return "\n".join(lines) + "\n"


def quick_checks(res: Json) -> dict[str, bool]:
    runs = res.get("corpus") or {}
    n = res["stores"]["corpus"]["companies"]
    checks = {
        f"{key}: every company profiled": runs.get(key, {}).get("companies") == n
        and not runs[key].get("failed")
        for key in RUNS
    }
    checks.update(
        {f"{key}: the inline run's outputs": runs.get(key, {}).get("same_outputs") is True for key in RUNS}
    )
    checks["build stages measured"] = "ms_per_company" in (runs.get("build_stages") or {})
    return checks


NOTES = [
    "companies/min = companies profiled / wall time of the run × 60: the run reads each company's chunks and facts "
    "from the store, profiles it, renders JSON, Markdown and HTML, writes 3 files and its state atomically, and "
    "rebuilds profiles.jsonl and summary.csv at the end. A Ray run also joins the cluster and its workers import "
    "the code (a new Ray job each run): 'after the first result' leaves that start-up out.",
    "ms per company: from the run's stage_seconds (summed over the workers) divided by the companies; 'other' = "
    "wall × workers / companies − the stages: slots left idle, shipping tasks and results, scheduling, the driver's "
    "own work. With 2 workers on 2 cores the driver's read and record share the cores with the workers.",
    "Same outputs: profiles.jsonl and summary.csv byte for byte equal to the inline run's.",
    "The annual reports are read in place from ../shared/devset and never copied; nothing from them is written "
    "here but counts and timings.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, " (the 7 corpus companies once; no devset)", 60.0, "before each run")
    parser.add_argument(
        "--corpus-companies", type=int, default=210, help="companies in the corpus store (default 210)"
    )
    parser.add_argument(
        "--report-copies", type=int, default=6, help="copies of each annual report (default 6)"
    )
    parser.add_argument("--reports", type=Path, default=REPORTS, help="the devset's annual_reports folder")
    parser.add_argument("--skip-ray", action="store_true", help="no Ray runs")
    args = parser.parse_args(argv)
    out_dir = results_dir(args.out_dir, args.quick)
    started = now()
    gate = IdleGate(idle_budget(args.wait_idle, args.quick, 60.0))
    corpus_total = 7 if args.quick else args.corpus_companies
    reports = (
        sorted((args.reports / "docs").glob("*"))
        if not args.quick and (args.reports / "docs").is_dir()
        else []
    )
    res = start_result(
        args.quick,
        {
            "corpus_companies": corpus_total,
            "report_copies": args.report_copies,
            "reports": len(reports),
            "llm": None,
        },
        cores="machine: 2 cores",
    )
    res.update(stores={}, notes=NOTES)
    work = Path(tempfile.mkdtemp(prefix="batch-engines-"))
    try:
        stores: dict[str, tuple[Settings, list[str]]] = {}
        sources = {"corpus": [(CORPUS, None)], "reports": [(p, _report_company(p)) for p in reports]}
        for name, items in sources.items():
            if not items:
                res["stores"][name] = {
                    "skipped": "the quick run reads no devset"
                    if args.quick
                    else f"{args.reports} is not available"
                }
                continue
            total = corpus_total if name == "corpus" else len(items) * args.report_copies
            run_section(
                res,
                f"store:{name}",
                f"build the {name} store",
                lambda items=items, total=total, name=name: _store(stores, name, work, items, total),
                gate,
            )
            res["stores"][name] = res.pop(f"store:{name}")
        with contextlib.ExitStack() as stack:
            address = None
            if not args.skip_ray:
                try:
                    address, start_s = stack.enter_context(ray_head(2))
                    res["cluster"] = {"start_s": rnd(start_s, 1), "cpus": 2}
                except Exception as exc:  # Ray cannot start here: the local engines are still measured
                    res["cluster"] = {"error": f"{type(exc).__name__}: {exc}"[:400]}
            for name, (settings, names) in stores.items():
                run_dataset(res, name, settings, names, address, work, gate)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish_result(res, started, gate)
    write_results(res, render_markdown(res), out_dir, "batch_engines")
    failed = section_errors(res, [f"store:{n}" for n in DATASETS]) + [
        f"{name}:{key}"
        for name in DATASETS
        for key, run in (res.get(name) or {}).items()
        if isinstance(run, dict) and "error" in run
    ]
    if args.quick and "error" in (res.get("cluster") or {}):
        failed.append("cluster")
    return exit_status(failed, args.quick, lambda: quick_checks(res))


def _report_company(path: Path) -> str:
    """A company per report: the stock code and the fiscal year of the file name (000915_…_2016_zh.pdf)."""
    parts = path.stem.split("_")
    year = next((p for p in parts if p.isdigit() and len(p) == 4), "")
    return f"{parts[0]}-{year}"


def _store(
    stores: dict[str, tuple[Settings, list[str]]],
    name: str,
    work: Path,
    items: list[tuple[Path, str | None]],
    total: int,
) -> Json:
    settings, names, info = build_store(work / f"store-{name}", items, total)
    stores[name] = (settings, names)
    print(f"   {info}", flush=True)
    return info


if __name__ == "__main__":
    sys.exit(main())
