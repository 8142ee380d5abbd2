"""Helpers shared by the benchmark scripts (formatting, timing, the contention warning)."""

from __future__ import annotations

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
