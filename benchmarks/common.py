"""The harness every benchmark script shares: the machine it runs on, timing, CPU contention (other processes'
cores, waiting for an idle machine), memory, sections that record their time and errors, the report's head,
the ``--quick`` smoke mode and writing (or only printing) the results."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil

Json = dict[str, Any]
BENCH_DIR = Path(__file__).resolve().parent
CONTENTION_CORES = 0.3


def now() -> float:
    return time.perf_counter()


def rnd(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def per_s(count: float, seconds: float | None) -> float | None:
    return round(count / seconds, 2) if seconds else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default method); ``q`` in 0–100."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


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


# ---------------------------------------------------------------------------------------------
# the machine, its CPU and memory
# ---------------------------------------------------------------------------------------------
def machine_info(**extra: Any) -> Json:
    """Cores, CPU model, memory, Python, platform and the load average at the start (plus ``extra``)."""
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, ValueError, subprocess.CalledProcessError):
        nproc = os.cpu_count() or 0
    cpu = "unknown"
    with suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "nproc": nproc,
        "cpu_model": cpu,
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **extra,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def process_tree() -> list[psutil.Process]:
    """This process and its children (PDF workers, servers the benchmark started)."""
    me = psutil.Process()
    try:
        return [me, *me.children(recursive=True)]
    except psutil.Error:
        return [me]


def rss_mb() -> float:
    """Resident memory of this process and its children, in MB."""
    total = 0
    for proc in process_tree():
        with suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / 1e6


class RssSampler:
    """Peak RSS of the process tree, sampled every ``interval`` seconds in a daemon thread."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.start_mb = rss_mb()
        self.peak_mb = self.start_mb
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())


class CpuMonitor:
    """CPU time used by *other* processes while a measurement runs, in cores (/proc/stat minus our tree).

    The machine is shared: anything else busy on 2 cores slows the measurements badly, so every section
    reports how many cores other processes kept busy; figures with a high value are unreliable.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _own() -> float:
        total = 0.0
        for proc in process_tree():
            try:
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
        return total

    def _sample(self) -> tuple[float, float, float]:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            busy = (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            busy = float("nan")
        return now(), busy, self._own()

    def other_cores(self) -> float | None:
        (w0, b0, o0), (w1, b1, o1) = self._start, self._sample()
        if w1 <= w0 or b1 != b1:  # no time passed, or /proc/stat unreadable (NaN)
            return None
        return round(max(0.0, (b1 - b0) - (o1 - o0)) / (w1 - w0), 2)


class IdleGate:
    """Waits for other processes to leave the CPU before a timed measurement, within a run-wide budget.

    Each check samples ``window_s`` of /proc/stat; once the budget is spent, measurements go ahead
    regardless and their ``other_cores`` readings show how contended they were.
    """

    def __init__(self, budget_s: float, threshold: float = CONTENTION_CORES, window_s: float = 1.5) -> None:
        self.budget_s = budget_s
        self.threshold = threshold
        self.window_s = window_s
        self.spent_s = 0.0
        self.waits = 0

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.budget_s - self.spent_s)

    def wait(self, label: str = "") -> float | None:
        """Block until the machine is idle or the budget is spent; the last reading in cores."""
        if self.remaining_s <= 0:
            return None
        t0 = now()
        announced = False
        while True:
            mon = CpuMonitor()
            time.sleep(self.window_s)
            reading = mon.other_cores()
            busy = reading is not None and reading >= self.threshold
            if not busy or self.spent_s + (now() - t0) >= self.budget_s:
                break
            if not announced:
                print(
                    f"   machine busy ({reading} cores used by other processes){' before ' + label if label else ''}"
                    f"; waiting (budget left {self.remaining_s - (now() - t0):.0f} s) …",
                    flush=True,
                )
                announced = True
                self.waits += 1
        # the first sampling window is the price of checking, not waiting
        self.spent_s += max(0.0, now() - t0 - self.window_s)
        return reading


# ---------------------------------------------------------------------------------------------
# a run: its arguments, sections, results and exit status
# ---------------------------------------------------------------------------------------------
def add_run_arguments(
    parser: argparse.ArgumentParser, quick_help: str, wait_default: float, wait_what: str
) -> None:
    """``--quick``, ``--out-dir`` and ``--wait-idle`` (at most ``wait_default`` seconds; never in a quick run)."""
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP + quick_help)
    parser.add_argument("--out-dir", type=Path, default=None, help=OUT_HELP)
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=None,
        metavar="S",
        help=f"{wait_what} wait for other processes to leave the CPU, at most S seconds in all "
        f"(default {wait_default:.0f}, --quick 0; 0: never wait)",
    )


def start_result(quick: bool, plan: Json, **machine_extra: Any) -> Json:
    """A run's result before its sections: date, start time, quick or not, the machine and the plan."""
    res: Json = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine_info(**machine_extra),
        "plan": plan,
        "sections": {},
    }
    print(f"machine: {res['machine']}", flush=True)
    return res


def run_section(res: Json, key: str, title: str, fn: Callable[[], Json | None], gate: IdleGate) -> None:
    """Run one timed section after waiting for an idle machine: its result (or its error, the traceback
    printed) in ``res[key]`` (unless it returns None), its timing and contention in ``res["sections"]``."""
    print(f"\n== {title}", flush=True)
    spent = gate.spent_s
    before = gate.wait(f"section {key}")
    waited = gate.spent_s - spent
    mon = CpuMonitor()
    t0 = now()
    try:
        out = fn()
        if out is not None:
            res[key] = out
    except Exception as exc:
        traceback.print_exc()
        res[key] = {"error": f"{type(exc).__name__}: {exc}"}
    other = mon.other_cores()
    res["sections"][key] = {
        "seconds": rnd(now() - t0, 1),
        "waited_for_idle_s": rnd(waited, 1),
        "other_cores_before": before,
        "other_cores_during": other,
    }
    print(f"   done in {now() - t0:.1f} s (other processes used {other} cores meanwhile)", flush=True)


def finish_result(res: Json, started: float, gate: IdleGate) -> None:
    """The end of a run: the load average, the wall time and the time spent waiting for an idle machine."""
    res["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["total_s"] = rnd(now() - started, 1)
    res["idle_wait"] = {"budget_s": gate.budget_s, "spent_s": rnd(gate.spent_s, 1), "waits": gate.waits}


def write_results(res: Json, markdown: str, out_dir: Path | None, name: str) -> None:
    """Print the report; write it and the JSON to ``out_dir`` as ``{name}_{date}[_quick].{json,md}``
    (a quick run given no folder writes nothing)."""
    print("\n" + markdown)
    if out_dir is None:
        print_unwritten(res)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{name}_{res['date']}{'_quick' if res['quick'] else ''}"
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
    md_path.write_text(markdown)
    print(f"wrote {json_path}\nwrote {md_path}")


def exit_status(failed: list[str], quick: bool, checks: Callable[[], dict[str, bool]]) -> int:
    """1 if a section failed or, in a quick run without failed sections, a smoke check did; else 0."""
    if quick and not failed:
        failed = quick_failures(checks())
    if failed:
        print(f"sections with errors: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def section_errors(res: Json, keys: Sequence[str]) -> list[str]:
    """The sections among ``keys`` whose result is an error."""
    return [k for k in keys if isinstance(res.get(k), dict) and "error" in res[k]]
