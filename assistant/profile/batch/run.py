"""The driver of a batch: :func:`run_batch` reads each company's chunks from its one store as it submits the
task (or, with ``read="workers"``, lets each worker read them), runs the tasks on an engine (inline, a local
pool, or Ray: a private local cluster or an existing one at ``ray_address``), and alone records each result in
the output folder as it arrives."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from assistant.core.errors import InputError
from assistant.core.names import safe_name
from assistant.profile.batch.engines import Job, Pool, run_inline, run_pool
from assistant.profile.batch.files import BatchRun, FolderLock, write_atomic
from assistant.profile.batch.ray_engine import RayCluster, run_ray
from assistant.profile.batch.reading import company_data, fingerprints
from assistant.profile.batch.task import CompanyResult, Task, failed_row, one_line

if TYPE_CHECKING:
    from assistant.core.records import Chunk, Fact
    from assistant.core.settings import Settings
    from assistant.store.index import Store

Engine = Literal["local", "ray"]
Reader = Literal["driver", "workers"]
STAGES = ("open", "read", "build", "summary", "json", "markdown", "html", "row", "record")


class BatchReport(BaseModel):
    """What a batch run did (also written to DIR/batch.json)."""

    out: str
    engine: str
    workers: int
    summary: bool
    reference_date: str
    companies: int = Field(0, description="Companies in this run's list.")
    profiled: int = Field(0, description="Profiled by this run (status ok).")
    skipped: int = Field(0, description="Already done by an earlier run (same documents and options).")
    failed: int = Field(0, description="Failed in this run (recorded with their error; retried next run).")
    failures: dict[str, str] = Field(default_factory=dict, description="Company → error.")
    summary_paths: dict[str, int] = Field(
        default_factory=dict, description="verified / retried / template counts."
    )
    seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds per stage summed over the companies this run worked on: open (the store, by each "
        "worker once, when workers read), read (chunks and facts, by the driver or the workers), build "
        "(extract, reconcile, checks, signals), summary, json, markdown, html, row (the summary.csv row), "
        "record (the driver writing the files).",
    )
    read: str = Field("driver", description="Who read the chunks: the driver, or the workers.")
    ray_address: str | None = Field(None, description="The Ray cluster joined (engine ray); None: local.")
    cluster: dict[str, float] = Field(
        default_factory=dict, description="Ray: the cluster's CPUs and live nodes when the run started."
    )
    companies_per_minute: float | None = Field(
        None, description="Companies this run worked on (ok or failed; not skipped) per minute of wall time."
    )
    started_at: str = ""
    finished_at: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0


# ---- the driver ---------------------------------------------------------------------------------------------
@dataclass
class BatchOptions:
    """How to run a batch."""

    out: Path
    workers: int = 1
    engine: Engine = "local"
    summary: bool = False
    as_of: date | None = None
    force: bool = False
    pool: Pool = "process"
    progress: bool | None = None  # None: a progress bar when stderr is a terminal
    ray_address: str | None = None  # engine ray: join this cluster (None: start a private local one)
    read: Reader = (
        "driver"  # who reads each company's chunks: the driver (shipped in the task) or the workers
    )


def _check(options: BatchOptions, settings: Settings | None) -> None:
    if options.engine not in ("local", "ray"):
        raise InputError(f"unknown engine '{options.engine}' (local or ray)")
    if options.ray_address and options.engine != "ray":
        raise InputError("a Ray cluster address needs --engine ray")
    if options.workers < (0 if options.ray_address else 1):
        raise InputError("--workers must be at least 1")
    if options.read not in ("driver", "workers"):
        raise InputError(f"unknown reader '{options.read}' (driver or workers)")
    if options.summary and settings is None:
        raise InputError("a summary needs the settings of the LLM")
    if options.read == "workers" and settings is None:
        raise InputError("reading in the workers needs the store's settings")


def _llm_settings(options: BatchOptions, settings: Settings | None) -> dict[str, Any] | None:
    """The settings a worker builds its summary LLM from (its share of the threads), or None."""
    if not options.summary or settings is None:
        return None
    if options.workers == 0:  # a cluster's every CPU: one task per CPU, one thread each
        threads = 1
    else:
        threads = max(1, settings.threads // options.workers) if options.workers > 1 else settings.threads
    return settings.model_copy(update={"threads": threads}).model_dump(mode="json")


def _signature(options: BatchOptions, settings: Settings | None) -> dict[str, Any]:
    """The options a company's state must match to count as done: reference date and summary model."""
    summary = None
    if options.summary and settings is not None:
        from assistant.models.llm import model_label

        summary = model_label(settings)
    return {"as_of": options.as_of.isoformat() if options.as_of else None, "summary": summary}


def _failed(company: str, error: str) -> CompanyResult:
    """A result known without running: the company could not be resolved or read."""
    return CompanyResult(
        company=company,
        name=safe_name(company, "company"),
        status="failed",
        error=error,
        row=failed_row(company, error),
    )


def _inline(options: BatchOptions, todo: Sequence[str]) -> bool:
    return options.engine == "local" and (options.workers <= 1 or len(todo) <= 1)


def _jobs(
    store: Store,
    todo: Sequence[str],
    unresolved: dict[str, str],
    today: date,
    options: BatchOptions,
    settings: Settings | None,
    by_workers: bool,
) -> Iterator[Job]:
    """The unresolved names as failed results, then one task per company (its chunks read as it is
    submitted, so memory holds only the tasks in flight; or, read by the workers, the store's settings)."""
    aliases = store.aliases()
    llm_settings = _llm_settings(options, settings)
    store_settings = settings.model_dump(mode="json") if by_workers and settings is not None else None
    for company, error in unresolved.items():
        yield _failed(company, error)
    for company in todo:
        chunks: list[Chunk] = []
        facts: list[Fact] = []
        timings: dict[str, float] = {}
        if store_settings is None:
            started = time.perf_counter()
            try:
                chunks, facts = company_data(store, company)
            except Exception as exc:  # the store could not be read for this company
                yield _failed(company, f"cannot read its chunks: {one_line(exc)}")
                continue
            timings["read"] = round(time.perf_counter() - started, 5)
        yield Task(
            company=company,
            aliases=aliases.get(company, []),
            chunks=chunks,
            facts=facts,
            today=today.isoformat(),
            summary=options.summary,
            settings=llm_settings,
            name=safe_name(company, "company"),
            store=store_settings,
            timings=timings,
        )


def _engine(
    jobs: Iterator[Job], options: BatchOptions, todo: Sequence[str], cluster: RayCluster
) -> Iterator[CompanyResult]:
    if options.engine == "ray":
        return run_ray(jobs, cluster)
    if not _inline(options, todo):
        return run_pool(jobs, options.workers, options.pool)
    return run_inline(jobs)


def _progress_bar(options: BatchOptions, total: int, skipped: int) -> Any:
    """A tqdm bar on stderr (by default only when stderr is a terminal and this is the main thread), or None."""
    main_thread = threading.current_thread() is threading.main_thread()
    show = options.progress if options.progress is not None else sys.stderr.isatty() and main_thread
    if not show or not total:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="company",
        file=sys.stderr,
        dynamic_ncols=True,
        desc=f"profiles ({skipped} already done)" if skipped else "profiles",
    )


def _count(report: BatchReport, result: CompanyResult) -> None:
    for stage, seconds in result.timings.items():
        report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + seconds
    if result.status == "ok":
        report.profiled += 1
        if result.summary_path:
            report.summary_paths[result.summary_path] = report.summary_paths.get(result.summary_path, 0) + 1
    else:
        report.failed += 1
        report.failures[result.company] = result.error or ""


def run_batch(
    store: Store,
    companies: Sequence[str] | None,
    options: BatchOptions | Path | str,
    settings: Settings | None = None,
    unresolved: dict[str, str] | None = None,
    on_result: Callable[[CompanyResult], None] | None = None,
    on_done: Callable[[CompanyResult], None] | None = None,
) -> BatchReport:
    """Profile ``companies`` (None: every company in the store) into ``options.out`` (a bare path: the
    output folder with the default options).

    ``unresolved`` (name → error) are names that matched no stored company: recorded as failed rows.
    ``on_result`` (or its alias ``on_done``) is called after each company is recorded — a progress hook for
    the web app, and tests use it to kill a run part-way.
    """
    if not isinstance(options, BatchOptions):
        options = BatchOptions(out=Path(options))
    on_result = on_result or on_done
    _check(options, settings)
    started, wall = datetime.now(), time.perf_counter()
    today = options.as_of or date.today()
    unresolved = dict(unresolved or {})
    names = list(
        dict.fromkeys(companies if companies is not None else [c.company for c in store.companies()])
    )
    order = list(dict.fromkeys([*names, *unresolved]))
    run = BatchRun(options.out)
    report = BatchReport(
        out=str(options.out),
        engine=options.engine,
        workers=options.workers,
        summary=options.summary,
        reference_date=today.isoformat(),
        companies=len(order),
        started_at=started.isoformat(timespec="seconds"),
        ray_address=options.ray_address if options.engine == "ray" else None,
    )
    cluster = RayCluster(address=options.ray_address, workers=options.workers)
    signature = _signature(options, settings)
    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {options.out}: {exc}") from exc
    with FolderLock(options.out / ".lock"):
        run.prepare()
        prints = fingerprints(store)
        todo = [c for c in names if options.force or not run.done(c, prints.get(c), signature)]
        report.skipped = len(names) - len(todo)
        by_workers = options.read == "workers" and not _inline(
            options, todo
        )  # inline: the driver is the worker
        report.read = "workers" if by_workers else "driver"
        jobs = _jobs(store, todo, unresolved, today, options, settings, by_workers)
        results = _engine(jobs, options, todo, cluster) if todo else run_inline(jobs)
        bar = _progress_bar(options, len(todo) + len(unresolved) if todo else 0, report.skipped)
        attempted = 0
        recorded: set[str] = set()
        try:
            for result in results:
                if result.company in recorded:  # one result per company and run, whatever an engine does
                    continue
                recorded.add(result.company)
                writing = time.perf_counter()
                run.record(result, prints.get(result.company), signature)
                result.timings["record"] = round(time.perf_counter() - writing, 5)
                attempted += result.company not in unresolved
                _count(report, result)
                if bar is not None:
                    bar.set_postfix_str(result.company[:30])
                    bar.update()
                if on_result is not None:
                    on_result(result)
        finally:
            if bar is not None:
                bar.close()
            run.rebuild(order)
            report.seconds = round(time.perf_counter() - wall, 3)
            report.stage_seconds = {
                k: round(report.stage_seconds[k], 3) for k in STAGES if k in report.stage_seconds
            }
            if options.engine == "ray" and cluster.slots:
                report.workers = cluster.slots
                report.cluster = {"cpus": cluster.cpus, "nodes": cluster.nodes}
            if report.seconds > 0 and attempted:
                report.companies_per_minute = round(attempted / report.seconds * 60, 1)
            report.finished_at = datetime.now().isoformat(timespec="seconds")
            write_atomic(options.out / "batch.json", report.model_dump_json(indent=2))
    return report
