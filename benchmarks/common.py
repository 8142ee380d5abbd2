"""Helpers shared by the benchmark scripts (formatting, timing, the contention warning)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

Json = dict[str, Any]
BENCH_DIR = Path(__file__).resolve().parent
CONTENTION_CORES = 0.3


def now() -> float:
    return time.perf_counter()


def rnd(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds >= 90:
        return f"{seconds:.0f} s ({int(seconds // 60)} min {seconds % 60:.0f} s)"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def fmt_n(value: float | None, nd: int = 1) -> str:
    return "–" if value is None else f"{value:,.{nd}f}"


def contention_warning(res: Json) -> list[str]:
    busy = [
        f"{k} ({meta['other_cores_during']} cores)"
        for k, meta in res["sections"].items()
        if (meta["other_cores_during"] or 0) > CONTENTION_CORES
    ]
    if not busy:
        return []
    return [
        "**Warning: other processes were using the CPU during " + ", ".join(busy) + "; those figures are "
        "pessimistic (see Machine contention).**",
        "",
    ]


def report_head(res: Json, title: str, extra: str = "") -> list[str]:
    """The first lines of every benchmark report: title, machine, load averages, wall time, contention."""
    m = res["machine"]
    return [
        f"# {title} — {res['date']}{' (quick smoke run)' if res['quick'] else ''}",
        "",
        f"Machine: {m['nproc']} cores (`nproc`), {m['cpu_model']}, {m['memory_gib']} GiB RAM, no GPU; "
        f"Python {m['python']}; {extra}{m['platform']}.  ",
        f"Load average at start {m['loadavg_start']}, at end {m.get('loadavg_end')} "
        "(other work on the machine can disturb the figures).  ",
        f"Total benchmark wall time: {fmt_s(res.get('total_s'))}, of which {res['idle_wait']['spent_s']} s "
        f"waiting for other processes to leave the CPU (budget {res['idle_wait']['budget_s']:.0f} s).",
        "",
        *contention_warning(res),
    ]


# ---------------------------------------------------------------------------------------------
# --quick: every benchmark's smoke mode (``make test`` runs them all after pytest)
# ---------------------------------------------------------------------------------------------
QUICK_HELP = (
    "smoke run: the benchmark's real code paths end to end on tiny inputs in seconds (fake models where the "
    "full run's real ones are not cheap); prints the report, writes nothing unless given a folder to write to, "
    "exits non-zero if anything fails"
)
OUT_HELP = (
    "where results are written (default benchmarks/results/; with --quick: nowhere, the report is printed)"
)


def results_dir(given: Path | None, quick: bool) -> Path | None:
    """Where a run writes its results: the folder given, else ``benchmarks/results/``; a quick run given no
    folder writes nothing (its figures are not worth recording)."""
    if given is not None:
        return given
    return None if quick else BENCH_DIR / "results"


def idle_budget(given: float | None, quick: bool, default: float) -> float:
    """Seconds a run may wait for other processes to leave the CPU: never in a quick run unless given."""
    if given is not None:
        return given
    return 0.0 if quick else default


def quick_failures(checks: dict[str, bool]) -> list[str]:
    """The names of the failed smoke checks, each printed (a quick run exits non-zero when any failed)."""
    failed = [name for name, ok in checks.items() if not ok]
    for name in failed:
        print(f"quick check failed: {name}", file=sys.stderr)
    return failed


def print_unwritten(res: Json | None, flag: str = "--out-dir") -> None:
    """A quick run's report is printed only; its JSON is still serialised (a value JSON cannot hold fails)."""
    if res is not None:
        json.dumps(res, ensure_ascii=False)
    print(f"quick run: nothing written (give {flag} to keep the report)", flush=True)
